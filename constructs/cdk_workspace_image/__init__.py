"""cdk-workspace-image: Amazon WorkSpaces images as a CDK construct.

```python
from aws_cdk import CfnOutput
from cdk_workspace_image import WorkspaceImage

image = WorkspaceImage(stack, "Golden", workspace_id="ws-...", image_name="golden-2026-11")
CfnOutput(stack, "ImageId", value=image.image_id)
```

A bad argument raises ``ValidationError`` (a ``ValueError``) when the
construct is declared, its message starting with the construct's path; a
wrong type raises ``ArgumentTypeError``, which is also a ``TypeError``.

Everything in ``__all__`` is the public API; docs/API.md is generated from it
(``make docs``).
"""

from cdk_workspace_image._validation import ArgumentTypeError, ValidationError
from cdk_workspace_image.byol_workspace_image import (
    ByolImageSource,
    ByolWorkspaceImage,
    IImageBuilderImage,
    IImageBuilderInfrastructureConfiguration,
)
from cdk_workspace_image.provider import WorkspaceImageProvider
from cdk_workspace_image.workspace_bundle import WorkspaceBundle
from cdk_workspace_image.workspace_image import IWorkspaceImage, WorkspaceImage, WorkspaceImageBase
from cdk_workspace_image.workspace_image_copy import (
    NoUpdate,
    UpdatedWorkspaceImage,
    WorkspaceImageCopy,
)

__all__ = [
    "ArgumentTypeError",
    "ByolImageSource",
    "ByolWorkspaceImage",
    "IImageBuilderImage",
    "IImageBuilderInfrastructureConfiguration",
    "IWorkspaceImage",
    "NoUpdate",
    "UpdatedWorkspaceImage",
    "ValidationError",
    "WorkspaceBundle",
    "WorkspaceImage",
    "WorkspaceImageBase",
    "WorkspaceImageCopy",
    "WorkspaceImageProvider",
]
