"""The call wrapper every handler uses: waiting out IAM, and failing with the service's words."""

from __future__ import annotations

import common
import pytest
from botocore.exceptions import ClientError


def refusal(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, "CreateWorkspaceImage")


def flaky(failures: list[ClientError], result: str = "ok"):
    def run() -> str:
        if failures:
            raise failures.pop(0)
        return result

    return run


def test_a_denied_call_is_retried_until_the_grant_applies() -> None:
    sleeps: list[float] = []
    patience = common.Patience(sleep=sleeps.append)

    result = patience.run("CreateWorkspaceImage", flaky([refusal("AccessDeniedException")] * 3))

    assert result == "ok"
    assert sleeps == [1, 2, 4]
    assert patience.spent == 7


def test_the_budget_is_shared_by_the_calls_of_one_invocation() -> None:
    sleeps: list[float] = []
    patience = common.Patience(budget=10, sleep=sleeps.append)
    patience.run("A", flaky([refusal("AccessDeniedException")] * 3))  # waits 7

    with pytest.raises(ClientError):
        patience.run("B", flaky([refusal("AccessDeniedException")] * 3))
    assert sleeps == [1, 2, 4, 1, 2]  # a third wait (4) would pass the budget of 10
    patience.reset()
    assert patience.spent == 0


def test_other_refusals_are_not_retried() -> None:
    sleeps: list[float] = []
    patience = common.Patience(sleep=sleeps.append)
    with pytest.raises(ClientError):
        patience.run("A", flaky([refusal("ResourceLimitExceededException")]))
    assert sleeps == []


def test_call_fails_a_lasting_denial_naming_action_and_resource(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(common, "patience", common.Patience(budget=3, sleep=lambda _: None))

    with pytest.raises(common.ResourceFailed) as raised:
        common.call(
            "CreateWorkspaceImage",
            flaky([refusal("AccessDeniedException")] * 9),
            "WorkSpace ws-abcdef123",
        )

    assert str(raised.value).startswith(
        "CreateWorkspaceImage on WorkSpace ws-abcdef123: AccessDeniedException for 3 s"
    )


def test_best_effort_clean_up_never_raises() -> None:
    def boom() -> None:
        raise RuntimeError("anything")

    assert common.best_effort({"RequestType": "Delete"}, "DeleteRule", boom) is False
    assert common.best_effort({"RequestType": "Delete"}, "DeleteRule", lambda: None) is True


def test_log_fields_are_json_values_and_never_a_key_the_record_owns() -> None:
    fields = common.log_fields(image_id="wsi-abcdef123", name="golden", started=object(), level=1)

    assert fields["image_id"] == "wsi-abcdef123"
    # "name" is the LogRecord's logger name, "level" the runtime's: renamed, not lost
    assert (fields["field_name"], fields["field_level"]) == ("golden", 1)
    assert "name" not in fields and "level" not in fields
    assert isinstance(fields["started"], str)


def test_log_decision_puts_each_field_beside_the_message(caplog: pytest.LogCaptureFixture) -> None:
    event = {"RequestType": "Create", "LogicalResourceId": "Golden", "ResponseURL": "https://x"}

    with caplog.at_level("INFO"):
        common.log_decision(event, "poll:wait", image_id="wsi-abcdef123", elapsed_seconds=60)

    (record,) = caplog.records
    assert record.getMessage() == "poll:wait"
    assert (record.decision, record.request, record.logical_id) == ("poll:wait", "Create", "Golden")
    assert (record.image_id, record.elapsed_seconds) == ("wsi-abcdef123", 60)
    assert "https://x" not in str(vars(record))


def throttling(status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "DescribeWorkspaceImages",
    )


def test_a_call_still_throttled_after_the_sdks_retries_is_throttled_not_refused() -> None:
    # GIVEN a call that botocore gave up on, throttled
    # WHEN it is made through the call wrapper
    with pytest.raises(common.Throttled) as raised:
        common.call("DescribeWorkspaceImages", flaky([throttling()]))

    # THEN it fails as Throttled (a ResourceFailed), in the service's words
    assert isinstance(raised.value, common.ResourceFailed)
    assert str(raised.value) == "DescribeWorkspaceImages failed: ThrottlingException: Rate exceeded"


def test_a_throttled_call_is_not_retried_by_the_wrapper() -> None:
    # botocore's retries are the mechanism; the wrapper only names the outcome
    sleeps: list[float] = []
    patience = common.Patience(sleep=sleeps.append)
    with pytest.raises(ClientError):
        patience.run("DescribeWorkspaceImages", flaky([throttling()]))
    assert sleeps == []


def test_other_refusals_are_not_throttled() -> None:
    with pytest.raises(common.ResourceFailed) as raised:
        common.call("CreateWorkspaceImage", flaky([refusal("ResourceLimitExceededException")]))
    assert not isinstance(raised.value, common.Throttled)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_call_may_start_until_the_last_start_of_the_invocation() -> None:
    # GIVEN an invocation 239 s in, whose calls may start until 239 s
    clock = Clock()
    patience = common.Patience(last_start=239, clock=clock)
    clock.now = 239

    # WHEN a call starts
    # THEN it runs
    assert patience.run("DescribeWorkspaceImages", lambda: "ok") == "ok"


def test_no_call_starts_after_the_last_start_of_the_invocation() -> None:
    # GIVEN an invocation 240 s in, whose calls may start until 239 s
    clock = Clock()
    patience = common.Patience(last_start=239, clock=clock)
    clock.now = 240
    ran: list[str] = []

    # WHEN a call would start
    with pytest.raises(common.Throttled) as raised:
        patience.run("DeleteWorkspaceImage", lambda: ran.append("called"))

    # THEN it is not made, and the reason says why
    assert ran == []
    assert str(raised.value).startswith("DeleteWorkspaceImage not started: this invocation has run")


def test_a_new_invocation_starts_its_clock_again() -> None:
    clock = Clock()
    patience = common.Patience(last_start=239, clock=clock)
    clock.now = 1000

    patience.reset()

    assert patience.run("DescribeWorkspaceImages", lambda: "ok") == "ok"


def test_the_last_start_leaves_the_longest_call_inside_the_functions_timeout() -> None:
    # The default: a call started at the last moment, taking the longest a call
    # can take (every attempt timing out, every backoff the longest), still
    # leaves the answer its margin before the function times out.
    from contract import FUNCTION_TIMEOUT_SECONDS
    from workspaces import WORST_CALL_SECONDS

    end = common.LAST_CALL_START_SECONDS + WORST_CALL_SECONDS
    assert end + common.ANSWER_MARGIN_SECONDS <= FUNCTION_TIMEOUT_SECONDS
    assert common.LAST_CALL_START_SECONDS > 0
