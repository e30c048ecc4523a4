"""crhelper fixes that can be checked without the embedded AWS."""

from __future__ import annotations

import json
import socket
from typing import Any

import common
import contract
import polling_helper
import pytest
import trust


def test_an_unreachable_response_url_is_given_up_after_bounded_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(trust.ENV_REHEARSAL_ENDPOINT, f"127.0.0.1:{port}")
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


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example.com/r",
        "https://127.0.0.1:8443/r",
        "https://my-bucket.s3.amazonaws.com/r",
        "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/r",
    ],
)
def test_an_answer_goes_only_to_cloudformations_own_buckets(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv(trust.ENV_REHEARSAL_ENDPOINT, raising=False)
    sleeps: list[float] = []

    delivered = polling_helper.send_response(url, {"Status": "SUCCESS"}, sleep=sleeps.append)

    # No connection is even tried: refused at once
    assert delivered is False
    assert sleeps == []


STACK_ID = (
    "arn:aws:cloudformation:us-east-1:123456789012:stack/S/0f6c5a40-9e2b-11ef-8d4b-0a1b2c3d4e5f"
)
OTHER_STACK_ID = (
    "arn:aws:cloudformation:us-east-1:123456789012:stack/S/7d0e1f20-9e2b-11ef-8d4b-0a1b2c3d4e5f"
)
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
        OTHER_STACK_ID, "Golden"
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
    # The provider's permission and IAM policy are scoped to this prefix: the
    # template computes it from AWS::StackId, the handler from the event's StackId.
    name = polling_helper.rule_name(STACK_ID, "Golden")
    assert name.startswith("cdk-wsi-0f6c5a40-9e2b-11ef-8d4b-0a1b2c3d4e5f-")
    assert not name.startswith(contract.stack_rule_prefix(OTHER_STACK_ID))


def test_a_schedule_names_only_its_resource_in_the_rules_target() -> None:
    target = polling_helper.schedule_input("Golden")
    assert target == {contract.SCHEDULE_EVENT_KEY: "Golden"}
    assert "ResponseURL" not in json.dumps(target)


class MemoryState:
    """The state store in a dict: one schedule per logical id."""

    def __init__(self) -> None:
        self.schedules: dict[str, polling_helper.Schedule] = {}

    def get(self, logical_id: str) -> polling_helper.Schedule | None:
        return self.schedules.get(logical_id)

    def put(self, logical_id: str, schedule: polling_helper.Schedule) -> None:
        self.schedules[logical_id] = schedule

    def delete(self, logical_id: str) -> None:
        self.schedules.pop(logical_id, None)


class RecordingEvents:
    """EventBridge's rule calls, recorded; every rule has our one target."""

    def __init__(self) -> None:
        self.deleted_rules: list[str] = []

    def list_targets_by_rule(self, Rule: str) -> dict[str, Any]:
        return {"Targets": [{"Id": polling_helper.TARGET_ID}]}

    def remove_targets(self, Rule: str, Ids: list[str]) -> dict[str, Any]:
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def delete_rule(self, Name: str) -> None:
        self.deleted_rules.append(Name)


@pytest.fixture
def helper(monkeypatch: pytest.MonkeyPatch) -> polling_helper.ImageResourceHelper:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv(contract.ENV_STACK_ID, STACK_ID)
    made = polling_helper.ImageResourceHelper(common.Patience(sleep=lambda _: None))
    made.state = MemoryState()  # type: ignore[assignment]
    made._clients["events"] = RecordingEvents()
    return made


def poll_schedule(request_id: str) -> polling_helper.Schedule:
    return polling_helper.Schedule(
        polling_helper.POLL,
        {"RequestId": request_id, "StackId": STACK_ID, "LogicalResourceId": "Golden"},
    )


def test_a_superseded_poll_leaves_the_newer_requests_schedule_alone(
    helper: polling_helper.ImageResourceHelper,
) -> None:
    # GIVEN a newer request took the resource's schedule over while a poll of request "old" ran
    helper.state.put("Golden", poll_schedule("new"))

    # WHEN the old poll is done and removes its schedule
    over = helper.remove_schedule(STACK_ID, "Golden", "provider", strict=False, request_id="old")

    # THEN its own schedule is over, and the newer one's state and rule are still there
    assert over is True
    assert helper.state.get("Golden") == poll_schedule("new")
    assert helper._clients["events"].deleted_rules == []


def test_a_poll_still_current_removes_its_state_and_rule(
    helper: polling_helper.ImageResourceHelper,
) -> None:
    helper.state.put("Golden", poll_schedule("old"))

    over = helper.remove_schedule(STACK_ID, "Golden", "provider", strict=False, request_id="old")

    assert over is True
    assert helper.state.get("Golden") is None
    assert helper._clients["events"].deleted_rules == [
        polling_helper.schedule_name(STACK_ID, "Golden")
    ]


def test_a_poll_whose_state_a_newer_request_removed_leaves_the_rule_alone(
    helper: polling_helper.ImageResourceHelper,
) -> None:
    # GIVEN the newer request removed the old state and has put its rule, not yet its state
    over = helper.remove_schedule(STACK_ID, "Golden", "provider", strict=False, request_id="old")

    # THEN the rule, which may be the newer request's, is not deleted
    assert over is True
    assert helper._clients["events"].deleted_rules == []


def test_a_poll_that_cannot_read_its_state_has_not_removed_its_schedule(
    helper: polling_helper.ImageResourceHelper,
) -> None:
    # GIVEN SSM refuses the read (a lasting error, or the invocation's last call has passed)
    helper.state.put("Golden", poll_schedule("old"))

    def refused(logical_id: str) -> None:
        raise RuntimeError("SSM said no")

    helper.state.get = refused  # type: ignore[method-assign]

    # WHEN the poll removes its schedule as a clean-up
    over = helper.remove_schedule(STACK_ID, "Golden", "provider", strict=False, request_id="old")

    # THEN it says the schedule is not over (the next poll answers), and touched nothing
    assert over is False
    assert helper.state.schedules["Golden"] == poll_schedule("old")
    assert helper._clients["events"].deleted_rules == []


class FunctionContext:
    function_name = "provider"


@pytest.mark.parametrize(
    ("event", "newer_schedule_kept"),
    [
        # A poll of request "old": a newer request's schedule is not its to remove
        ({"CrHelperPoll": True}, True),
        # A first call that answers: it superseded any schedule there was, so it removes
        ({}, False),
    ],
)
def test_only_a_poll_checks_whose_schedule_it_removes(
    helper: polling_helper.ImageResourceHelper, event: dict[str, Any], newer_schedule_kept: bool
) -> None:
    helper.state.put("Golden", poll_schedule("new"))
    helper._event = {
        "StackId": STACK_ID,
        "LogicalResourceId": "Golden",
        "RequestId": "old",
        **event,
    }
    helper._context = FunctionContext()

    helper._remove_polling()

    assert (helper.state.get("Golden") is not None) is newer_schedule_kept
    assert (helper._clients["events"].deleted_rules == []) is newer_schedule_kept
