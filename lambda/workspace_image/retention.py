"""What is kept, and for how long: pure decisions, no AWS calls, no clock.

Images take up to hours to make, so the handler throws none away that it
might need again (docs/failure-modes.md, "Never rebuild what already finished"):

- An image that a deploy finished (AVAILABLE), and that the deploy's rollback
  would delete, is *parked* instead: tagged ``contract.PARKED_TAG`` with the
  time until which it is kept, and listed in the account's parked index
  (SSM, ``contract.PARKED_PATH``). The next deploy of the same resource adopts
  it by name and owner tags (``adoptable``); after that time any provider of
  the library in the account and Region deletes it (``due``).
- An image still being made when the rollback reaches it is deleted as soon
  as the service lets it; if the rollback cannot wait that long, it is
  parked until now, so that the first provider to run after it is done
  deletes it.
- ``keep_previous_versions``: once a new version is AVAILABLE, the replaced
  versions beyond the N most recent are deleted (``to_prune``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import contract

# The stack's state while CloudFormation rolls back a deploy: a Delete then
# undoes the deploy's work, which the handler keeps rather than throws away
# (CloudFormation User Guide, "Stack status codes"; botocore's StackStatus).
ROLLBACK_STATUSES = frozenset(
    {
        "ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "IMPORT_ROLLBACK_IN_PROGRESS",
    }
)


def is_rollback(status: str | None, root_status: str | None = None) -> bool:
    """Whether a Delete arriving now undoes a deploy (rather than removes on purpose).

    A nested stack is deleted, not rolled back, when its parent's create rolls
    back: then the root stack's status says so. A status that could not be
    read (None) counts as a rollback: parking an image costs a few days of
    quota, deleting one by mistake costs hours of work.
    """
    if status is None:
        return True
    if status in ROLLBACK_STATUSES:
        return True
    return status == "DELETE_IN_PROGRESS" and root_status in ROLLBACK_STATUSES


def parked_until(now: float, hours: float) -> str:
    """The value of the parked tag: when the image may be collected, ISO 8601 UTC."""
    moment = datetime.fromtimestamp(now, UTC) + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def due(value: str | None, now: float) -> bool:
    """Whether a parked image's time is up (a value that cannot be read is not due)."""
    if not value:
        return False
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return False
    return moment.timestamp() <= now


def adoptable(tags: Mapping[str, str], stack_id: str, logical_id: str) -> bool:
    """Whether this resource may take an existing image as its own.

    Its own (owner tags name this stack and resource), or one that an earlier
    stack of the same name made for the same logical id: a first deploy that
    rolls back leaves a stack that must be deleted, and its next deploy is a
    new stack (a new StackId) of the same name. Stack names are unique among
    the live stacks of an account and Region, so the earlier stack is gone.
    """
    if tags.get(contract.OWNER_LOGICAL_ID_TAG) != logical_id:
        return False
    owner = tags.get(contract.OWNER_STACK_TAG, "")
    if owner == stack_id:
        return True
    return bool(owner) and contract.stack_name_of(owner) == contract.stack_name_of(stack_id)


def collectable(tags: Mapping[str, str], now: float) -> bool:
    """Whether the sweep may delete an image: made by this library, parked, and due."""
    return bool(tags.get(contract.OWNER_STACK_TAG)) and due(tags.get(contract.PARKED_TAG), now)


def with_current(history: Sequence[str], current: str) -> list[str]:
    """The resource's versions in the order they became current, ``current`` last."""
    return [*(image_id for image_id in history if image_id != current), current]


def to_prune(history: Sequence[str], current: str, keep: int, previous: str = "") -> list[str]:
    """The replaced versions beyond the ``keep`` most recent: to be deleted.

    The version that was current before this request (``previous``) is never
    among them: the deploy is not over, and a rollback goes back to it. With
    ``keep`` 0 nothing is pruned here: CloudFormation deletes the replaced
    version once the deploy is done (UpdateReplacePolicy Delete).
    """
    if keep <= 0:
        return []
    replaced = [image_id for image_id in history if image_id != current]
    return [i for i in replaced[: max(len(replaced) - keep, 0)] if i != previous]
