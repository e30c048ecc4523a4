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
