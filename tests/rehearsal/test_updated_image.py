"""UpdatedWorkspaceImage when there is nothing to update, and the refusals of its source.

DescribeWorkspaceImages' ``Updates.UpdateAvailable`` decides, before any
CreateUpdatedWorkspaceImage: with no update, the resource is the source image
itself by default (``IfNoUpdate`` USE_SOURCE) and makes nothing, or fails
(FAIL). The source is not the resource's: nothing deletes, shares or tags it.
The lifecycle of an updated image that is made runs for every source in
test_sources.py (``[Updated]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import (
    Rehearsal,
    _source_rehearsal,
    assert_nothing_scheduled,
    make_available_at,
)
from tests.rehearsal.embedded_aws import EmbeddedAws
from tests.rehearsal.fake_workspaces import NO_UPDATE_DESCRIPTION, faults
from tests.rehearsal.test_sources import case, made

OTHER_ACCOUNT = "111122223333"
ONLY_SOME_WINDOWS = (
    "Only Windows 10, Windows Server 2016, and Windows Server 2019 WorkSpace images can be "
    "programmatically updated at this time."
)


@pytest.fixture
def updated(embedded_aws: EmbeddedAws, sources_cdk_out: Path) -> Rehearsal:
    """The UpdatedWorkspaceImage of the sources stack, with a source that has no update."""
    rehearsal = _source_rehearsal(embedded_aws, sources_cdk_out, case("Updated"))
    rehearsal.overrides = {"SourceImageId": fake_workspaces.seed_image(name="golden-current")}
    return rehearsal


def source_of(rehearsal: Rehearsal) -> str:
    return str(rehearsal.overrides["SourceImageId"])


def resolve(rehearsal: Rehearsal, **overrides: Any) -> Any:
    """Create the resource while its source has no update; it resolves to the source."""
    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(**overrides)
    )
    assert response.status == "SUCCESS", response.reason
    assert response.physical_id.startswith("no-update-")
    return response


def shared_with(rehearsal: Rehearsal, image_id: str) -> set[str]:
    permissions = rehearsal.aws.client("workspaces").describe_workspace_image_permissions(
        ImageId=image_id
    )["ImagePermissions"]
    return {permission["SharedAccountId"] for permission in permissions}


# --- nothing to update ------------------------------------------------------------------


def test_a_source_with_no_update_is_the_answer_and_nothing_is_made(updated: Rehearsal) -> None:
    # GIVEN a source image for which WorkSpaces reports no update
    source = source_of(updated)

    # WHEN CloudFormation creates the updated image
    response = updated.cfn.request("Create", updated.logical_id, updated.properties())

    # THEN it succeeds with the source's id and name, under a physical id that is not an image's
    assert response.status == "SUCCESS", response.reason
    assert response.data["ImageId"] == source
    assert response.data["Name"] == "golden-current"
    assert response.physical_id.startswith(f"no-update-{source}-")
    # AND nothing was made, and CreateUpdatedWorkspaceImage was never called
    assert made(updated) == {}
    assert faults.calls["CreateUpdatedWorkspaceImage"] == 0
    assert_nothing_scheduled(updated)
    # AND the source is left as it was: not tagged
    assert fake_workspaces.image_tags(source) == {}
    # AND the log says why, in the service's words
    (resolved,) = updated.cfn.decisions("no-update:resolved")
    assert resolved["source_image_id"] == source
    assert resolved["updates"] == NO_UPDATE_DESCRIPTION


def test_if_no_update_fail_fails_saying_so_and_makes_nothing(updated: Rehearsal) -> None:
    # GIVEN an updated image that must fail when there is nothing to update
    props = updated.properties(IfNoUpdate="FAIL")

    # WHEN CloudFormation creates it
    response = updated.cfn.request("Create", updated.logical_id, props)

    # THEN it fails, naming the option and the service's Updates
    assert response.status == "FAILED"
    assert "if_no_update is FAIL" in response.reason
    assert f"source image {source_of(updated)} has no update available" in response.reason
    assert made(updated) == {}
    assert faults.calls["CreateUpdatedWorkspaceImage"] == 0
    assert_nothing_scheduled(updated)


def test_a_refusal_of_the_call_itself_keeps_the_services_code_and_message(
    updated: Rehearsal,
) -> None:
    # GIVEN a source with an update, which the service refuses all the same
    fake_workspaces.set_update_available(source_of(updated))
    faults.inject("CreateUpdatedWorkspaceImage", "InvalidResourceStateException", ONLY_SOME_WINDOWS)

    # WHEN CloudFormation creates the updated image
    response = updated.cfn.request("Create", updated.logical_id, updated.properties())

    # THEN the reason is the service's code and message, not "no update"
    assert response.status == "FAILED"
    assert response.reason == (
        f"CreateUpdatedWorkspaceImage failed: InvalidResourceStateException: {ONLY_SOME_WINDOWS}"
    )
    assert made(updated) == {}


def test_another_accounts_source_is_refused_at_once_without_waiting_for_iam(
    updated: Rehearsal,
) -> None:
    # GIVEN an image that another account shares with this one, with an update;
    # the role may update only this account's images, so IAM would deny the call
    theirs = fake_workspaces.seed_image(owner=OTHER_ACCOUNT, name="their-golden")
    fake_workspaces.set_update_available(theirs)
    faults.deny("CreateUpdatedWorkspaceImage", float("inf"), resource=theirs)

    # WHEN CloudFormation creates an updated image of it
    response = updated.cfn.request(
        "Create", updated.logical_id, updated.properties(SourceImageId=theirs)
    )

    # THEN it fails at once, saying to copy it first
    assert response.status == "FAILED"
    assert response.reason.startswith(
        f"source image {theirs} belongs to account {OTHER_ACCOUNT}, not this stack's"
    )
    assert "copy it first (CopyWorkspaceImage: WorkspaceImageCopy)" in response.reason
    # AND without calling, so without waiting for a grant
    assert faults.calls["CreateUpdatedWorkspaceImage"] == 0
    assert updated.cfn.decisions("denied:retry") == []
    assert made(updated) == {}


# --- a resolved resource, later -----------------------------------------------------------


def test_a_delete_of_a_resolved_resource_deletes_nothing_and_keeps_the_source(
    updated: Rehearsal,
) -> None:
    # GIVEN a resource that resolved to its source
    created = resolve(updated)

    # WHEN CloudFormation deletes it
    deleted = updated.cfn.request(
        "Delete", updated.logical_id, updated.properties(), physical_id=created.physical_id
    )

    # THEN it succeeds, and the source is still there, untouched
    assert deleted.status == "SUCCESS", deleted.reason
    assert updated.aws.images()[source_of(updated)]["State"] == "AVAILABLE"
    assert faults.calls["DeleteWorkspaceImage"] == 0
    assert_nothing_scheduled(updated)


def test_tags_and_shares_of_a_resolved_resource_are_not_applied_to_the_source(
    updated: Rehearsal,
) -> None:
    # GIVEN a resource that resolved to its source
    old_props = updated.properties()
    created = resolve(updated)
    source = source_of(updated)

    # WHEN its tags and shares change
    response = updated.cfn.request(
        "Update",
        updated.logical_id,
        updated.properties(
            Tags=[{"Key": "team", "Value": "vdi"}], ShareWithAccounts=[OTHER_ACCOUNT]
        ),
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    # THEN it succeeds as the same resource, still the source
    assert response.status == "SUCCESS", response.reason
    assert response.physical_id == created.physical_id
    assert response.data["ImageId"] == source
    # AND the source is neither tagged nor shared, and the log says so
    assert fake_workspaces.image_tags(source) == {}
    assert shared_with(updated, source) == set()
    (not_ours,) = updated.cfn.decisions("no-update:source-not-ours")
    assert not_ours["tags_not_applied"] == ["team"]
    assert not_ours["accounts_not_shared_with"] == [OTHER_ACCOUNT]


def test_an_update_that_makes_no_new_image_keeps_answering_with_the_source(
    updated: Rehearsal,
) -> None:
    # GIVEN a resource that resolved to its source
    old_props = updated.properties()
    created = resolve(updated)

    # WHEN only its poll interval changes (nothing that makes a new image)
    response = updated.cfn.request(
        "Update",
        updated.logical_id,
        updated.properties(PollIntervalMinutes="2"),
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    # THEN it succeeds with the source's id, as before
    assert response.status == "SUCCESS", response.reason
    assert (response.physical_id, response.data) == (created.physical_id, created.data)


def test_setting_if_no_update_fail_on_a_resolved_resource_fails_saying_how_to_decide_again(
    updated: Rehearsal,
) -> None:
    # GIVEN a resource that resolved to its source
    old_props = updated.properties()
    created = resolve(updated)

    # WHEN an update sets IfNoUpdate to FAIL, and nothing else
    response = updated.cfn.request(
        "Update",
        updated.logical_id,
        updated.properties(IfNoUpdate="FAIL"),
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    # THEN the update fails, saying to change image_name
    assert response.status == "FAILED"
    assert "IfNoUpdate FAIL forbids" in response.reason
    assert "change image_name in the same deployment" in response.reason
    assert made(updated) == {}


def test_a_new_month_makes_the_updated_image_once_the_source_has_an_update(
    updated: Rehearsal,
) -> None:
    # GIVEN last month's resource, resolved to its source, and an update since
    old_props = updated.properties(Name="golden-2026-11")
    created = resolve(updated, Name="golden-2026-11")
    source = source_of(updated)
    fake_workspaces.set_update_available(source)

    # WHEN this month's deploy gives it a new name
    new_props = updated.properties(Name="golden-2026-12")
    response = updated.cfn.request(
        "Update",
        updated.logical_id,
        new_props,
        physical_id=created.physical_id,
        old_properties=old_props,
        before_poll=make_available_at(1),
    )

    # THEN the updated image is made from the source, and is the answer
    assert response.status == "SUCCESS", response.reason
    (image_id,) = made(updated)
    assert response.physical_id == image_id == response.data["ImageId"]
    assert fake_workspaces.image_source(image_id)["SourceImageId"] == source
    # AND the cleanup's Delete of last month's id deletes nothing
    cleanup = updated.cfn.request(
        "Delete", updated.logical_id, old_props, physical_id=created.physical_id
    )
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert {source, image_id} <= set(updated.aws.images())
    assert_nothing_scheduled(updated)


def test_the_rollback_of_a_cancelled_new_month_is_the_source_again_and_deletes_the_new_image(
    updated: Rehearsal,
) -> None:
    # GIVEN last month's resource, resolved to its source, and an update since
    old_props = updated.properties(Name="golden-2026-11")
    created = resolve(updated, Name="golden-2026-11")
    fake_workspaces.set_update_available(source_of(updated))
    # AND this month's update, cancelled while its image is PENDING
    new_props = updated.properties(Name="golden-2026-12")
    _, event = updated.cfn.event(
        "Update",
        updated.logical_id,
        new_props,
        physical_id=created.physical_id,
        old_properties=old_props,
    )
    updated.cfn.invoke(event)
    (new_id,) = made(updated)

    # WHEN CloudFormation rolls back: an Update to last month's properties, with its id
    rollback = updated.cfn.request(
        "Update",
        updated.logical_id,
        old_props,
        physical_id=created.physical_id,
        old_properties=new_props,
        before_poll=make_available_at(1),
    )

    # THEN the resource is the source again, as it was, and nothing is made anew
    assert rollback.status == "SUCCESS", rollback.reason
    assert (rollback.physical_id, rollback.data) == (created.physical_id, created.data)
    # AND the abandoned image is deleted once the service lets it
    assert new_id not in updated.aws.images()
    assert made(updated) == {}
    assert faults.calls["CreateUpdatedWorkspaceImage"] == 1
    assert_nothing_scheduled(updated)


def test_a_new_version_with_no_update_after_a_made_one_is_its_source_and_the_old_goes(
    updated: Rehearsal,
) -> None:
    # GIVEN an updated image that was made, from a source that had an update
    fake_workspaces.set_update_available(source_of(updated))
    old_props = updated.properties()
    created = updated.cfn.request(
        "Create", updated.logical_id, old_props, before_poll=make_available_at(1)
    )
    assert created.status == "SUCCESS", created.reason
    # WHEN the next version names a fresh source, with no update, under a new name
    fresh = fake_workspaces.seed_image(name="golden-fresh")
    new_props = updated.properties(SourceImageId=fresh, Name="updated-v2")
    response = updated.cfn.request(
        "Update",
        updated.logical_id,
        new_props,
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    # THEN the resource is the fresh source
    assert response.status == "SUCCESS", response.reason
    assert response.data["ImageId"] == fresh
    # AND the cleanup deletes the image the old version made
    cleanup = updated.cfn.request(
        "Delete", updated.logical_id, old_props, physical_id=created.physical_id
    )
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert made(updated) == {}
    assert fresh in updated.aws.images()


def test_a_resolved_resource_signals_its_wait_condition_at_once(
    embedded_aws: EmbeddedAws, long_sources_cdk_out: Path
) -> None:
    # GIVEN an updated image whose timeout makes a WaitCondition wait, of a source with no update
    rehearsal = _source_rehearsal(embedded_aws, long_sources_cdk_out, case("Updated"))
    handles = rehearsal.stack.logical_ids("AWS::CloudFormation::WaitConditionHandle")
    handle_id = next(h for h in handles if h.startswith("UpdatedHandle"))
    handle_key, rehearsal.refs[handle_id] = rehearsal.cfn.new_wait_handle()
    source = fake_workspaces.seed_image(name="golden-current")

    # WHEN CloudFormation creates it
    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(SourceImageId=source)
    )

    # THEN the handle is signalled SUCCESS with the source's id, with no watcher left
    assert response.status == "SUCCESS", response.reason
    (signal,) = rehearsal.cfn.signals(handle_key)
    assert (signal["Status"], signal["Data"]) == ("SUCCESS", source)
    assert_nothing_scheduled(rehearsal)


def test_a_rollback_to_a_version_that_was_its_source_makes_no_updated_image(
    updated: Rehearsal,
) -> None:
    # GIVEN last month's version resolved to its source (no update then), and
    # this month's made an updated image (an update came out meanwhile)
    last = updated.properties(Name="updated-2026-10", Description="Image updated-2026-10")
    resolved = resolve(updated, Name="updated-2026-10", Description="Image updated-2026-10")
    fake_workspaces.set_update_available(source_of(updated))
    this = updated.properties(Name="updated-2026-11", Description="Image updated-2026-11")
    made_now = updated.cfn.request(
        "Update",
        updated.logical_id,
        this,
        physical_id=resolved.physical_id,
        old_properties=last,
        before_poll=make_available_at(1),
    )
    assert made_now.status == "SUCCESS", made_now.reason
    calls = faults.calls["CreateUpdatedWorkspaceImage"]

    # WHEN another resource fails and CloudFormation rolls this one back with
    # an Update to last month's properties
    fake_workspaces.set_stack_status(updated.cfn.stack_id, "UPDATE_ROLLBACK_IN_PROGRESS")
    back = updated.cfn.request(
        "Update", updated.logical_id, last, physical_id=made_now.physical_id, old_properties=this
    )

    # THEN it is the source again: nothing is made during the rollback
    assert back.status == "SUCCESS", back.reason
    assert back.data["ImageId"] == source_of(updated)
    assert faults.calls["CreateUpdatedWorkspaceImage"] == calls
