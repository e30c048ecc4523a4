"""The rules shared by the construct (synth time) and the handler (deploy time)."""

from __future__ import annotations

import contract
import pytest


@pytest.mark.parametrize("name", ["golden-2026-11", "a", "x" * 64, "Win_11/(base).v2"])
def test_valid_names(name: str) -> None:
    assert contract.name_error(name, "image_name") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", '"image_name" must be 1-64 characters long, got 0'),
        ("x" * 65, '"image_name" must be 1-64 characters long, got 65'),
        ("golden image", "\"image_name\" 'golden image' contains ' '; allowed: letters, digits"),
        ("golden:1", "contains ':'"),
    ],
)
def test_invalid_names_name_the_argument_and_the_rule(name: str, expected: str) -> None:
    error = contract.name_error(name, "image_name")
    assert error is not None
    assert expected in error


def test_descriptions_allow_spaces_but_not_colons() -> None:
    assert contract.description_error("Golden image (Nov)", "description") is None
    assert "contains ':'" in (contract.description_error("a: b", "description") or "")
    assert "1-256" in (contract.description_error("x" * 257, "description") or "")


@pytest.mark.parametrize("workspace_id", ["ws-abcdefgh", "ws-" + "a1" * 31])
def test_valid_workspace_ids(workspace_id: str) -> None:
    assert contract.workspace_id_error(workspace_id, "workspace_id") is None


@pytest.mark.parametrize("workspace_id", ["ws-ABCDEFGH", "ws-abc", "wsi-abcdefgh", " ws-abcdefgh"])
def test_invalid_workspace_ids(workspace_id: str) -> None:
    assert "is not a WorkSpace id" in (
        contract.workspace_id_error(workspace_id, "workspace_id") or ""
    )


def test_tags_leave_room_for_the_owner_tags() -> None:
    assert contract.tags_errors({f"k{i}": "v" for i in range(48)}, "tags") == []
    (error,) = contract.tags_errors({f"k{i}": "v" for i in range(49)}, "tags")
    assert "49 tags; at most 48" in error


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"k" * 128: "v"}, "must be 1-127 characters, got 128"),
        ({"": "v"}, "must be 1-127 characters, got 0"),
        ({"k": "v" * 256}, "at most 255 characters, got 256"),
        ({"aws:x": "v"}, 'starts with "aws:"'),
        ({contract.OWNER_STACK_TAG: "v"}, "reserved for cdk-workspace-image"),
        ({"k": "a;b"}, "has a character outside"),
    ],
)
def test_bad_tags(tags: dict[str, str], expected: str) -> None:
    errors = contract.tags_errors(tags, "tags")
    assert any(expected in error for error in errors), errors


def test_poll_interval_is_whole_minutes_of_at_least_one() -> None:
    assert contract.poll_interval_error(1, "poll_interval") is None
    assert "whole number of minutes" in (contract.poll_interval_error(0.5, "poll_interval") or "")
    assert "whole number of minutes" in (contract.poll_interval_error(0, "poll_interval") or "")


def test_timeout_is_at_most_12_hours_and_longer_than_the_poll_interval() -> None:
    assert contract.timeout_error(43200, 60, "timeout") is None
    assert "at most 12 hours" in (contract.timeout_error(43201, 60, "timeout") or "")
    assert "longer than the poll interval" in (contract.timeout_error(300, 300, "timeout") or "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("wsi-abcdef123", True), ("wsi-abc", False), ("Stack_Golden_ABCD1234", False), ("", False)],
)
def test_is_image_id(value: str, expected: bool) -> None:
    assert contract.is_image_id(value) is expected
