"""Tags: the owner tags that mark what a resource made, and the user's tags to
set or remove. Pure: no AWS calls, no clock, no I/O."""

from __future__ import annotations

from collections.abc import Mapping

import contract


def tag_diff(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Return the tags to set (new or changed) and the keys to remove; never the owner tags."""
    to_set = {
        key: value
        for key, value in new.items()
        if old.get(key) != value and key not in contract.RESERVED_TAG_KEYS
    }
    to_remove = sorted(
        key for key in old if key not in new and key not in contract.RESERVED_TAG_KEYS
    )
    return to_set, to_remove


def owner_tags(stack_id: str, logical_id: str) -> dict[str, str]:
    """Tags that mark an image as made by this resource of this stack."""
    return {contract.OWNER_STACK_TAG: stack_id, contract.OWNER_LOGICAL_ID_TAG: logical_id}


def creation_tags(
    user_tags: Mapping[str, str], stack_id: str, logical_id: str
) -> list[dict[str, str]]:
    """The ``Tags`` argument of a Create call: the user's and the owner's."""
    tags = {**user_tags, **owner_tags(stack_id, logical_id)}
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


def is_owned_by(tags: Mapping[str, str], stack_id: str, logical_id: str) -> bool:
    """Tell whether an image's tags say that this resource made it."""
    return all(tags.get(key) == value for key, value in owner_tags(stack_id, logical_id).items())
