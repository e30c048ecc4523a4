"""What DeleteWorkspaceImage answers: a PENDING image is refused, an unknown id is not.

The default timeout's WaitCondition lets the custom resource answer with the
image's id while the image is still PENDING. While CloudFormation waits, three
probes (AwsCustomResource) run against it:

- the image's state, which must still be PENDING;
- the source WorkSpace's state, which must not be AVAILABLE while it is imaged;
- DeleteWorkspaceImage of the PENDING image, which only InvalidResourceStateException
  may answer: any other error fails the deploy with the service's words.

If the service deletes PENDING images, the image is gone and the stack fails with
"image wsi-... no longer exists": harmless for the handler (a Delete is then
simply faster; docs/assumptions.md), but the row in docs/assumptions.md is wrong.
A fourth probe deletes an id that does not exist; it may succeed or answer
ResourceNotFoundException, nothing else.

What it confirms in a real account: docs/assumptions.md, column "integ test".
"""

import aws_cdk as cdk
import real_account
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from aws_cdk.integ_tests_alpha import ActualResult, ExpectedResult, IntegTest

from cdk_workspace_image import WorkspaceImage
from cdk_workspace_image.runtime import contract

UNKNOWN_IMAGE_ID = "wsi-000000000"

app = real_account.new_app()
stack = cdk.Stack(app, "WsiIntegDeleteAnswers")
workspace_id = real_account.workspace_id()
image = WorkspaceImage(
    stack,
    "Image",
    workspace_id=workspace_id,
    image_name=real_account.name("delete-answers"),
    removal_policy=cdk.RemovalPolicy.DESTROY,
)
assert image.wait_condition is not None, "the probes need the id while the image is PENDING"
cdk.Tags.of(stack).add(real_account.TAG_KEY, "delete-answers")
# The custom resource's own id: answered at once, before the wait condition.
pending_image_id = image.resource.get_att_string(contract.ATTR_IMAGE_ID)


def image_arn(image_id: str) -> str:
    return stack.format_arn(service="workspaces", resource="workspaceimage", resource_name=image_id)


def probe(
    construct_id: str,
    call: cr.AwsSdkCall,
    statement: iam.PolicyStatement,
) -> cr.AwsCustomResource:
    return cr.AwsCustomResource(
        stack,
        construct_id,
        on_create=call,
        policy=cr.AwsCustomResourcePolicy.from_statements([statement]),
        install_latest_aws_sdk=False,
    )


image_state = probe(
    "ImageState",
    cr.AwsSdkCall(
        service="WorkSpaces",
        action="describeWorkspaceImages",
        parameters={"ImageIds": [pending_image_id]},
        physical_resource_id=cr.PhysicalResourceId.of("image-state"),
        output_paths=["Images.0.State"],
    ),
    # DescribeWorkspaceImages supports no resource types.
    iam.PolicyStatement(actions=["workspaces:DescribeWorkspaceImages"], resources=["*"]),
)
source_state = probe(
    "SourceState",
    cr.AwsSdkCall(
        service="WorkSpaces",
        action="describeWorkspaces",
        parameters={"WorkspaceIds": [workspace_id]},
        physical_resource_id=cr.PhysicalResourceId.of("source-state"),
        output_paths=["Workspaces.0.State"],
    ),
    iam.PolicyStatement(actions=["workspaces:DescribeWorkspaces"], resources=["*"]),
)
delete_pending = probe(
    "DeletePending",
    cr.AwsSdkCall(
        service="WorkSpaces",
        action="deleteWorkspaceImage",
        parameters={"ImageId": pending_image_id},
        physical_resource_id=cr.PhysicalResourceId.of("delete-pending"),
        ignore_error_codes_matching="^InvalidResourceStateException$",
    ),
    iam.PolicyStatement(
        actions=["workspaces:DeleteWorkspaceImage"], resources=[image_arn(pending_image_id)]
    ),
)
# Read the states first: the delete, if the service allowed it, would end them.
delete_pending.node.add_dependency(image_state, source_state)
probe(
    "DeleteUnknown",
    cr.AwsSdkCall(
        service="WorkSpaces",
        action="deleteWorkspaceImage",
        parameters={"ImageId": UNKNOWN_IMAGE_ID},
        physical_resource_id=cr.PhysicalResourceId.of("delete-unknown"),
        ignore_error_codes_matching="^ResourceNotFoundException$",
    ),
    iam.PolicyStatement(
        actions=["workspaces:DeleteWorkspaceImage"], resources=[image_arn(UNKNOWN_IMAGE_ID)]
    ),
)


def response(probe: cr.AwsCustomResource, field: str) -> ActualResult:
    resource = probe.node.find_child("Resource")
    assert isinstance(resource, cdk.CustomResource)
    return ActualResult.from_custom_resource(resource, field)


test = IntegTest(app, "DeleteAnswers", test_cases=[stack], stack_update_workflow=False)
test.assertions.expect(
    "ImageWasPending", ExpectedResult.exact("PENDING"), response(image_state, "Images.0.State")
)
test.assertions.expect(
    "SourceWasBusy",
    ExpectedResult.string_like_regexp("^(?!AVAILABLE$)"),
    response(source_state, "Workspaces.0.State"),
)
# The refused delete left the image to finish.
test.assertions.aws_api_call(
    "WorkSpaces", "describeWorkspaceImages", {"ImageIds": [image.image_id]}
).expect(
    ExpectedResult.object_like({"Images": [{"ImageId": image.image_id, "State": "AVAILABLE"}]})
)
app.synth()
