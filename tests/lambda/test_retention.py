"""What is kept, and for how long (retention.py): parked images, adoption, pruning."""

from __future__ import annotations

import contract
import pytest
import retention

STACK = (
    "arn:aws:cloudformation:us-east-1:123456789012:stack/Desktops/"
    "0f6c5a40-9e2b-11ef-8d4b-0a1b2c3d4e5f"
)
REDEPLOYED = STACK.replace("0f6c5a40", "7d0e1f20")
OTHER_NAME = STACK.replace("Desktops", "Laptops")


@pytest.mark.parametrize(
    ("status", "root_status", "rollback"),
    [
        ("ROLLBACK_IN_PROGRESS", None, True),
        ("UPDATE_ROLLBACK_IN_PROGRESS", None, True),
        ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None, True),
        ("DELETE_IN_PROGRESS", None, False),
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None, False),
        # A nested stack is deleted when its parent's create rolls back.
        ("DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", True),
        ("DELETE_IN_PROGRESS", "DELETE_IN_PROGRESS", False),
        # Unknown: keep the image rather than throw hours away.
        (None, None, True),
    ],
)
def test_a_delete_undoes_a_deploy_only_while_the_stack_rolls_back(
    status: str | None, root_status: str | None, rollback: bool
) -> None:
    assert retention.is_rollback(status, root_status) is rollback


def test_a_parked_image_is_due_once_its_time_is_up() -> None:
    now = 1_800_000_000.0
    until = retention.parked_until(now, 7 * 24)

    assert until == "2027-01-22T08:00:00Z"
    assert not retention.due(until, now)
    assert retention.due(until, now + 7 * 24 * 3600)
    assert retention.due(retention.parked_until(now, 0), now)
    assert not retention.due("next tuesday", now + 10**9)
    assert not retention.due(None, now)


def owner(stack_id: str, logical_id: str = "Golden") -> dict[str, str]:
    return {contract.OWNER_STACK_TAG: stack_id, contract.OWNER_LOGICAL_ID_TAG: logical_id}


def test_a_resource_adopts_its_own_image_and_one_an_earlier_stack_of_its_name_made() -> None:
    assert retention.adoptable(owner(STACK), STACK, "Golden")
    # A first deploy that rolled back was deleted; the redeploy is a new stack.
    assert retention.adoptable(owner(STACK), REDEPLOYED, "Golden")


@pytest.mark.parametrize(
    "tags",
    [owner(STACK, "Silver"), owner(OTHER_NAME), {}, {contract.OWNER_LOGICAL_ID_TAG: "Golden"}],
)
def test_no_other_image_is_adopted(tags: dict[str, str]) -> None:
    assert not retention.adoptable(tags, STACK, "Golden")


def test_the_sweep_collects_only_a_parked_image_of_the_library_whose_time_is_up() -> None:
    now = 1_800_000_000.0
    parked = {**owner(STACK), contract.PARKED_TAG: retention.parked_until(now, 0)}
    later = {**owner(STACK), contract.PARKED_TAG: retention.parked_until(now, 1)}
    not_ours = {contract.PARKED_TAG: retention.parked_until(now, 0)}

    assert retention.collectable(parked, now)
    assert not retention.collectable(later, now)
    assert not retention.collectable(not_ours, now)
    assert not retention.collectable(owner(STACK), now)


def test_versions_are_kept_in_the_order_they_became_current() -> None:
    assert retention.with_current(["a", "b", "c"], "a") == ["b", "c", "a"]
    assert retention.with_current([], "a") == ["a"]


@pytest.mark.parametrize(("keep", "pruned"), [(1, ["v1", "v2"]), (2, ["v1"]), (5, [])])
def test_pruning_keeps_the_most_recent_replaced_versions(keep: int, pruned: list[str]) -> None:
    assert retention.to_prune(["v1", "v2", "v3", "v4"], "v4", keep) == pruned


def test_pruning_never_deletes_the_version_a_rollback_would_go_back_to() -> None:
    # keep 1 of [v1, v2, v3] after v4: v1 and v2 go, but v2 was current before
    # this request (the deploy is not over): it stays until the next version.
    assert retention.to_prune(["v1", "v2", "v3", "v4"], "v4", 1, previous="v2") == ["v1"]


def test_keeping_no_previous_version_is_left_to_cloudformation() -> None:
    # UpdateReplacePolicy Delete: CloudFormation deletes it once the deploy is done.
    assert retention.to_prune(["v1", "v2", "v3"], "v3", 0, previous="v2") == []
