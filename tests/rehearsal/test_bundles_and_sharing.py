"""Image -> bundle, sharing and imported images, driven against the bundled asset."""

from __future__ import annotations

from typing import Any

from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import Rehearsal
from tests.rehearsal.response_endpoint import Response

BUNDLE = "Custom::WorkspaceBundle"
ACCOUNTS = ["111122223333", "444455556666"]


def available_at_next_poll(n: int) -> None:
    fake_workspaces.finish_pending_images()


def create_image(rehearsal: Rehearsal, **overrides: Any) -> Response:
    response = rehearsal.cfn.request(
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(**overrides),
        before_poll=available_at_next_poll,
    )
    assert response.status == "SUCCESS", response.reason
    return response


def bundle_properties(rehearsal: Rehearsal, image: Response, **overrides: Any) -> dict[str, Any]:
    (bundle_id,) = rehearsal.stack.logical_ids(BUNDLE)
    return rehearsal.properties_of(
        bundle_id, attributes={rehearsal.logical_id: image.data}, **overrides
    )


def request_bundle(rehearsal: Rehearsal, request_type: str, props: dict[str, Any], **kw: Any):
    (bundle_id,) = rehearsal.stack.logical_ids(BUNDLE)
    return rehearsal.cfn.request(request_type, bundle_id, props, resource_type=BUNDLE, **kw)


def bundles() -> dict[str, Any]:
    return dict(getattr(fake_workspaces.backend(), "workspace_bundles", {}))


def shared_with(rehearsal: Rehearsal, image_id: str) -> set[str]:
    permissions = rehearsal.aws.client("workspaces").describe_workspace_image_permissions(
        ImageId=image_id
    )["ImagePermissions"]
    return {permission["SharedAccountId"] for permission in permissions}


# --- bundles ----------------------------------------------------------------------------


def test_a_bundle_is_created_from_the_images_id(rehearsal: Rehearsal) -> None:
    image = create_image(rehearsal)

    response = request_bundle(rehearsal, "Create", bundle_properties(rehearsal, image))

    assert response.status == "SUCCESS", response.reason
    assert response.physical_id.startswith("wsb-")
    assert response.data == {
        "BundleId": response.physical_id,
        "Name": "golden-standard",
        "ImageId": image.physical_id,
    }
    (bundle,) = bundles().values()
    assert bundle.image_id == image.physical_id
    tags = rehearsal.aws.client("workspaces").describe_tags(ResourceId=response.physical_id)
    owner = {tag["Key"]: tag["Value"] for tag in tags["TagList"]}
    assert owner["cdk-workspace-image:stack-id"] == rehearsal.cfn.stack_id


def test_a_new_image_updates_the_bundle_in_place(rehearsal: Rehearsal) -> None:
    image = create_image(rehearsal)
    old_props = bundle_properties(rehearsal, image)
    created = request_bundle(rehearsal, "Create", old_props)
    other = rehearsal.aws.client("workspaces").create_workspace_image(
        Name="silver", Description="silver", WorkspaceId=fake_workspaces.seed_workspace()
    )["ImageId"]
    fake_workspaces.set_image_state(other, "AVAILABLE")

    response = request_bundle(
        rehearsal,
        "Update",
        {**old_props, "ImageId": other},
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    assert response.status == "SUCCESS", response.reason
    assert response.physical_id == created.physical_id
    assert bundles()[created.physical_id].image_id == other
    assert fake_workspaces.faults.calls["CreateWorkspaceBundle"] == 1


def test_a_new_compute_type_needs_a_new_bundle_name(rehearsal: Rehearsal) -> None:
    image = create_image(rehearsal)
    old_props = bundle_properties(rehearsal, image)
    created = request_bundle(rehearsal, "Create", old_props)

    same_name = request_bundle(
        rehearsal,
        "Update",
        {**old_props, "ComputeType": "POWER"},
        physical_id=created.physical_id,
        old_properties=old_props,
    )
    renamed = request_bundle(
        rehearsal,
        "Update",
        {**old_props, "ComputeType": "POWER", "BundleName": "golden-power"},
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    assert same_name.status == "FAILED"
    assert "change bundle_name" in same_name.reason
    assert renamed.status == "SUCCESS"
    assert renamed.physical_id != created.physical_id


def test_a_bundle_is_deleted_and_a_second_delete_succeeds(rehearsal: Rehearsal) -> None:
    image = create_image(rehearsal)
    props = bundle_properties(rehearsal, image)
    created = request_bundle(rehearsal, "Create", props)

    first = request_bundle(rehearsal, "Delete", props, physical_id=created.physical_id)
    second = request_bundle(rehearsal, "Delete", props, physical_id=created.physical_id)

    assert (first.status, second.status) == ("SUCCESS", "SUCCESS")
    assert bundles() == {}


def test_an_image_a_bundle_uses_is_not_deleted_and_the_reason_says_why(
    rehearsal: Rehearsal,
) -> None:
    image = create_image(rehearsal)
    request_bundle(rehearsal, "Create", bundle_properties(rehearsal, image))

    response = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=image.physical_id
    )

    assert response.status == "FAILED"
    assert "ResourceAssociatedException" in response.reason
    assert "delete the bundles that use it" in response.reason
    assert image.physical_id in rehearsal.aws.images()


def test_a_stack_delete_removes_the_bundle_then_the_image(rehearsal: Rehearsal) -> None:
    # CloudFormation deletes in reverse dependency order: the bundle refers to the image.
    image = create_image(rehearsal)
    props = bundle_properties(rehearsal, image)
    bundle = request_bundle(rehearsal, "Create", props)

    deleted_bundle = request_bundle(rehearsal, "Delete", props, physical_id=bundle.physical_id)
    deleted_image = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=image.physical_id
    )

    assert (deleted_bundle.status, deleted_image.status) == ("SUCCESS", "SUCCESS")
    assert bundles() == {}
    assert rehearsal.aws.images() == {}


def test_an_imported_image_feeds_a_bundle(rehearsal: Rehearsal) -> None:
    imported = rehearsal.aws.client("workspaces").create_workspace_image(
        Name="made-elsewhere",
        Description="shared with us",
        WorkspaceId=fake_workspaces.seed_workspace(),
    )["ImageId"]
    fake_workspaces.set_image_state(imported, "AVAILABLE")
    (bundle_id,) = rehearsal.stack.logical_ids(BUNDLE)
    props = rehearsal.properties_of(
        bundle_id, attributes={rehearsal.logical_id: {"ImageId": imported}}
    )

    response = request_bundle(rehearsal, "Create", props)

    assert response.status == "SUCCESS", response.reason
    assert bundles()[response.physical_id].image_id == imported


def test_a_bundle_of_a_missing_image_fails_with_the_services_reason(rehearsal: Rehearsal) -> None:
    (bundle_id,) = rehearsal.stack.logical_ids(BUNDLE)
    props = rehearsal.properties_of(
        bundle_id, attributes={rehearsal.logical_id: {"ImageId": "wsi-000000000"}}
    )

    response = request_bundle(rehearsal, "Create", props)

    assert response.status == "FAILED"
    assert response.reason.startswith("CreateWorkspaceBundle failed: ResourceNotFoundException")
    assert bundles() == {}


# --- sharing ----------------------------------------------------------------------------


def test_an_image_is_shared_once_available(rehearsal: Rehearsal) -> None:
    image = create_image(rehearsal, ShareWithAccounts=ACCOUNTS)

    assert shared_with(rehearsal, image.physical_id) == set(ACCOUNTS)


def test_an_update_keeps_the_share_list_in_step(rehearsal: Rehearsal) -> None:
    old_props = rehearsal.properties(ShareWithAccounts=ACCOUNTS)
    image = create_image(rehearsal, ShareWithAccounts=ACCOUNTS)

    response = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        rehearsal.properties(ShareWithAccounts=["444455556666", "777788889999"]),
        physical_id=image.physical_id,
        old_properties=old_props,
    )

    assert response.status == "SUCCESS", response.reason
    assert response.physical_id == image.physical_id
    assert shared_with(rehearsal, image.physical_id) == {"444455556666", "777788889999"}


def test_the_image_is_unshared_before_it_is_deleted(rehearsal: Rehearsal) -> None:
    props = rehearsal.properties(ShareWithAccounts=ACCOUNTS)
    image = create_image(rehearsal, ShareWithAccounts=ACCOUNTS)

    response = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, props, physical_id=image.physical_id
    )

    assert response.status == "SUCCESS", response.reason
    assert rehearsal.aws.images() == {}


def test_a_bad_account_id_fails_at_deploy_time(rehearsal: Rehearsal) -> None:
    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(ShareWithAccounts=["12345"])
    )

    assert response.status == "FAILED"
    assert "'12345' is not an AWS account id (12 digits)" in response.reason
    assert rehearsal.aws.images() == {}


def test_deleting_an_image_still_pending_does_not_unshare_it(rehearsal: Rehearsal) -> None:
    _, event = rehearsal.cfn.event(
        "Create", rehearsal.logical_id, rehearsal.properties(ShareWithAccounts=ACCOUNTS)
    )
    rehearsal.cfn.invoke(event)
    (image_id,) = rehearsal.aws.images()

    response = rehearsal.cfn.request(
        "Delete",
        rehearsal.logical_id,
        rehearsal.properties(ShareWithAccounts=ACCOUNTS),
        physical_id=image_id,
        before_poll=available_at_next_poll,
    )

    assert response.status == "SUCCESS"
    # It was never shared (that happens once AVAILABLE, in the Create's poll),
    # so nothing is revoked: the API refuses to revoke a share that is not there.
    assert fake_workspaces.faults.calls["UpdateWorkspaceImagePermission"] == 0
    assert rehearsal.aws.images() == {}


def test_a_bundle_delete_with_a_made_up_id_finds_its_own_bundle(rehearsal: Rehearsal) -> None:
    # A Create that failed after the bundle was made answered with a made-up id.
    image = create_image(rehearsal)
    props = bundle_properties(rehearsal, image)
    request_bundle(rehearsal, "Create", props)

    response = request_bundle(rehearsal, "Delete", props, physical_id="Stack_Bundle_1A2B3C4D")

    assert response.status == "SUCCESS"
    assert bundles() == {}
