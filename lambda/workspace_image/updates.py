"""What an Update of an image changes: a replacement, or tags and sharing in
place. Pure: no AWS calls, no clock, no I/O."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from properties import ImageSpec


class Change(enum.Enum):
    """What an Update has to do to the resource."""

    NONE = "none"
    IN_PLACE = "in-place"
    REPLACE = "replace"


def classify_update(old: ImageSpec, new: ImageSpec) -> Change:
    """An image cannot be edited: only its tags and its sharing change in place."""
    if (old.source, old.name, old.description) != (new.source, new.name, new.description):
        return Change.REPLACE
    if dict(old.tags) != dict(new.tags) or set(old.share_with) != set(new.share_with):
        return Change.IN_PLACE
    return Change.NONE


def share_diff(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Return the accounts to share with and those to stop sharing with."""
    return sorted(set(new) - set(old)), sorted(set(old) - set(new))


def needs_watch(old: ImageSpec | None, new: ImageSpec, change: Change) -> bool:
    """Whether a WaitCondition is waiting for a signal this request must arrange.

    A new handle appears on Create, on a replacement, and when the timeout
    changes; a handle that was signalled cannot be signalled again.
    """
    if new.wait_handle is None:
        return False
    return old is None or change is Change.REPLACE or old.wait_handle != new.wait_handle


def accounts_to_revoke(managed: tuple[str, ...] | list[str], shared: set[str]) -> list[str]:
    """Only an account the image is shared with can be revoked (the API refuses others)."""
    return sorted(set(managed) & shared)
