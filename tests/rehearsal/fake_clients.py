"""What tests of the embedded AWS itself make through boto3: an image, a bundle."""

from __future__ import annotations

from typing import Any

from tests.rehearsal import fake_workspaces


def image(workspaces: Any, name: str = "golden", state: str = "AVAILABLE") -> str:
    """An image in ``state``, made from a freshly seeded WorkSpace."""
    workspace_id = fake_workspaces.seed_workspace()
    image_id: str = workspaces.create_workspace_image(
        Name=name, Description="golden image", WorkspaceId=workspace_id
    )["ImageId"]
    fake_workspaces.set_image_state(image_id, state)
    return image_id


def bundle(workspaces: Any, image_id: str, name: str = "golden-bundle", **extra: Any) -> str:
    created = workspaces.create_workspace_bundle(
        BundleName=name,
        BundleDescription="golden bundle",
        ImageId=image_id,
        ComputeType={"Name": "STANDARD"},
        UserStorage={"Capacity": "50"},
        **extra,
    )
    return str(created["WorkspaceBundle"]["BundleId"])


def bundle_ids(workspaces: Any, **filters: Any) -> list[str]:
    return [b["BundleId"] for b in workspaces.describe_workspace_bundles(**filters)["Bundles"]]
