"""crhelper fixes that can be checked without the embedded AWS."""

from __future__ import annotations

import json
import socket

import contract
import polling_helper
import pytest


def test_an_unreachable_response_url_is_given_up_after_bounded_attempts() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []

    delivered = polling_helper.send_response(
        f"https://127.0.0.1:{port}/r?X-Amz-Signature=secret",
        {"Status": "SUCCESS", "Data": {}},
        sleep=sleeps.append,
    )

    assert delivered is False
    assert sleeps == [polling_helper.RESPONSE_RETRY_SECONDS] * (
        polling_helper.RESPONSE_ATTEMPTS - 1
    )


STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/S/1b2c"
PROPS = {
    "Name": "golden-2026-11",
    "PollIntervalMinutes": "1",
    "TimeoutSeconds": "3600",
    "WorkspaceId": "ws-abcdef123",
}


def test_schedule_names_fit_eventbridge_for_the_longest_logical_ids() -> None:
    logical_id = "A" * 255
    name = polling_helper.rule_name(STACK_ID, logical_id)
    assert len(name) == 64
    assert name.startswith(contract.RULE_NAME_PREFIX)


def test_schedule_names_are_fixed_per_stack_and_resource() -> None:
    assert polling_helper.rule_name(STACK_ID, "Golden") == polling_helper.rule_name(
        STACK_ID, "Golden"
    )
    assert polling_helper.rule_name(STACK_ID, "Golden") != polling_helper.rule_name(
        STACK_ID, "Silver"
    )
    assert polling_helper.rule_name(STACK_ID, "Golden") != polling_helper.rule_name(
        STACK_ID + "2", "Golden"
    )


@pytest.mark.parametrize(("minutes", "expected"), [(1, "rate(1 minute)"), (5, "rate(5 minutes)")])
def test_schedule_expression(minutes: int, expected: str) -> None:
    assert polling_helper.schedule_expression(minutes) == expected


def test_the_poll_input_drops_what_polls_do_not_need() -> None:
    event = {
        "RequestType": "Update",
        "ResponseURL": "https://example.invalid/x",
        "StackId": STACK_ID,
        "RequestId": "r",
        "LogicalResourceId": "Golden",
        "PhysicalResourceId": "wsi-1",
        "ServiceToken": "arn",
        "ResourceProperties": {
            **PROPS,
            "Tags": [{"Key": f"k{i}", "Value": "v" * 255} for i in range(48)],
        },
        "OldResourceProperties": PROPS,
        "CrHelperData": {"ImageId": "wsi-2"},
    }
    trimmed = polling_helper.poll_event(event)
    assert "OldResourceProperties" not in trimmed
    assert "ServiceToken" not in trimmed
    assert set(trimmed["ResourceProperties"]) == {"Name", "PollIntervalMinutes", "TimeoutSeconds"}
    assert len(json.dumps(trimmed)) < polling_helper.MAX_TARGET_INPUT_LENGTH
    assert trimmed["CrHelperData"] == {"ImageId": "wsi-2"}


def test_an_oversized_response_turns_into_a_failure_that_fits() -> None:
    body = {
        "Status": "SUCCESS",
        "Reason": "",
        "PhysicalResourceId": "wsi-1",
        "Data": {"x": "y" * 5000},
    }
    fitted = polling_helper.fit_response(body)
    assert fitted["Status"] == "FAILED"
    assert fitted["Data"] == {}
    assert len(json.dumps(fitted)) <= polling_helper.MAX_RESPONSE_BYTES
    small = {**body, "Data": {"ImageId": "wsi-1"}}
    assert polling_helper.fit_response(small) is small


def test_schedule_names_start_with_the_stacks_own_prefix() -> None:
    # The provider's permission and IAM policy are scoped to this prefix at synth time.
    name = polling_helper.rule_name(STACK_ID, "Golden")
    assert name.startswith(contract.stack_rule_prefix("S"))
    assert not name.startswith(contract.stack_rule_prefix("T"))


def test_schedule_names_take_the_providers_prefix_when_given() -> None:
    assert polling_helper.rule_name(STACK_ID, "Golden", "cdk-wsi-0badcafe-").startswith(
        "cdk-wsi-0badcafe-"
    )
