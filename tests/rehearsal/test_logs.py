"""The provider function's logs: one JSON object a line, queryable by field.

The function's LoggingConfig is JSON (provider.py), and the rehearsal's
bootstrap formats records as the Python runtime does in that format, so what
the tests read is what CloudWatch Logs would hold.
"""

from __future__ import annotations

from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import Rehearsal, make_available_at


def test_every_line_the_function_prints_is_one_json_object(rehearsal: Rehearsal) -> None:
    # GIVEN a lifecycle that makes every kind of line: crhelper's own, decisions,
    # retries, a dropped response connection, a refused request, and polls
    fake_workspaces.faults.inject("CreateWorkspaceImage", "ThrottlingException", "Rate exceeded", 1)
    rehearsal.aws.endpoint.drop_next_connections(1)
    created = rehearsal.cfn.request(
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(),
        before_poll=make_available_at(3),
    )
    rehearsal.cfn.request("Create", "Refused", rehearsal.properties(Name="bad name"))
    rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=created.physical_id
    )
    assert created.status == "SUCCESS", created.reason

    # WHEN the lines are read as CloudWatch Logs would hold them
    lines = [line for line in rehearsal.cfn.logs().splitlines() if line.strip()]
    records = rehearsal.cfn.log_records()  # raises on a line that is not JSON

    # THEN each is an object with the runtime's keys, crhelper's lines included
    assert len(records) == len(lines) > 10
    assert all(isinstance(record, dict) for record in records)
    assert all({"timestamp", "level", "message", "requestId"} <= set(r) for r in records)
    loggers = {record["logger"] for record in records}
    assert {"crhelper.resource_helper", "common"} <= loggers
    assert any(record.get("errorType") for record in records)  # the refusal's traceback


def test_the_poll_line_has_its_fields_at_the_top_level(rehearsal: Rehearsal) -> None:
    # GIVEN an image that is PENDING for two polls
    rehearsal.cfn.request(
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(),
        before_poll=make_available_at(3),
    )

    # WHEN Logs Insights would read the poll lines
    polls = [
        record
        for record in rehearsal.cfn.log_records()
        if record.get("decision", "").startswith("poll:")
    ]

    # THEN decision, image, state and elapsed time are fields of their own
    (image_id,) = rehearsal.aws.images()
    assert [(p["decision"], p["state"]) for p in polls] == [
        ("poll:wait", "PENDING"),
        ("poll:wait", "PENDING"),
        ("poll:available", "AVAILABLE"),
    ]
    for poll in polls:
        assert poll["message"] == poll["decision"]
        assert poll["image_id"] == image_id
        assert poll["logical_id"] == rehearsal.logical_id
        assert poll["request"] == "Create"
        assert isinstance(poll["elapsed_seconds"], int)
