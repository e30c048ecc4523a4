"""Up to 55 minutes, the custom resource itself waits for the image, without a WaitCondition.

CloudFormation waits for the function's answer up to its ServiceTimeout (one
hour); EventBridge polls the image each minute until it is AVAILABLE. An image
that takes longer than 55 minutes fails this test with the handler's timeout
reason: then this WorkSpace needs the default path (integ_image_bundle.py).

What it confirms in a real account: docs/assumptions.md, column "integ test".
"""

import aws_cdk as cdk
import real_account
from aws_cdk.integ_tests_alpha import ExpectedResult, IntegTest

from cdk_workspace_image import WorkspaceImage

app = real_account.new_app()
stack = cdk.Stack(app, "WsiIntegDirectWait")
image = WorkspaceImage(
    stack,
    "Image",
    workspace_id=real_account.workspace_id(),
    image_name=real_account.name("direct-wait"),
    timeout=cdk.Duration.minutes(55),
    removal_policy=cdk.RemovalPolicy.DESTROY,
)
cdk.Tags.of(stack).add(real_account.TAG_KEY, "direct-wait")
assert image.wait_condition is None, "a 55-minute timeout must not need a WaitCondition"

test = IntegTest(app, "DirectWait", test_cases=[stack], stack_update_workflow=False)
test.assertions.aws_api_call(
    "WorkSpaces", "describeWorkspaceImages", {"ImageIds": [image.image_id]}
).expect(
    ExpectedResult.object_like({"Images": [{"ImageId": image.image_id, "State": "AVAILABLE"}]})
)
app.synth()
