"""The whole lifecycle, driven against the asset bundled in cdk.out.

Each test plays CloudFormation (and EventBridge) against the handler running
in its own process, and asserts what CloudFormation receives and what is left
in the embedded AWS afterwards.
"""

from __future__ import annotations

import json

import pytest

from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import (
    Rehearsal,
    assert_nothing_scheduled,
    create_available,
    make_available_at,
)
from tests.rehearsal.response_endpoint import Response


def assert_within_limits(response: Response) -> None:
    assert len(response.raw) <= 4096
    assert len(response.reason) <= 256


# --- Create -------------------------------------------------------------------


def test_create_waits_for_available_and_answers_with_the_image_id(rehearsal: Rehearsal) -> None:
    # GIVEN an image that stays PENDING for one poll
    # WHEN CloudFormation creates the resource
    response = create_available(rehearsal)

    # THEN it answers SUCCESS with the image id as physical id and in Data
    (image_id,) = rehearsal.aws.images()
    assert response.physical_id == image_id
    assert response.data == {
        "ImageId": image_id,
        "Name": "golden-example",
        "OperatingSystemType": "WINDOWS",
        "RequiredTenancy": "DEFAULT",
    }
    assert rehearsal.aws.images()[image_id]["State"] == "AVAILABLE"
    # AND it polled once while PENDING, then once more, and removed its schedule
    polls = [i for i in rehearsal.cfn.invocations if i.scheduled]
    assert len(polls) == 2
    assert_nothing_scheduled(rehearsal)
    assert_within_limits(response)


def test_create_tags_the_image_with_its_owner_and_the_users_tags(rehearsal: Rehearsal) -> None:
    tags = [{"Key": "team", "Value": "euc"}]
    response = create_available(rehearsal, Tags=tags)

    assert fake_workspaces.image_tags(response.physical_id) == {
        "team": "euc",
        "cdk-workspace-image:stack-id": rehearsal.cfn.stack_id,
        "cdk-workspace-image:logical-id": rehearsal.logical_id,
    }


def test_poll_schedule_uses_the_poll_interval(rehearsal: Rehearsal) -> None:
    _request_id, event = rehearsal.cfn.event(
        "Create", rehearsal.logical_id, rehearsal.properties(PollIntervalMinutes="5")
    )
    rehearsal.cfn.invoke(event)

    (rule,) = rehearsal.aws.poll_rules()
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    assert len(rule["Name"]) <= 64


def test_error_state_fails_with_the_services_words_and_removes_the_image(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an image that goes to ERROR
    def break_image(n: int) -> None:
        (image_id,) = rehearsal.aws.images()
        fake_workspaces.set_image_state(
            image_id,
            "ERROR",
            error_code="InsufficientDiskSpace",
            error_message="The WorkSpace does not have enough free disk space",
            error_details=[{"ErrorCode": "DiskSpace", "ErrorMessage": "C: has 1 GB free"}],
        )

    # WHEN CloudFormation creates the resource
    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=break_image
    )

    # THEN it fails with ErrorCode, ErrorMessage and ErrorDetails
    assert response.status == "FAILED"
    assert "InsufficientDiskSpace" in response.reason
    assert "not have enough free disk space" in response.reason
    assert "DiskSpace: C: has 1 GB free" in response.reason
    # AND the physical id is the image id, so CloudFormation's Delete targets it
    assert response.physical_id.startswith("wsi-")
    # AND the broken image is gone, and so is the schedule
    assert rehearsal.aws.images() == {}
    assert_nothing_scheduled(rehearsal)
    assert_within_limits(response)

    # WHEN CloudFormation then deletes the failed resource
    delete = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=response.physical_id
    )
    # THEN the Delete succeeds
    assert delete.status == "SUCCESS"


def test_a_poll_after_the_deadline_fails_and_removes_its_schedule(rehearsal: Rehearsal) -> None:
    # GIVEN a 5-minute timeout polled every minute, and an image that never leaves PENDING
    props = rehearsal.properties(TimeoutSeconds="300", PollIntervalMinutes="1")

    # WHEN CloudFormation creates the resource (the clock moves a minute a poll)
    response = rehearsal.cfn.request("Create", rehearsal.logical_id, props, max_polls=20)

    # THEN the last poll whose successor (plus a minute's margin) would miss
    # the timeout answers FAILED, with the image id
    assert response.status == "FAILED"
    assert response.reason.startswith("timed out")
    assert "PENDING" in response.reason
    assert response.physical_id.startswith("wsi-")
    polls = [i for i in rehearsal.cfn.invocations if i.scheduled]
    assert len(polls) == 3
    assert rehearsal.cfn.clock_offset <= 300
    # AND nothing is left running
    assert_nothing_scheduled(rehearsal)
    # AND the image, which the service will not delete while PENDING, goes with
    # the rollback's Delete (by the id the answer carried) once it is done
    deleted = rehearsal.cfn.request(
        "Delete",
        rehearsal.logical_id,
        props,
        physical_id=response.physical_id,
        before_poll=make_available_at(2),
    )
    assert deleted.status == "SUCCESS", deleted.reason
    assert rehearsal.aws.images() == {}
    assert_nothing_scheduled(rehearsal)


def test_a_repeated_create_adopts_its_own_image_instead_of_making_another(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN a Create that is delivered twice
    request_id, event = rehearsal.cfn.event("Create", rehearsal.logical_id, rehearsal.properties())
    rehearsal.cfn.invoke(event)
    rehearsal.cfn.invoke(json.loads(json.dumps(event)))

    # WHEN the image becomes AVAILABLE and the schedule fires
    (image_id,) = rehearsal.aws.images()
    fake_workspaces.set_image_state(image_id, "AVAILABLE")
    rehearsal.cfn.fire()

    # THEN the second delivery, refused because the source WorkSpace is busy
    # being imaged, adopted the image instead of failing or making another
    assert list(rehearsal.aws.images()) == [image_id]
    assert fake_workspaces.faults.calls["CreateWorkspaceImage"] == 2
    response = rehearsal.cfn.response(request_id)
    assert response.status == "SUCCESS"
    assert response.physical_id == image_id
    assert_nothing_scheduled(rehearsal)


def test_a_name_held_by_someone_elses_image_fails_clearly_and_leaves_it_alone(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an image of the same name that another stack made
    other = rehearsal.aws.client("workspaces").create_workspace_image(
        Name="golden-example",
        Description="made by hand",
        WorkspaceId=fake_workspaces.seed_workspace(),
        Tags=[{"Key": "owner", "Value": "someone-else"}],
    )["ImageId"]

    response = rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties())

    assert response.status == "FAILED"
    assert "already exists" in response.reason
    assert other in response.reason
    assert "choose another image_name" in response.reason
    assert list(rehearsal.aws.images()) == [other]
    assert_nothing_scheduled(rehearsal)


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"WorkspaceId": "ws-unknown123"}, "ResourceNotFoundException"),
        ({"WorkspaceId": "workspace-1"}, "\"WorkspaceId\" 'workspace-1' is not a WorkSpace id"),
        ({"Name": "golden image"}, "contains ' '"),
        ({"Name": "x" * 65}, "1-64 characters"),
        ({"Description": "tabs\tare not allowed"}, '"Description"'),
        ({"Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(49)]}, "at most 47 are allowed"),
        ({"Tags": [{"Key": "aws:owner", "Value": "v"}]}, 'starts with "aws:"'),
        ({"PollIntervalMinutes": "0.5"}, "whole number of minutes"),
        ({"TimeoutSeconds": "7200"}, "TimeoutSeconds over one hour needs WaitHandle"),
        ({"TimeoutSeconds": "50000"}, "at most 12 hours"),
    ],
)
def test_bad_input_fails_at_once_and_leaves_nothing_behind(
    rehearsal: Rehearsal, overrides: dict[str, object], expected: str
) -> None:
    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(**overrides)
    )

    assert response.status == "FAILED"
    assert expected in response.reason
    assert rehearsal.aws.images() == {}
    assert_nothing_scheduled(rehearsal)
    assert_within_limits(response)
    # The Delete that follows a failed Create must succeed on crhelper's made-up id.
    delete = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=response.physical_id
    )
    assert delete.status == "SUCCESS"


def test_a_source_workspace_that_is_not_available_fails_with_the_services_reason(
    rehearsal: Rehearsal,
) -> None:
    stopped = fake_workspaces.seed_workspace("ws-stopped001", state="STOPPED")

    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(WorkspaceId=stopped)
    )

    assert response.status == "FAILED"
    assert "InvalidResourceStateException" in response.reason
    assert "STOPPED" in response.reason
    assert rehearsal.aws.images() == {}


# --- resilience -------------------------------------------------------------------


def test_throttled_calls_are_retried_and_the_deploy_succeeds(rehearsal: Rehearsal) -> None:
    fake_workspaces.faults.inject("CreateWorkspaceImage", "ThrottlingException", "Rate exceeded", 2)
    fake_workspaces.faults.inject(
        "DescribeWorkspaceImages", "ThrottlingException", "Rate exceeded", 2
    )

    response = create_available(rehearsal)

    assert response.status == "SUCCESS"
    assert fake_workspaces.faults.calls["CreateWorkspaceImage"] == 3
    assert fake_workspaces.faults.calls["DescribeWorkspaceImages"] >= 4
    assert len(rehearsal.aws.images()) == 1


def test_a_dropped_response_connection_is_retried(rehearsal: Rehearsal) -> None:
    rehearsal.aws.endpoint.drop_next_connections(1)

    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(Name="bad name")
    )

    assert response.status == "FAILED"
    assert rehearsal.aws.endpoint.dropped == 1


def test_no_log_line_holds_the_response_url_or_its_signature(rehearsal: Rehearsal) -> None:
    create_available(rehearsal)
    rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties(Name="bad name"))

    logs = rehearsal.cfn.logs()
    assert "poll:available" in logs
    for signature in rehearsal.cfn.signatures:
        assert signature not in logs
    assert "X-Amz-Signature" not in logs
    assert "cloudformation-response" not in logs


# --- Update -----------------------------------------------------------------------


def test_a_tag_change_updates_tags_in_place_without_waiting(rehearsal: Rehearsal) -> None:
    old_props = rehearsal.properties(
        Tags=[{"Key": "team", "Value": "euc"}, {"Key": "old", "Value": "1"}]
    )
    created = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, old_props, before_poll=make_available_at(1)
    )
    new_props = rehearsal.properties(
        Tags=[{"Key": "team", "Value": "vdi"}, {"Key": "new", "Value": "2"}]
    )
    polls_before = len(rehearsal.cfn.invocations)

    response = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        new_props,
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    assert response.status == "SUCCESS"
    assert response.physical_id == created.physical_id
    assert response.data["ImageId"] == created.physical_id
    assert len(rehearsal.cfn.invocations) == polls_before + 1
    tags = fake_workspaces.image_tags(created.physical_id)
    assert {k: v for k, v in tags.items() if not k.startswith("cdk-workspace-image:")} == {
        "team": "vdi",
        "new": "2",
    }
    assert list(rehearsal.aws.images()) == [created.physical_id]
    assert_nothing_scheduled(rehearsal)


def test_a_new_name_makes_a_new_image_and_the_cleanup_delete_removes_the_old(
    rehearsal: Rehearsal,
) -> None:
    old_props = rehearsal.properties()
    created = create_available(rehearsal)
    new_props = rehearsal.properties(Name="golden-v2", Description="Image golden-v2")

    response = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        new_props,
        physical_id=created.physical_id,
        old_properties=old_props,
        before_poll=make_available_at(1),
    )

    assert response.status == "SUCCESS"
    assert response.physical_id != created.physical_id
    assert response.data["Name"] == "golden-v2"
    assert set(rehearsal.aws.images()) == {created.physical_id, response.physical_id}

    cleanup = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, old_props, physical_id=created.physical_id
    )
    assert cleanup.status == "SUCCESS"
    assert list(rehearsal.aws.images()) == [response.physical_id]
    assert_nothing_scheduled(rehearsal)


def test_a_replacement_that_keeps_the_name_fails_and_keeps_the_old_image(
    rehearsal: Rehearsal,
) -> None:
    old_props = rehearsal.properties()
    created = create_available(rehearsal)
    new_source = fake_workspaces.seed_workspace("ws-newsource1")

    response = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        rehearsal.properties(WorkspaceId=new_source),
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    assert response.status == "FAILED"
    assert "change image_name" in response.reason
    assert response.physical_id == created.physical_id
    assert list(rehearsal.aws.images()) == [created.physical_id]
    assert_nothing_scheduled(rehearsal)


def test_a_replacement_that_breaks_removes_the_new_image_and_the_rollback_keeps_the_old(
    rehearsal: Rehearsal,
) -> None:
    old_props = rehearsal.properties()
    created = create_available(rehearsal)
    new_source = fake_workspaces.seed_workspace("ws-newsource1")
    new_props = rehearsal.properties(Name="golden-v2", WorkspaceId=new_source)

    def break_new(n: int) -> None:
        for image_id, image in rehearsal.aws.images().items():
            if image["State"] == "PENDING":
                fake_workspaces.set_image_state(
                    image_id, "ERROR", error_code="Boom", error_message="it broke"
                )

    failed = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        new_props,
        physical_id=created.physical_id,
        old_properties=old_props,
        before_poll=break_new,
    )
    assert failed.status == "FAILED"
    assert "Boom: it broke" in failed.reason
    assert list(rehearsal.aws.images()) == [created.physical_id]

    # CloudFormation's rollback sends the old properties back. The role no
    # longer allows imaging the old source (IAM answers before the name check):
    # the old image must be adopted all the same.
    fake_workspaces.faults.inject(
        "CreateWorkspaceImage", "AccessDeniedException", "not authorized on the old source"
    )
    rollback = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        old_props,
        physical_id=failed.physical_id,
        old_properties=new_props,
    )
    assert rollback.status == "SUCCESS"
    assert rollback.physical_id == created.physical_id
    assert list(rehearsal.aws.images()) == [created.physical_id]
    assert_nothing_scheduled(rehearsal)


# --- Delete -----------------------------------------------------------------------


def test_delete_removes_the_image_and_a_second_delete_still_succeeds(rehearsal: Rehearsal) -> None:
    created = create_available(rehearsal)

    first = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=created.physical_id
    )
    second = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=created.physical_id
    )

    assert (first.status, second.status) == ("SUCCESS", "SUCCESS")
    assert rehearsal.aws.images() == {}


def test_delete_of_an_image_a_bundle_uses_fails_with_the_cause_and_the_remedy(
    rehearsal: Rehearsal,
) -> None:
    created = create_available(rehearsal)
    fake_workspaces.images_in_use.add(created.physical_id)

    response = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=created.physical_id
    )

    assert response.status == "FAILED"
    assert "ResourceAssociatedException" in response.reason
    assert "delete the bundles that use it" in response.reason
    assert list(rehearsal.aws.images()) == [created.physical_id]


def test_delete_of_a_shared_image_fails_and_keeps_it(rehearsal: Rehearsal) -> None:
    created = create_available(rehearsal)
    rehearsal.aws.client("workspaces").update_workspace_image_permission(
        ImageId=created.physical_id, AllowCopyImage=True, SharedAccountId="111122223333"
    )

    response = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=created.physical_id
    )

    assert response.status == "FAILED"
    assert "InvalidResourceStateException" in response.reason
    assert "stop sharing it" in response.reason
    assert list(rehearsal.aws.images()) == [created.physical_id]


def test_delete_during_a_wait_removes_the_schedule_and_the_image(rehearsal: Rehearsal) -> None:
    # GIVEN a Create still waiting, which CloudFormation gave up on before it
    # ever learned the image id
    _, event = rehearsal.cfn.event("Create", rehearsal.logical_id, rehearsal.properties())
    rehearsal.cfn.invoke(event)
    assert len(rehearsal.aws.images()) == 1
    assert len(rehearsal.aws.poll_rules()) == 1

    # WHEN CloudFormation deletes the resource, with an id that is not an image's
    response = rehearsal.cfn.request(
        "Delete",
        rehearsal.logical_id,
        rehearsal.properties(),
        physical_id=f"{rehearsal.cfn.stack_name}-{rehearsal.logical_id}-1A2B3C",
        before_poll=make_available_at(2),
    )

    # THEN nothing is left running and the image is gone, once it could be deleted
    assert response.status == "SUCCESS"
    assert_nothing_scheduled(rehearsal)
    assert rehearsal.aws.images() == {}


def test_delete_with_a_foreign_id_leaves_someone_elses_image_of_that_name(
    rehearsal: Rehearsal,
) -> None:
    other = rehearsal.aws.client("workspaces").create_workspace_image(
        Name="golden-example",
        Description="made by hand",
        WorkspaceId=fake_workspaces.seed_workspace(),
    )["ImageId"]

    response = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id="not-an-image"
    )

    assert response.status == "SUCCESS"
    assert list(rehearsal.aws.images()) == [other]


# --- more failure paths -------------------------------------------------------------


def test_a_missing_workspace_id_fails_and_names_it(rehearsal: Rehearsal) -> None:
    props = rehearsal.properties()
    del props["WorkspaceId"]

    response = rehearsal.cfn.request("Create", rehearsal.logical_id, props)

    assert response.status == "FAILED"
    assert "missing required properties: WorkspaceId" in response.reason
    assert rehearsal.aws.images() == {}


def test_a_poll_whose_look_up_fails_answers_with_the_image_id_and_removes_it(
    rehearsal: Rehearsal,
) -> None:
    def deny(n: int) -> None:
        # A denial that lasts past the function's patience for IAM
        fake_workspaces.faults.deny("DescribeWorkspaceImages", float("inf"))

    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=deny
    )

    # THEN it fails naming the action, with the image id, which is still PENDING
    assert response.status == "FAILED"
    assert "DescribeWorkspaceImages on *: AccessDeniedException for 47 s" in response.reason
    fake_workspaces.faults.reset()
    (image_id,) = rehearsal.aws.images()
    assert response.physical_id == image_id
    assert_nothing_scheduled(rehearsal)

    # AND the rollback's Delete waits until the image is done, then deletes it
    deleted = rehearsal.cfn.request(
        "Delete",
        rehearsal.logical_id,
        rehearsal.properties(),
        physical_id=image_id,
        before_poll=make_available_at(2),
    )
    assert deleted.status == "SUCCESS", deleted.reason
    assert rehearsal.aws.images() == {}
    assert_nothing_scheduled(rehearsal)


def test_an_image_that_cannot_be_deleted_after_a_timeout_is_reported(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an image still PENDING at the timeout, which the service will not delete
    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(TimeoutSeconds="300")
    )

    # THEN the reason says it is left behind, and answers with its id for the Delete
    assert response.status == "FAILED"
    (image_id,) = rehearsal.aws.images()
    assert response.physical_id == image_id
    assert response.reason.startswith("timed out")
    assert f"; {image_id} is left behind (PENDING" in response.reason
    assert "timed out" in response.reason
    assert_within_limits(response)


def test_an_update_of_timeout_or_poll_interval_only_keeps_the_image(rehearsal: Rehearsal) -> None:
    old_props = rehearsal.properties()
    created = create_available(rehearsal)

    response = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        rehearsal.properties(TimeoutSeconds="1800", PollIntervalMinutes="5"),
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    assert response.status == "SUCCESS"
    assert response.physical_id == created.physical_id
    assert fake_workspaces.faults.calls["CreateWorkspaceImage"] == 1
    assert_nothing_scheduled(rehearsal)


def test_a_waiting_poll_reads_its_state_and_makes_one_workspaces_call(
    rehearsal: Rehearsal,
) -> None:
    rehearsal.cfn.request(
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(),
        before_poll=make_available_at(3),
    )

    waiting = [
        invocation.api_calls
        for invocation in rehearsal.cfn.invocations
        if invocation.scheduled and "poll:wait" in invocation.logs
    ]
    # Its state (ResponseURL among it) comes from SSM, never from the rule's target
    assert waiting == [["ssm:GetParameter", "workspaces:DescribeWorkspaceImages"]] * 2
