"""A real WorkSpace's image becomes AVAILABLE, and a bundle launches from it.

With the default timeout (2 hours), a WaitCondition holds the stack while the
image is made, and the id reaches the bundle through Custom::WorkspaceImageReady.
With INTEG_SHARE_ACCOUNT, the image is also shared with that account, and the
destroy unshares it before deleting it.

What it confirms in a real account: docs/assumptions.md, column "integ test".
"""

import aws_cdk as cdk
import real_account
from aws_cdk.integ_tests_alpha import ExpectedResult, IntegTest, Match

from cdk_workspace_image import WorkspaceBundle, WorkspaceImage

app = real_account.new_app()
stack = cdk.Stack(app, "WsiIntegImageBundle")
share_account = real_account.share_account()
image = WorkspaceImage(
    stack,
    "Image",
    workspace_id=real_account.workspace_id(),
    image_name=real_account.name("image-bundle"),
    share_with_accounts=[share_account] if share_account else None,
    removal_policy=cdk.RemovalPolicy.DESTROY,
)
bundle = WorkspaceBundle(
    stack,
    "Bundle",
    image=image,
    bundle_name=real_account.name("image-bundle"),
    compute_type="STANDARD",
    user_storage_gib=50,
    root_storage_gib=80,
    removal_policy=cdk.RemovalPolicy.DESTROY,
)
cdk.Tags.of(stack).add(real_account.TAG_KEY, "image-bundle")

test = IntegTest(
    app,
    "ImageBundle",
    test_cases=[stack],
    # The update workflow would first deploy the committed snapshot: a second image.
    stack_update_workflow=False,
)
test.assertions.aws_api_call(
    "WorkSpaces", "describeWorkspaceImages", {"ImageIds": [image.image_id]}
).expect(
    ExpectedResult.object_like({"Images": [{"ImageId": image.image_id, "State": "AVAILABLE"}]})
)
test.assertions.aws_api_call(
    "WorkSpaces", "describeWorkspaceBundles", {"BundleIds": [bundle.bundle_id]}
).expect(
    ExpectedResult.object_like(
        {
            "Bundles": [
                {
                    "BundleId": bundle.bundle_id,
                    "ImageId": image.image_id,
                    "State": "AVAILABLE",
                    "ComputeType": {"Name": "STANDARD"},
                    "RootStorage": {"Capacity": "80"},
                    "UserStorage": {"Capacity": "50"},
                }
            ]
        }
    )
)
# Tags.of reaches the image itself (CreateTags on the wsi- id).
test.assertions.aws_api_call("WorkSpaces", "describeTags", {"ResourceId": image.image_id}).expect(
    ExpectedResult.object_like(
        {"TagList": Match.array_with([{"Key": real_account.TAG_KEY, "Value": "image-bundle"}])}
    )
)
if share_account:
    test.assertions.aws_api_call(
        "WorkSpaces", "describeWorkspaceImagePermissions", {"ImageId": image.image_id}
    ).expect(
        ExpectedResult.object_like(
            {"ImagePermissions": Match.array_with([{"SharedAccountId": share_account}])}
        )
    )
app.synth()
