"""cdk-workspace-image: Amazon WorkSpaces images as a CDK construct.

```python
from cdk_workspace_image import WorkspaceImage

image = WorkspaceImage(stack, "Golden", workspace_id="ws-...", image_name="golden-2026-11")
CfnOutput(stack, "ImageId", value=image.image_id)
```

Everything in ``__all__`` is the public API; docs/API.md is generated from it
(``make docs``).
"""

from cdk_workspace_image.byol_workspace_image import ByolImageSource, ByolWorkspaceImage
from cdk_workspace_image.workspace_bundle import WorkspaceBundle
from cdk_workspace_image.workspace_image import IWorkspaceImage, WorkspaceImage, WorkspaceImageBase
from cdk_workspace_image.workspace_image_copy import UpdatedWorkspaceImage, WorkspaceImageCopy

__all__ = [
    "ByolImageSource",
    "ByolWorkspaceImage",
    "IWorkspaceImage",
    "UpdatedWorkspaceImage",
    "WorkspaceBundle",
    "WorkspaceImage",
    "WorkspaceImageBase",
    "WorkspaceImageCopy",
]
