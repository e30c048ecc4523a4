"""keep_previous_versions (issue #17): the replaced versions beyond the N most recent go.

With RETAIN or RETAIN_ON_UPDATE_OR_DELETE, CloudFormation keeps a replaced
image (UpdateReplacePolicy Retain), so nothing would ever delete old versions
and the 40-image quota fills up. With ``keep_previous_versions=N`` the handler
deletes the replaced versions beyond the most recent N once a new version is
AVAILABLE; a rollback, or a return to an earlier version, prunes nothing.
"""

from __future__ import annotations

from typing import Any

from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import Rehearsal, assert_nothing_scheduled, make_available_at


def release(
    rehearsal: Rehearsal, version: int, previous: dict[str, Any] | None, physical_id: str = ""
) -> tuple[str, dict[str, Any]]:
    """Deploy version ``version`` of the image (a new name each month)."""
    props = rehearsal.properties(
        Name=f"golden-v{version}", Description=f"Image golden-v{version}", KeepPreviousVersions="1"
    )
    if previous is None:
        response = rehearsal.cfn.request(
            "Create", rehearsal.logical_id, props, before_poll=make_available_at(1)
        )
    else:
        response = rehearsal.cfn.request(
            "Update",
            rehearsal.logical_id,
            props,
            physical_id=physical_id,
            old_properties=previous,
            before_poll=make_available_at(1),
        )
    assert response.status == "SUCCESS", response.reason
    return response.physical_id, props


def test_only_the_most_recent_replaced_versions_are_kept(rehearsal: Rehearsal) -> None:
    # GIVEN versions 1 and 2, keeping one previous version
    v1, props1 = release(rehearsal, 1, None)
    v2, props2 = release(rehearsal, 2, props1, v1)
    assert set(rehearsal.aws.images()) == {v1, v2}

    # WHEN version 3 is AVAILABLE
    v3, _ = release(rehearsal, 3, props2, v2)

    # THEN version 1 is deleted, and the last good one (2) is kept to roll back to
    assert set(rehearsal.aws.images()) == {v2, v3}
    assert [d["image_id"] for d in rehearsal.cfn.decisions("prune:deleted")] == [v1]
    assert_nothing_scheduled(rehearsal)


def test_a_version_a_bundle_still_uses_is_kept_and_tried_again_later(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN version 1 still in use by a bundle (of another stack, say)
    v1, props1 = release(rehearsal, 1, None)
    v2, props2 = release(rehearsal, 2, props1, v1)
    fake_workspaces.images_in_use.add(v1)

    # WHEN version 3 is AVAILABLE, and later version 4, once the bundle moved on
    v3, props3 = release(rehearsal, 3, props2, v2)
    kept = set(rehearsal.aws.images())
    fake_workspaces.images_in_use.discard(v1)
    v4, _ = release(rehearsal, 4, props3, v3)

    # THEN version 1 survives while it is used, and goes with the next version
    assert kept == {v1, v2, v3}
    assert set(rehearsal.aws.images()) == {v3, v4}


def test_going_back_to_an_earlier_version_prunes_nothing(rehearsal: Rehearsal) -> None:
    # GIVEN versions 1 and 2, keeping one previous version
    v1, props1 = release(rehearsal, 1, None)
    v2, props2 = release(rehearsal, 2, props1, v1)

    # WHEN the stack goes back to version 1 (its name again): adopted, not made
    back = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        props1,
        physical_id=v2,
        old_properties=props2,
        before_poll=make_available_at(1),
    )

    # THEN both versions are still there
    assert back.status == "SUCCESS", back.reason
    assert back.physical_id == v1
    assert set(rehearsal.aws.images()) == {v1, v2}
    assert rehearsal.cfn.decisions("prune:deleted") == []


def test_keeping_no_previous_version_leaves_the_rollback_target_until_the_deploy_is_done(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN keep_previous_versions=0 (UpdateReplacePolicy Delete: CloudFormation
    # deletes the replaced version once the deploy is done)
    props1 = rehearsal.properties(Name="golden-v1", KeepPreviousVersions="0")
    v1 = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, props1, before_poll=make_available_at(1)
    ).physical_id
    props2 = rehearsal.properties(Name="golden-v2", KeepPreviousVersions="0")

    # WHEN version 2 is AVAILABLE, and then another resource fails: a rollback
    v2 = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        props2,
        physical_id=v1,
        old_properties=props1,
        before_poll=make_available_at(1),
    ).physical_id
    kept = set(rehearsal.aws.images())
    creates = fake_workspaces.faults.calls["CreateWorkspaceImage"]
    back = rehearsal.cfn.request(
        "Update", rehearsal.logical_id, props1, physical_id=v2, old_properties=props2
    )

    # THEN version 1 was still there, so the rollback adopts it: nothing is rebuilt
    assert kept == {v1, v2}
    assert back.status == "SUCCESS", back.reason
    assert back.physical_id == v1
    assert fake_workspaces.faults.calls["CreateWorkspaceImage"] == creates + 1
