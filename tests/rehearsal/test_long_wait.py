"""Timeouts over 55 minutes: a WaitCondition waits, and a watcher signals it.

The example app is synthesized with an 8-hour timeout. CloudFormation's
WaitConditionHandle is the local HTTPS endpoint again; the clock moves by the
poll interval at each scheduled poll, so hours pass without sleeping.
"""

from __future__ import annotations

from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import LongWait, Rehearsal

READY = "Custom::WorkspaceImageReady"


def polls(rehearsal: Rehearsal) -> int:
    return sum(1 for invocation in rehearsal.cfn.invocations if invocation.scheduled)


def start(long_wait: LongWait, **overrides: str) -> tuple[Rehearsal, str]:
    """CloudFormation creates the resource; return the image id it answered with."""
    rehearsal = long_wait.rehearsal
    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(**overrides)
    )
    assert response.status == "SUCCESS", response.reason
    return rehearsal, response.physical_id


def test_the_custom_resource_answers_at_once_with_the_started_image(long_wait: LongWait) -> None:
    rehearsal, image_id = start(long_wait)

    assert rehearsal.aws.images()[image_id]["State"] == "PENDING"
    assert polls(rehearsal) == 0
    assert rehearsal.cfn.signals(long_wait.handle_key) == []
    (rule,) = rehearsal.aws.poll_rules()
    assert rule["ScheduleExpression"] == "rate(1 minute)"


def test_the_watcher_signals_success_with_the_image_id_once_available(long_wait: LongWait) -> None:
    # GIVEN an image that takes three hours, polled every 30 minutes
    rehearsal, image_id = start(long_wait, PollIntervalMinutes="30")

    def build(n: int) -> None:
        if rehearsal.cfn.clock_offset >= 3 * 3600:
            fake_workspaces.set_image_state(image_id, "AVAILABLE")

    # WHEN the schedule fires every minute
    rehearsal.cfn.play_schedules(
        lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)), build, 400
    )

    # THEN the handle gets one SUCCESS signal carrying the image id
    (signal,) = rehearsal.cfn.signals(long_wait.handle_key)
    assert signal["Status"] == "SUCCESS"
    assert signal["UniqueId"] == "ImageId"
    assert signal["Data"] == image_id
    assert polls(rehearsal) == 6
    # AND the watcher removed its schedule
    assert rehearsal.aws.poll_rules() == []
    assert rehearsal.policy_changed_at_run_time() == []


def test_image_id_comes_from_the_ready_resource_after_the_wait(long_wait: LongWait) -> None:
    # GIVEN the wait is over and signalled
    rehearsal, image_id = start(long_wait)
    fake_workspaces.set_image_state(image_id, "AVAILABLE")
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)))

    # WHEN CloudFormation creates the resource that depends on the wait condition
    (ready_id,) = rehearsal.stack.logical_ids(READY)
    ready = rehearsal.cfn.request("Create", ready_id, {"ImageId": image_id}, resource_type=READY)

    # THEN it answers with the image id, under a physical id that is not the image's
    assert ready.status == "SUCCESS"
    assert ready.data["ImageId"] == image_id
    assert ready.physical_id != image_id
    output = rehearsal.stack.template["Outputs"]["ImageId"]["Value"]
    assert output == {"Fn::GetAtt": [ready_id, "ImageId"]}

    # AND deleting it leaves the image alone
    rehearsal.cfn.request(
        "Delete",
        ready_id,
        {"ImageId": image_id},
        physical_id=ready.physical_id,
        resource_type=READY,
    )
    assert image_id in rehearsal.aws.images()


def test_the_ready_resource_is_deleted_at_once_and_leaves_the_image(long_wait: LongWait) -> None:
    rehearsal, image_id = start(long_wait)
    (ready_id,) = rehearsal.stack.logical_ids("Custom::WorkspaceImageReady")

    response = rehearsal.cfn.request(
        "Delete",
        ready_id,
        {"ImageId": image_id},
        physical_id=f"ready-{image_id}",
        resource_type="Custom::WorkspaceImageReady",
    )

    assert response.status == "SUCCESS", response.reason
    assert image_id in rehearsal.aws.images()
    # No poll schedule for the Ready resource (the image's watcher is its own).
    polls = [i for i in rehearsal.cfn.invocations if i.scheduled]
    assert polls == []


def test_the_ready_resource_refuses_an_image_that_is_not_available(long_wait: LongWait) -> None:
    rehearsal, image_id = start(long_wait)
    (ready_id,) = rehearsal.stack.logical_ids(READY)

    ready = rehearsal.cfn.request("Create", ready_id, {"ImageId": image_id}, resource_type=READY)

    assert ready.status == "FAILED"
    assert ready.reason == f"image {image_id} is PENDING, not AVAILABLE"


def test_each_poll_logs_elapsed_time_state_and_image_id(long_wait: LongWait) -> None:
    rehearsal, image_id = start(long_wait)
    rehearsal.cfn.play_schedules(lambda: False, max_polls=2)

    records = rehearsal.cfn.decisions("poll:wait")
    assert [(r["image_id"], r["state"]) for r in records] == [(image_id, "PENDING")] * 2
    # The clock moved two minutes; real time adds the few seconds the test took.
    assert 120 <= records[1]["elapsed_seconds"] < 180


def test_an_error_image_signals_failure_with_the_services_reason(long_wait: LongWait) -> None:
    rehearsal, image_id = start(long_wait)

    def break_image(n: int) -> None:
        if n == 30:
            fake_workspaces.set_image_state(
                image_id, "ERROR", error_code="InternalError", error_message="Sysprep failed"
            )

    rehearsal.cfn.play_schedules(
        lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)), break_image, 100
    )

    (signal,) = rehearsal.cfn.signals(long_wait.handle_key)
    assert signal["Status"] == "FAILURE"
    assert "InternalError: Sysprep failed" in signal["Reason"]
    assert rehearsal.aws.images() == {}
    assert rehearsal.aws.poll_rules() == []


def test_a_poll_after_the_deadline_signals_failure_and_removes_the_schedule(
    long_wait: LongWait,
) -> None:
    # GIVEN an 8-hour timeout polled every 30 minutes, and an image that stays PENDING
    rehearsal, _ = start(long_wait, PollIntervalMinutes="30")

    fired = rehearsal.cfn.play_schedules(
        lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)), max_polls=40
    )

    (signal,) = rehearsal.cfn.signals(long_wait.handle_key)
    assert signal["Status"] == "FAILURE"
    assert signal["Reason"].startswith("timed out")
    # THEN the last poll whose successor would miss the deadline gives up
    assert fired == 15
    assert rehearsal.cfn.clock_offset <= 8 * 3600
    assert rehearsal.aws.poll_rules() == []
    # AND the image, still PENDING (which the service will not delete), is named
    # in the reason; the rollback's Delete removes it once it is done
    ((image_id, image),) = rehearsal.aws.images().items()
    assert image["State"] == "PENDING"
    assert f"{image_id} is left behind (PENDING" in signal["Reason"]
    deleted = rehearsal.cfn.request(
        "Delete",
        rehearsal.logical_id,
        rehearsal.properties(),
        physical_id=image_id,
        before_poll=lambda n: fake_workspaces.finish_pending_images(),
    )
    assert deleted.status == "SUCCESS", deleted.reason
    assert rehearsal.aws.images() == {}


def test_a_delete_during_the_wait_stops_the_watcher_and_deletes_the_image(
    long_wait: LongWait,
) -> None:
    rehearsal, image_id = start(long_wait)
    rehearsal.cfn.play_schedules(lambda: False, max_polls=5)

    # The image is PENDING: the Delete waits until it is done, then deletes it.
    response = rehearsal.cfn.request(
        "Delete",
        rehearsal.logical_id,
        rehearsal.properties(),
        physical_id=image_id,
        before_poll=lambda n: fake_workspaces.finish_pending_images(),
    )

    assert response.status == "SUCCESS"
    assert rehearsal.aws.poll_rules() == []
    assert rehearsal.policy_changed_at_run_time() == []
    assert rehearsal.aws.images() == {}


def test_a_replacement_watches_again_for_its_fresh_handle(long_wait: LongWait) -> None:
    rehearsal, old_image = start(long_wait)
    fake_workspaces.set_image_state(old_image, "AVAILABLE")
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)))
    old_props = rehearsal.properties()
    new_key, new_url = rehearsal.cfn.new_wait_handle()

    response = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        rehearsal.properties(Name="golden-v2", WaitHandle=new_url),
        physical_id=old_image,
        old_properties=old_props,
    )
    assert response.status == "SUCCESS"
    new_image = response.physical_id
    assert new_image != old_image
    fake_workspaces.set_image_state(new_image, "AVAILABLE")
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.cfn.signals(new_key)))

    (signal,) = rehearsal.cfn.signals(new_key)
    assert (signal["Status"], signal["Data"]) == ("SUCCESS", new_image)
    assert len(rehearsal.cfn.signals(long_wait.handle_key)) == 1


def test_a_tag_change_needs_no_new_signal(long_wait: LongWait) -> None:
    rehearsal, image_id = start(long_wait)
    fake_workspaces.set_image_state(image_id, "AVAILABLE")
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)))
    old_props = rehearsal.properties()

    response = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        rehearsal.properties(Tags=[{"Key": "team", "Value": "euc"}]),
        physical_id=image_id,
        old_properties=old_props,
    )

    assert response.status == "SUCCESS"
    assert rehearsal.aws.poll_rules() == []


def test_no_log_line_holds_the_handle_url(long_wait: LongWait) -> None:
    rehearsal, image_id = start(long_wait)
    fake_workspaces.set_image_state(image_id, "AVAILABLE")
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)))

    logs = rehearsal.cfn.logs()
    assert "watch:signalled-success" in logs
    assert long_wait.handle_url not in logs
    for signature in rehearsal.cfn.signatures:
        assert signature not in logs


def test_a_signal_that_cannot_be_delivered_still_ends_the_watch(long_wait: LongWait) -> None:
    # GIVEN a handle that no longer answers (its stack rolled back, say)
    rehearsal, image_id = start(long_wait)
    fake_workspaces.set_image_state(image_id, "AVAILABLE")
    rehearsal.aws.endpoint.drop_next_connections(5)

    # WHEN the watcher sees the image AVAILABLE
    rehearsal.cfn.play_schedules(lambda: False, max_polls=3)

    # THEN it tried once, gave up, and removed its schedule
    assert rehearsal.cfn.signals(long_wait.handle_key) == []
    assert rehearsal.aws.endpoint.dropped == 5
    assert rehearsal.aws.poll_rules() == []
    assert "watch:signal-undelivered" in rehearsal.cfn.logs()


def test_the_watcher_shares_the_image_before_signalling(long_wait: LongWait) -> None:
    rehearsal, image_id = start(long_wait, ShareWithAccounts=["111122223333"])
    fake_workspaces.set_image_state(image_id, "AVAILABLE")

    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)))

    (signal,) = rehearsal.cfn.signals(long_wait.handle_key)
    assert signal["Status"] == "SUCCESS"
    permissions = rehearsal.aws.client("workspaces").describe_workspace_image_permissions(
        ImageId=image_id
    )["ImagePermissions"]
    assert [p["SharedAccountId"] for p in permissions] == ["111122223333"]
