"""Throttling is weather, not failure (issue #15, item 6).

WorkSpaces publishes no request rate; users report Support advising 750-1000
ms between calls. Each call makes up to workspaces.TOTAL_ATTEMPTS attempts
(botocore's standard retries); a poll or a Delete still throttled after them
waits for its next poll. The embedded AWS throttles with injected errors
(one resource) or a token bucket per action (``faults.throttle``, the stack
at scale: marked slow, about 3 minutes; bench/RESULTS.md section 6 has its
figures).
"""

from __future__ import annotations

import pytest

from cdk_workspace_image.runtime.contract import FUNCTION_TIMEOUT_SECONDS
from cdk_workspace_image.runtime.workspaces import TOTAL_ATTEMPTS
from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import (
    SCALE_BUNDLES,
    SCALE_IMAGES,
    LongWait,
    Rehearsal,
    create_available,
    finish_everything_at,
    scale_golden_image_id,
    throttle_every_action,
)
from tests.rehearsal.fake_workspaces import faults

BUNDLE = "Custom::WorkspaceBundle"
ACCOUNT = "111122223333"


def throttle_one_call(action: str) -> None:
    """The next call of ``action`` is throttled on every attempt botocore makes."""
    faults.inject(action, "ThrottlingException", "Rate exceeded", times=TOTAL_ATTEMPTS)


def decisions(rehearsal: Rehearsal, decision: str) -> int:
    return len(rehearsal.cfn.decisions(decision))


# --- one resource, throttled past botocore's retries -----------------------------------


def test_a_poll_throttled_past_the_sdks_retries_waits_for_the_next_poll(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an image whose first poll's look-up is throttled on every attempt
    def before_poll(n: int) -> None:
        if n == 1:
            throttle_one_call("DescribeWorkspaceImages")
        if n == 2:
            fake_workspaces.finish_pending_images()

    # WHEN CloudFormation creates it
    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=before_poll
    )

    # THEN botocore made every attempt it may, the throttled poll waited, and the
    # next one answered SUCCESS
    assert response.status == "SUCCESS", response.reason
    throttled_attempts = [
        invocation.attempts.count("workspaces:DescribeWorkspaceImages ThrottlingException")
        for invocation in rehearsal.cfn.invocations
    ]
    assert max(throttled_attempts) == TOTAL_ATTEMPTS
    assert decisions(rehearsal, "poll:throttled") == 1
    assert list(rehearsal.aws.images()) == [response.physical_id]


def test_a_share_throttled_past_the_sdks_retries_is_made_at_the_next_poll(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an image that is AVAILABLE at its first poll, whose share is then
    # throttled on every attempt
    def before_poll(n: int) -> None:
        if n == 1:
            fake_workspaces.finish_pending_images()
            throttle_one_call("UpdateWorkspaceImagePermission")

    # WHEN CloudFormation creates it, shared with an account
    response = rehearsal.cfn.request(
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(ShareWithAccounts=[ACCOUNT]),
        before_poll=before_poll,
    )

    # THEN the image is kept and shared at the next poll, which answers SUCCESS
    assert response.status == "SUCCESS", response.reason
    assert decisions(rehearsal, "poll:throttled") == 1
    permissions = rehearsal.aws.client("workspaces").describe_workspace_image_permissions(
        ImageId=response.physical_id
    )["ImagePermissions"]
    assert permissions == [{"SharedAccountId": ACCOUNT}]


def test_a_watcher_whose_share_is_throttled_shares_at_the_next_poll(long_wait: LongWait) -> None:
    # GIVEN a long wait's image, shared with an account, that is AVAILABLE at the
    # watcher's first poll, whose share is then throttled on every attempt
    rehearsal = long_wait.rehearsal
    started = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(ShareWithAccounts=[ACCOUNT])
    )
    assert started.status == "SUCCESS", started.reason

    def before_poll(n: int) -> None:
        if n == 1:
            fake_workspaces.finish_pending_images()
            throttle_one_call("UpdateWorkspaceImagePermission")

    # WHEN the watcher's schedule fires until the wait condition is signalled
    rehearsal.cfn.play_schedules(
        lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)), before_poll, 5
    )

    # THEN it signals SUCCESS with the image, shared, at the poll after the throttled one
    (signal,) = rehearsal.cfn.signals(long_wait.handle_key)
    assert (signal["Status"], signal["Data"]) == ("SUCCESS", started.physical_id)
    assert decisions(rehearsal, "watch:throttled") == 1
    assert started.physical_id in rehearsal.aws.images()


def test_a_bundle_poll_throttled_past_the_sdks_retries_waits_for_the_next_poll(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an image, and a bundle of it that is PENDING at first, whose first
    # poll's look-up is throttled on every attempt
    image = create_available(rehearsal)
    faults.pending_bundles = True
    (bundle_id,) = rehearsal.stack.logical_ids(BUNDLE)
    props = rehearsal.properties_of(bundle_id, attributes={rehearsal.logical_id: image.data})

    def before_poll(n: int) -> None:
        if n == 1:
            throttle_one_call("DescribeWorkspaceBundles")
        if n == 2:
            fake_workspaces.finish_pending_bundles()

    # WHEN CloudFormation creates the bundle
    response = rehearsal.cfn.request(
        "Create", bundle_id, props, resource_type=BUNDLE, before_poll=before_poll
    )

    # THEN the throttled poll waited, and the next one answered SUCCESS
    assert response.status == "SUCCESS", response.reason
    assert decisions(rehearsal, "bundle-poll:throttled") == 1


def test_a_delete_throttled_past_the_sdks_retries_deletes_at_the_next_poll(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an AVAILABLE image, whose delete is throttled on every attempt
    image = create_available(rehearsal)
    throttle_one_call("DeleteWorkspaceImage")

    # WHEN CloudFormation deletes it
    response = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=image.physical_id
    )

    # THEN the Delete waited for its next poll, deleted the image and answered SUCCESS
    assert response.status == "SUCCESS", response.reason
    assert decisions(rehearsal, "discard:wait") == 1
    assert rehearsal.aws.images() == {}


def test_a_create_throttled_past_the_sdks_retries_fails_in_the_services_words(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN CreateWorkspaceImage throttled on every attempt botocore makes
    throttle_one_call("CreateWorkspaceImage")

    # WHEN CloudFormation creates the image
    response = rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties())

    # THEN it fails with the service's words, having made nothing and scheduled nothing
    assert response.status == "FAILED"
    assert response.reason == "CreateWorkspaceImage failed: ThrottlingException: Rate exceeded"
    assert rehearsal.aws.images() == {}
    assert rehearsal.aws.poll_rules() == []


# --- a stack at scale ----------------------------------------------------------------


@pytest.mark.slow
def test_a_stack_of_40_images_and_10_bundles_is_made_and_deleted_at_1_call_per_second(
    scale: Rehearsal,
) -> None:
    # GIVEN every WorkSpaces action throttled at 1 call/s with bursts of 2, and
    # bundles that are PENDING for a while, as the service makes them
    throttle_every_action()
    faults.pending_bundles = True
    cfn, stack = scale.cfn, scale.stack

    # WHEN the stack's 50 resources are created at once (each AVAILABLE at its
    # second poll), and then deleted at once
    deployment = cfn.deploy(stack, before_poll=finish_everything_at(2))
    deleted = cfn.destroy(stack, deployment)
    faults.unthrottle()

    # THEN every create and every delete answered SUCCESS, and nothing is left
    # but the images that were there before the stack
    failed_creates = {k: r for k, r in deployment.responses.items() if r.status != "SUCCESS"}
    failed_deletes = {key: r for key, r in deleted.items() if r.status != "SUCCESS"}
    assert (deployment.status, failed_creates) == ("CREATE_COMPLETE", {}), {
        key: r.reason for key, r in failed_creates.items()
    }
    assert len(deployment.responses) == SCALE_IMAGES + SCALE_BUNDLES
    assert (len(deleted), failed_deletes) == (SCALE_IMAGES + SCALE_BUNDLES, {}), {
        key: r.reason for key, r in failed_deletes.items()
    }
    golden = {scale_golden_image_id(n) for n in range(1, SCALE_BUNDLES + 1)}
    assert set(scale.aws.images()) == golden
    assert scale.aws.client("workspaces").describe_workspace_bundles()["Bundles"] == []
    assert scale.aws.poll_rules() == []
    # ... and the throttle did bite: the rehearsal proves nothing otherwise
    assert sum(faults.throttled.values()) > 0
    # ... and no invocation came near the function's timeout (bench/RESULTS.md has the figures)
    assert max(i.handler_seconds or 0.0 for i in cfn.invocations) < FUNCTION_TIMEOUT_SECONDS / 4
