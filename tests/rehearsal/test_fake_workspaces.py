"""The fake's WorkSpaces bundles behave as the service's API model says.

moto has no bundle calls; the fake adds them so that an image can be put in a
bundle and its delete refused for that. These tests pin that behaviour through
boto3, against the same server the handler talks to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.rehearsal import fake_workspaces
from tests.rehearsal.embedded_aws import ACCOUNT_ID, EmbeddedAws
from tests.rehearsal.fake_clients import bundle, bundle_ids, image

UNKNOWN_IMAGE_ID = "wsi-000000000"
UNKNOWN_BUNDLE_ID = "wsb-000000000"


@pytest.fixture
def workspaces(embedded_aws: EmbeddedAws) -> Iterator[Any]:
    """A WorkSpaces client on a fresh account; EmbeddedAws.reset() keeps bundles_in_use."""
    embedded_aws.reset()
    fake_workspaces.bundles_in_use.clear()
    yield embedded_aws.client("workspaces")
    fake_workspaces.bundles_in_use.clear()


# --- create ------------------------------------------------------------------


def test_create_returns_an_available_bundle_of_the_account_on_the_image(workspaces: Any) -> None:
    # GIVEN an AVAILABLE image
    image_id = image(workspaces)

    # WHEN a bundle is created on it
    created = workspaces.create_workspace_bundle(
        BundleName="golden-bundle",
        BundleDescription="golden bundle",
        ImageId=image_id,
        ComputeType={"Name": "PERFORMANCE"},
        UserStorage={"Capacity": "50"},
        RootStorage={"Capacity": "80"},
    )["WorkspaceBundle"]

    # THEN it is AVAILABLE, owned by the account, and carries what was asked for
    assert re.fullmatch(r"wsb-[0-9a-f]{9}", created.pop("BundleId"))
    assert isinstance(created.pop("CreationTime"), datetime)
    assert isinstance(created.pop("LastUpdatedTime"), datetime)
    assert created == {
        "Name": "golden-bundle",
        "Description": "golden bundle",
        "Owner": ACCOUNT_ID,
        "ImageId": image_id,
        "ComputeType": {"Name": "PERFORMANCE"},
        "UserStorage": {"Capacity": "50"},
        "RootStorage": {"Capacity": "80"},
        "State": "AVAILABLE",
        "BundleType": "REGULAR",
    }


def test_create_with_an_unknown_image_is_not_found(workspaces: Any) -> None:
    # GIVEN no image at all
    # WHEN a bundle is created on an image id that does not exist
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        bundle(workspaces, UNKNOWN_IMAGE_ID)

    # THEN no bundle was made
    assert bundle_ids(workspaces) == []


def test_create_with_a_pending_image_is_unavailable(workspaces: Any) -> None:
    # GIVEN an image that is still being created
    image_id = image(workspaces, state="PENDING")

    # WHEN a bundle is created on it
    with pytest.raises(workspaces.exceptions.ResourceUnavailableException):
        bundle(workspaces, image_id)

    # THEN no bundle was made
    assert bundle_ids(workspaces) == []


def test_create_with_a_name_already_taken_already_exists(workspaces: Any) -> None:
    # GIVEN a bundle named golden-bundle
    image_id = image(workspaces)
    first = bundle(workspaces, image_id, name="golden-bundle")

    # WHEN a second bundle gets the same name
    with pytest.raises(workspaces.exceptions.ResourceAlreadyExistsException):
        bundle(workspaces, image_id, name="golden-bundle")

    # THEN only the first exists
    assert bundle_ids(workspaces) == [first]


def test_create_stores_the_tags_it_is_given(workspaces: Any) -> None:
    # GIVEN an AVAILABLE image
    image_id = image(workspaces)

    # WHEN a bundle is created with tags
    bundle_id = bundle(workspaces, image_id, Tags=[{"Key": "team", "Value": "desktops"}])

    # THEN DescribeTags on the bundle returns them
    tags = workspaces.describe_tags(ResourceId=bundle_id)["TagList"]
    assert tags == [{"Key": "team", "Value": "desktops"}]


# --- describe ----------------------------------------------------------------


def test_describe_lists_the_accounts_bundles(workspaces: Any) -> None:
    # GIVEN two bundles
    image_id = image(workspaces)
    first = bundle(workspaces, image_id, name="first")
    second = bundle(workspaces, image_id, name="second")

    # WHEN bundles are described without a filter
    found = bundle_ids(workspaces)

    # THEN both are listed
    assert sorted(found) == sorted([first, second])


def test_describe_by_bundle_ids_lists_only_those(workspaces: Any) -> None:
    # GIVEN two bundles
    image_id = image(workspaces)
    first = bundle(workspaces, image_id, name="first")
    bundle(workspaces, image_id, name="second")

    # WHEN bundles are described by the first one's id
    found = bundle_ids(workspaces, BundleIds=[first])

    # THEN only that one is listed
    assert found == [first]


def test_describe_amazon_owned_bundles_lists_none_of_the_accounts(workspaces: Any) -> None:
    # GIVEN a bundle of the account
    bundle(workspaces, image(workspaces))

    # WHEN Amazon's bundles are described
    found = bundle_ids(workspaces, Owner="AMAZON")

    # THEN the account's bundle is not among them
    assert found == []


def test_describe_with_bundle_ids_and_owner_is_refused(workspaces: Any) -> None:
    # GIVEN a bundle
    bundle_id = bundle(workspaces, image(workspaces))

    # WHEN it is described by id and owner at once (the API allows one filter only)
    with pytest.raises(workspaces.exceptions.InvalidParameterValuesException):
        workspaces.describe_workspace_bundles(BundleIds=[bundle_id], Owner=ACCOUNT_ID)


# --- update ------------------------------------------------------------------


def test_update_swaps_the_image(workspaces: Any) -> None:
    # GIVEN a bundle on one image, and a second AVAILABLE image
    bundle_id = bundle(workspaces, image(workspaces, name="golden-v1"))
    newer = image(workspaces, name="golden-v2")

    # WHEN the bundle is updated to the second image
    workspaces.update_workspace_bundle(BundleId=bundle_id, ImageId=newer)

    # THEN the bundle is described with the second image
    (described,) = workspaces.describe_workspace_bundles(BundleIds=[bundle_id])["Bundles"]
    assert described["ImageId"] == newer


def test_update_of_an_unknown_bundle_is_not_found(workspaces: Any) -> None:
    # GIVEN an AVAILABLE image and no bundle
    image_id = image(workspaces)

    # WHEN a bundle id that does not exist is updated
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        workspaces.update_workspace_bundle(BundleId=UNKNOWN_BUNDLE_ID, ImageId=image_id)


def test_update_to_an_unknown_image_is_not_found_and_keeps_the_image(workspaces: Any) -> None:
    # GIVEN a bundle on an AVAILABLE image
    image_id = image(workspaces)
    bundle_id = bundle(workspaces, image_id)

    # WHEN it is updated to an image that does not exist
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        workspaces.update_workspace_bundle(BundleId=bundle_id, ImageId=UNKNOWN_IMAGE_ID)

    # THEN it keeps its image
    (described,) = workspaces.describe_workspace_bundles(BundleIds=[bundle_id])["Bundles"]
    assert described["ImageId"] == image_id


def test_update_to_a_failed_image_is_unavailable(workspaces: Any) -> None:
    # GIVEN a bundle, and an image whose creation failed
    bundle_id = bundle(workspaces, image(workspaces, name="golden-v1"))
    failed = image(workspaces, name="golden-v2", state="ERROR")

    # WHEN the bundle is updated to the failed image
    with pytest.raises(workspaces.exceptions.ResourceUnavailableException):
        workspaces.update_workspace_bundle(BundleId=bundle_id, ImageId=failed)


# --- delete ------------------------------------------------------------------


def test_delete_removes_the_bundle(workspaces: Any) -> None:
    # GIVEN a bundle
    bundle_id = bundle(workspaces, image(workspaces))

    # WHEN it is deleted
    workspaces.delete_workspace_bundle(BundleId=bundle_id)

    # THEN it is no longer described
    assert bundle_ids(workspaces) == []


def test_delete_of_an_unknown_bundle_is_not_found(workspaces: Any) -> None:
    # GIVEN no bundle
    # WHEN a bundle id that does not exist is deleted
    # THEN it is not found
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        workspaces.delete_workspace_bundle(BundleId=UNKNOWN_BUNDLE_ID)


def test_delete_of_a_bundle_that_workspaces_use_is_refused(workspaces: Any) -> None:
    # GIVEN a bundle that WorkSpaces were launched from
    bundle_id = bundle(workspaces, image(workspaces))
    fake_workspaces.bundles_in_use.add(bundle_id)

    # WHEN it is deleted
    with pytest.raises(workspaces.exceptions.ResourceAssociatedException):
        workspaces.delete_workspace_bundle(BundleId=bundle_id)

    # THEN it still exists
    assert bundle_ids(workspaces) == [bundle_id]


# --- the image under a bundle -----------------------------------------------


def test_image_delete_is_refused_while_a_bundle_uses_it(
    workspaces: Any, embedded_aws: EmbeddedAws
) -> None:
    # GIVEN a bundle on an image
    image_id = image(workspaces)
    bundle(workspaces, image_id)

    # WHEN the image is deleted
    with pytest.raises(workspaces.exceptions.ResourceAssociatedException):
        workspaces.delete_workspace_image(ImageId=image_id)

    # THEN the image still exists
    assert image_id in embedded_aws.images()


def test_image_delete_succeeds_once_the_bundle_is_deleted(
    workspaces: Any, embedded_aws: EmbeddedAws
) -> None:
    # GIVEN an image whose only bundle was deleted
    image_id = image(workspaces)
    workspaces.delete_workspace_bundle(BundleId=bundle(workspaces, image_id))

    # WHEN the image is deleted
    workspaces.delete_workspace_image(ImageId=image_id)

    # THEN it is gone
    assert image_id not in embedded_aws.images()


# --- tags ----------------------------------------------------------------------


def test_create_tags_on_a_bundle_replaces_values_by_key(workspaces: Any) -> None:
    # GIVEN a bundle tagged team=desktops
    bundle_id = bundle(workspaces, image(workspaces), Tags=[{"Key": "team", "Value": "desktops"}])

    # WHEN team is tagged again, with another value, and a new key is added
    workspaces.create_tags(
        ResourceId=bundle_id,
        Tags=[{"Key": "team", "Value": "images"}, {"Key": "cost", "Value": "42"}],
    )

    # THEN each key has its latest value
    tags = workspaces.describe_tags(ResourceId=bundle_id)["TagList"]
    assert {tag["Key"]: tag["Value"] for tag in tags} == {"team": "images", "cost": "42"}


def test_delete_tags_on_a_bundle_removes_those_keys(workspaces: Any) -> None:
    # GIVEN a bundle with two tags
    bundle_id = bundle(
        workspaces,
        image(workspaces),
        Tags=[{"Key": "team", "Value": "desktops"}, {"Key": "cost", "Value": "42"}],
    )

    # WHEN one key is deleted
    workspaces.delete_tags(ResourceId=bundle_id, TagKeys=["cost"])

    # THEN only the other remains
    tags = workspaces.describe_tags(ResourceId=bundle_id)["TagList"]
    assert tags == [{"Key": "team", "Value": "desktops"}]


def test_tags_of_a_deleted_bundle_are_not_found(workspaces: Any) -> None:
    # GIVEN a bundle that was deleted
    bundle_id = bundle(workspaces, image(workspaces))
    workspaces.delete_workspace_bundle(BundleId=bundle_id)

    # WHEN its tags are described
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        workspaces.describe_tags(ResourceId=bundle_id)


# --- the fake's own machinery --------------------------------------------------


def test_reset_forgets_bundles(workspaces: Any, embedded_aws: EmbeddedAws) -> None:
    # GIVEN a bundle
    bundle(workspaces, image(workspaces))

    # WHEN the embedded AWS is reset
    embedded_aws.reset()

    # THEN no bundle is left
    assert bundle_ids(workspaces) == []


def test_bundle_calls_are_counted_and_take_injected_faults(workspaces: Any) -> None:
    # GIVEN an AVAILABLE image and an AccessDenied waiting for CreateWorkspaceBundle
    image_id = image(workspaces)
    fake_workspaces.faults.inject("CreateWorkspaceBundle", "AccessDeniedException", "denied")

    # WHEN a bundle is created
    with pytest.raises(workspaces.exceptions.AccessDeniedException):
        bundle(workspaces, image_id)

    # THEN the call was counted, served the fault, and made no bundle
    assert fake_workspaces.faults.calls["CreateWorkspaceBundle"] == 1
    assert bundle_ids(workspaces) == []
    assert fake_workspaces.faults.calls["DescribeWorkspaceBundles"] == 1
