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
    assert contract.tags_errors({f"k{i}": "v" for i in range(47)}, "tags") == []
    (error,) = contract.tags_errors({f"k{i}": "v" for i in range(48)}, "tags")
    assert "48 tags; at most 47" in error


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


def test_every_compute_type_has_a_volume_rule() -> None:
    assert set(contract.VOLUME_GROUPS) == set(contract.COMPUTE_TYPES)


@pytest.mark.parametrize(
    ("compute_type", "root", "user"),
    [
        ("VALUE", 80, 10),
        ("STANDARD", 80, 50),
        ("POWERPRO", 80, 100),
        ("PERFORMANCE", 175, 100),
        ("POWER", 2000, 2000),
        ("GENERALPURPOSE_4XLARGE", 175, 100),
        ("GENERALPURPOSE_8XLARGE", 2000, 2000),
        ("GRAPHICSPRO", 100, 100),
        ("GRAPHICS", 100, 100),
        ("GRAPHICS_G4DN", 100, 100),
        ("GRAPHICSPRO_G4DN", 150, 120),
        ("GRAPHICS_G6_XLARGE", 100, 100),
        ("GRAPHICS_G7_12XLARGE", 2000, 2000),
    ],
)
def test_volume_sizes_the_guide_allows_for_the_compute_type(
    compute_type: str, root: int, user: int
) -> None:
    assert contract.storage_error(compute_type, root, user, "root", "user") is None


@pytest.mark.parametrize(
    ("compute_type", "root", "user"),
    [
        ("STANDARD", 80, 20),
        ("STANDARD", 100, 100),
        ("STANDARD", 175, 50),
        ("VALUE", 2001, 100),
        ("GENERALPURPOSE_4XLARGE", 80, 50),
        ("GENERALPURPOSE_8XLARGE", 100, 100),
        ("GRAPHICSPRO", 80, 50),
        ("GRAPHICS_G4DN", 80, 100),
        ("GRAPHICS_G6_XLARGE", 100, 50),
        ("GRAPHICS_GR6F_4XLARGE", 99, 100),
    ],
)
def test_volume_sizes_the_guide_refuses_for_the_compute_type(
    compute_type: str, root: int, user: int
) -> None:
    assert "do not go together" in (
        contract.storage_error(compute_type, root, user, "root", "user") or ""
    )


def test_a_storage_error_names_both_arguments_the_compute_type_and_its_rule() -> None:
    error = contract.storage_error("GRAPHICSPRO", 80, 50, "root_storage_gib", "user_storage_gib")
    assert error == (
        '"root_storage_gib" 80 and "user_storage_gib" 50 do not go together for GRAPHICSPRO; '
        "allowed: root_storage_gib 100-2000 with user_storage_gib 100-2000 (GiB)"
    )


def test_a_storage_error_lists_every_group_of_the_compute_type() -> None:
    error = contract.storage_error("STANDARD", 100, 100, "root", "user")
    assert error is not None
    assert error.endswith(
        "allowed: root 80 with user 10, 50, 100, or root 175-2000 with user 100-2000 (GiB)"
    )


@pytest.mark.parametrize(
    ("root", "user"), [(175.5, 100), (175, 100.5), (float("nan"), 100), (float("inf"), 100)]
)
def test_volume_sizes_must_be_whole_gib(root: float, user: float) -> None:
    assert contract.storage_error("POWER", root, user, "root", "user") is not None


def test_an_unknown_compute_type_is_left_to_compute_type_error() -> None:
    assert contract.storage_error("HUGE", 1, 1, "root", "user") is None
    assert contract.compute_type_error("HUGE", "compute_type") is not None


def test_each_stack_has_its_own_rule_prefix_and_state_path_from_its_stack_id() -> None:
    stack_id = (
        "arn:aws:cloudformation:us-east-1:123456789012:stack/Desktops/"
        "0f6c5a40-9e2b-11ef-8d4b-0a1b2c3d4e5f"
    )
    nested = (
        "arn:aws:cloudformation:us-east-1:123456789012:stack/Desktops-NestedStackA1B2-XYZ/"
        "7d0e1f20-9e2b-11ef-8d4b-0a1b2c3d4e5f"
    )
    assert contract.stack_name_of(stack_id) == "Desktops"
    prefix = contract.stack_rule_prefix(stack_id)
    assert prefix == "cdk-wsi-0f6c5a40-9e2b-11ef-8d4b-0a1b2c3d4e5f-"
    assert contract.stack_rule_prefix(nested) != prefix
    assert contract.state_path(stack_id) == (
        "/cdk-workspace-image/0f6c5a40-9e2b-11ef-8d4b-0a1b2c3d4e5f"
    )


@pytest.mark.parametrize("stack_id", ["", "Desktops", "arn:aws:cloudformation:::stack/D/x"])
def test_a_value_that_is_not_a_stack_id_has_no_prefix(stack_id: str) -> None:
    with pytest.raises(ValueError, match="not a CloudFormation StackId"):
        contract.stack_rule_prefix(stack_id)


# --- Windows 11 (ImportCustomWorkspaceImage Protocol, ImportWorkspaceImage Applications) ---


def test_windows_11_refuses_pcoip_and_windows_10_takes_it() -> None:
    assert "Windows 11 does not support PCoIP" in (
        contract.os_protocol_error("Windows_11", "PCOIP", "OsVersion", "Protocol") or ""
    )
    assert contract.os_protocol_error("Windows_11", "DCV", "OsVersion", "Protocol") is None
    assert contract.os_protocol_error("Windows_10", "PCOIP", "OsVersion", "Protocol") is None


@pytest.mark.parametrize(
    ("ingestion_process", "protocol"),
    [
        ("BYOL_REGULAR", "PCOIP"),
        ("BYOL_GRAPHICS_G4DN", "PCOIP"),
        ("BYOL_REGULAR_WSP", "DCV"),
        ("BYOL_GRAPHICS_G4DN_WSP", "DCV"),
        ("BYOL_REGULAR_BYOP", "BYOP"),
    ],
)
def test_an_ingestion_process_names_its_protocol(ingestion_process: str, protocol: str) -> None:
    assert contract.ingestion_protocol(ingestion_process) == protocol


@pytest.mark.parametrize(
    ("ingestion_process", "applications", "refused"),
    [
        ("BYOL_REGULAR_WSP", ["Microsoft_Office_2019"], False),
        ("BYOL_REGULAR_WSP", ["Microsoft_Office_2016"], True),
        ("BYOL_GRAPHICS_G4DN_WSP", ["Microsoft_Office_2019"], True),
        ("BYOL_REGULAR_WSP", [], False),
        # Not documented for BYOP: left to the service.
        ("BYOL_REGULAR_BYOP", ["Microsoft_Office_2016"], False),
    ],
)
def test_office_on_windows_11_is_2019_and_only_without_a_gpu(
    ingestion_process: str, applications: list[str], refused: bool
) -> None:
    error = contract.office_os_error(
        "Windows_11", ingestion_process, applications, "os_version", "applications"
    )
    assert (error is not None) == refused


def test_office_on_windows_10_is_not_judged() -> None:
    assert (
        contract.office_os_error(
            "Windows_10", "BYOL_GRAPHICS_G4DN_WSP", ["Microsoft_Office_2016"], "os", "apps"
        )
        is None
    )
