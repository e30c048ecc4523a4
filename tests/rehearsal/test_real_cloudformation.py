"""What real deployments do that a one-resource-at-a-time rehearsal hides.

Each test turns on one fault of the embedded AWS (fake_workspaces.faults),
or plays CloudFormation the way it behaves under load: resources in
parallel, a cancelled deploy and its rollback, a grant not yet in effect.
docs/failure-modes.md lists each fault with the test that shows it.
"""

from __future__ import annotations

from typing import Any

from cdk_workspace_image.runtime import contract
from tests.conftest import REHEARSAL_WORKSPACE_ID
from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CloudFormation
from tests.rehearsal.conftest import Rehearsal, assert_nothing_scheduled, make_available_at
from tests.rehearsal.embedded_aws import new_stack_id
from tests.rehearsal.fake_workspaces import faults

INFINITE = float("inf")
BUNDLE = contract.BUNDLE_RESOURCE_TYPE


def start(rehearsal: Rehearsal, request_type: str, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    """Send a request and let its first invocation run, without playing any poll."""
    request_id, event = rehearsal.cfn.event(request_type, rehearsal.logical_id, **kwargs)
    rehearsal.cfn.invoke(event)
    return request_id, event


# --- 1. parallel resources and the function's resource policy ------------------


def test_three_images_created_at_once_all_succeed(three_images: Rehearsal) -> None:
    # GIVEN Lambda refuses overlapping changes to the function's policy
    faults.policy_conflicts(seconds=30)

    # WHEN CloudFormation creates three independent images at the same moment
    deployment = three_images.cfn.deploy(three_images.stack, before_poll=make_available_at(2))

    # THEN all three answer SUCCESS with their own AVAILABLE image
    assert deployment.status == "CREATE_COMPLETE", deployment.events
    image_ids = {response.physical_id for response in deployment.responses.values()}
    assert len(image_ids) == 3
    assert {i["State"] for i in three_images.aws.images().values()} == {"AVAILABLE"}
    # AND their creates overlapped: each was sent before any answered
    assert three_images.stack.creation_levels() == [sorted(deployment.responses)]
    # AND every poll was delivered, without a policy change at run time
    assert three_images.cfn.undelivered == []
    calls = {call for i in three_images.cfn.invocations for call in i.api_calls}
    assert not {call for call in calls if call.startswith("lambda:")}
    assert_nothing_scheduled(three_images)


def test_eventbridge_invokes_only_what_the_functions_policy_allows(rehearsal: Rehearsal) -> None:
    # GIVEN the provider's one fixed permission, scoped to this stack's rules
    function_arn = rehearsal.cfn.function.arn
    arn = function_arn.split(":function:")[0].replace(":lambda:", ":events:")
    prefix = contract.stack_rule_prefix(rehearsal.cfn.stack_id)
    other_stack = contract.stack_rule_prefix(new_stack_id(rehearsal.stack.name))

    # THEN this stack's poll rules may invoke it, and no other rule may: not
    # even one of another stack of the same name (the prefix is the StackId's UUID)
    assert rehearsal.cfn.may_invoke(f"{arn}:rule/{prefix}0123abcd-Golden")
    assert not rehearsal.cfn.may_invoke(f"{arn}:rule/{other_stack}0123abcd-Golden")
    assert not rehearsal.cfn.may_invoke(f"{arn}:rule/cdk-wsi-0123abcd-Golden")
    assert not rehearsal.cfn.may_invoke(f"{arn}:rule/someone-elses-rule")


# --- 2. IAM is eventually consistent -----------------------------------------------


def test_an_image_of_a_source_granted_in_this_deploy_waits_for_the_grant(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN a stack whose first image exists
    first = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=make_available_at(1)
    )
    assert first.status == "SUCCESS", first.reason
    # AND a second image on a new source WorkSpace, whose grant IAM applies 20 s late
    new_source = fake_workspaces.seed_workspace("ws-newsource1")
    faults.deny("CreateWorkspaceImage", seconds=20, resource=new_source)

    # WHEN CloudFormation adds the second image to the stack
    response = rehearsal.cfn.request(
        "Create",
        "Second",
        rehearsal.properties(WorkspaceId=new_source, Name="second-image"),
        before_poll=make_available_at(1),
    )

    # THEN it waits for the grant and succeeds
    assert response.status == "SUCCESS", response.reason
    assert rehearsal.aws.images()[response.physical_id]["Name"] == "second-image"
    retries = rehearsal.cfn.decisions("denied:retry")
    assert retries and all(d["action"] == "CreateWorkspaceImage" for d in retries)
    assert_nothing_scheduled(rehearsal)


def test_a_denial_that_lasts_fails_naming_action_and_resource_and_leaves_nothing(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN the role never gets CreateWorkspaceImage on the source
    faults.deny("CreateWorkspaceImage", seconds=INFINITE, resource=REHEARSAL_WORKSPACE_ID)

    response = rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties())

    # THEN the deploy fails after a bounded wait, naming the action and the resource
    assert response.status == "FAILED"
    assert response.reason.startswith(
        f"CreateWorkspaceImage on WorkSpace {REHEARSAL_WORKSPACE_ID}: AccessDeniedException "
        "for 47 s of retries"
    )
    # AND no image and no schedule are left
    faults.reset()
    assert rehearsal.aws.images() == {}
    assert_nothing_scheduled(rehearsal)


def test_a_poll_schedule_that_cannot_be_made_still_cleans_up(rehearsal: Rehearsal) -> None:
    # GIVEN the schedule's grants are not in effect, for the clean-up's calls either
    faults.allow_pending_image_delete = True
    for action in ("PutTargets", "RemoveTargets", "DeleteRule"):
        faults.deny(action, seconds=INFINITE)

    response = rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties())

    # THEN the deploy fails with the reason, and the image it made is discarded
    assert response.status == "FAILED"
    assert "PutTargets" in response.reason and "AccessDeniedException" in response.reason
    faults.reset()
    assert rehearsal.aws.images() == {}
    discarded = rehearsal.cfn.decisions("discard:deleted")
    assert len(discarded) == 1


# --- 3. EventBridge's partial failures ---------------------------------------------


def test_a_target_that_eventbridge_failed_to_add_is_retried(rehearsal: Rehearsal) -> None:
    faults.fail_entries("PutTargets", times=2)
    faults.inject("PutRule", "ConcurrentModificationException", "rule is being modified")

    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=make_available_at(2)
    )

    assert response.status == "SUCCESS", response.reason
    assert_nothing_scheduled(rehearsal)


def test_a_target_that_is_never_added_fails_at_once_with_the_reason(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN EventBridge reports every PutTargets entry as failed
    faults.fail_entries("PutTargets", times=100, error_message="Rule is being modified")

    # WHEN the image is created
    response = rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties())

    # THEN the answer comes at once (no poll ever fired), FAILED with EventBridge's reason
    assert not rehearsal.cfn.invocations[-1].scheduled
    assert response.status == "FAILED"
    assert "PutTargets on poll rule" in response.reason
    assert "ConcurrentModificationException: Rule is being modified" in response.reason
    # AND the answer carries the image, so the rollback's Delete can remove it
    assert response.physical_id in rehearsal.aws.images()
    assert_nothing_scheduled(rehearsal)


def test_an_answer_waits_until_its_poll_state_is_removed(rehearsal: Rehearsal) -> None:
    # GIVEN SSM refuses to delete the poll's state at the poll that finds the
    # image AVAILABLE (every attempt of that poll)
    def refuse_removal(n: int) -> None:
        if n == 2:
            fake_workspaces.finish_pending_images()
            faults.inject("DeleteParameter", "InternalServerError", "try again")

    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=refuse_removal
    )

    # THEN that poll does not answer; the next one removes the schedule and
    # answers SUCCESS, once: a schedule whose state is still there always
    # belongs to a request that was never answered, which a later request may
    # take over
    assert response.status == "SUCCESS", response.reason
    polls = [i for i in rehearsal.cfn.invocations if i.scheduled]
    assert len(polls) == 3
    assert "answer:after-next-poll" in rehearsal.cfn.logs()
    assert_nothing_scheduled(rehearsal)


def test_a_rule_that_outlives_its_answer_removes_itself(rehearsal: Rehearsal) -> None:
    # GIVEN EventBridge refuses to remove the rule at the poll that answers
    def refuse_removal(n: int) -> None:
        if n == 2:
            fake_workspaces.finish_pending_images()
            faults.fail_entries("RemoveTargets", times=4)

    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=refuse_removal
    )
    # WHEN the rule fires again
    rehearsal.cfn.play_schedules(lambda: False)

    # THEN the answer came at once (the poll's state was gone), and the rule,
    # with no state behind it, removed itself when it fired
    assert response.status == "SUCCESS", response.reason
    assert "schedule:refused" in rehearsal.cfn.logs()
    assert_nothing_scheduled(rehearsal)


def test_a_failed_first_call_answers_even_while_eventbridge_refuses(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN the schedule's calls are denied, and a Create that fails at once
    for action in ("RemoveTargets", "DeleteRule"):
        faults.deny(action, seconds=INFINITE)

    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(WorkspaceId="workspace-1")
    )

    # THEN CloudFormation still gets its answer (only a poll waits for the next one)
    assert response.status == "FAILED"
    assert "is not a WorkSpace id" in response.reason


def test_a_template_deployed_under_another_stack_name_still_polls(rehearsal: Rehearsal) -> None:
    # GIVEN the synthesized template deployed as "Renamed" (a pipeline's
    # CloudFormation action, or aws cloudformation deploy --stack-name)
    stack = rehearsal.stack
    function = rehearsal.aws.deploy_function(
        stack.template, stack.cdk_out, stack.name, new_stack_id("Renamed")
    )
    renamed = CloudFormation(rehearsal.aws, function, stack_name="Renamed")

    response = renamed.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=make_available_at(2)
    )

    # THEN its rules carry the provider's prefix, so IAM and the permission let them in
    assert response.status == "SUCCESS", response.reason
    assert renamed.undelivered == []
    assert_nothing_scheduled(rehearsal)


# --- 4. cancelled deploys and their rollbacks ----------------------------------------


def test_a_cancelled_create_leaves_no_image_and_no_rule(three_images: Rehearsal) -> None:
    # GIVEN one of three images is refused at once, while the others are PENDING
    faults.inject("CreateWorkspaceImage", "ResourceLimitExceededException", "40 images at most")

    # WHEN CloudFormation cancels the other two and rolls back (their images
    # become AVAILABLE at the second poll of the rollback's Deletes)
    deployment = three_images.cfn.deploy(three_images.stack, before_poll=make_available_at(2))

    # THEN the stack rolled back cleanly
    assert deployment.status == "ROLLBACK_COMPLETE", deployment.events
    assert len(deployment.cancelled) == 2
    (failed,) = [r for r in deployment.responses.values() if r.status == "FAILED"]
    assert "ResourceLimitExceededException: 40 images at most" in failed.reason
    # AND each cancelled resource's Delete, with an id that is not an image's,
    # waited for its PENDING image and deleted it
    assert all(r.status == "SUCCESS" for r in deployment.rollback.values())
    assert three_images.aws.images() == {}
    assert_nothing_scheduled(three_images)


def test_a_failed_first_deploy_with_long_waits_leaves_no_image_and_no_rule(
    three_long_images: Rehearsal,
) -> None:
    # GIVEN the default timeout: each image answers at once, a WaitCondition waits
    faults.inject("CreateWorkspaceImage", "ResourceLimitExceededException", "40 images at most")

    # WHEN one image is refused, and the stack rolls back while the others are
    # PENDING and watched (they become AVAILABLE at the rollback's second poll)
    deployment = three_long_images.cfn.deploy(
        three_long_images.stack, before_poll=make_available_at(2)
    )

    # THEN the Deletes, by the images' own ids, stop the watchers and delete them
    assert deployment.status == "ROLLBACK_COMPLETE", deployment.events
    assert len(deployment.rollback) == 3
    assert all(r.status == "SUCCESS" for r in deployment.rollback.values())
    assert three_long_images.aws.images() == {}
    assert_nothing_scheduled(three_long_images)


def test_a_cancelled_replacement_rolls_back_to_the_old_image_and_deletes_the_new(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN a deployed image
    old_props = rehearsal.properties()
    created = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, old_props, before_poll=make_available_at(1)
    )
    old_id = created.physical_id
    # AND an update that replaces it, cancelled while the new image is PENDING
    new_props = rehearsal.properties(Name="golden-v2")
    start(
        rehearsal,
        "Update",
        properties=new_props,
        physical_id=old_id,
        old_properties=old_props,
    )
    (new_id,) = set(rehearsal.aws.images()) - {old_id}

    # WHEN CloudFormation rolls back: an Update to the old properties, old id
    rollback = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        old_props,
        physical_id=old_id,
        old_properties=new_props,
        before_poll=make_available_at(2),
    )

    # THEN the old image is the resource again, and the new one is deleted
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == old_id
    assert set(rehearsal.aws.images()) == {old_id}
    assert new_id not in rehearsal.aws.images()
    assert_nothing_scheduled(rehearsal)


# --- 5. a PENDING image cannot be deleted -------------------------------------------


def test_a_delete_of_a_pending_image_waits_and_then_deletes_it(rehearsal: Rehearsal) -> None:
    # GIVEN a Create whose image is still PENDING (the embedded AWS refuses
    # to delete it, the cautious reading of the API)
    start(rehearsal, "Create", properties=rehearsal.properties())
    (image_id,) = rehearsal.aws.images()

    # WHEN CloudFormation deletes the resource by the image's id
    deleted = rehearsal.cfn.request(
        "Delete",
        rehearsal.logical_id,
        rehearsal.properties(),
        physical_id=image_id,
        before_poll=make_available_at(3),
    )

    # THEN the Delete waits until the image is done, deletes it, and succeeds
    assert deleted.status == "SUCCESS", deleted.reason
    assert rehearsal.aws.images() == {}
    waits = rehearsal.cfn.decisions("discard:wait")
    assert len(waits) >= 2
    assert_nothing_scheduled(rehearsal)


def test_a_delete_checks_every_minute_whatever_the_poll_interval(rehearsal: Rehearsal) -> None:
    props = rehearsal.properties(PollIntervalMinutes="10")
    start(rehearsal, "Create", properties=props)
    (image_id,) = rehearsal.aws.images()

    _, event = rehearsal.cfn.event("Delete", rehearsal.logical_id, props, physical_id=image_id)
    rehearsal.cfn.invoke(event)

    # THEN its wait fits CloudFormation's hour however slowly the image was polled
    (rule,) = rehearsal.aws.poll_rules()
    assert rule["ScheduleExpression"] == "rate(1 minute)"


def test_a_delete_whose_image_stays_pending_succeeds_and_says_what_is_left(
    rehearsal: Rehearsal,
) -> None:
    start(rehearsal, "Create", properties=rehearsal.properties())
    (image_id,) = rehearsal.aws.images()

    deleted = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=image_id, max_polls=80
    )

    # THEN no DELETE_FAILED (which would stop a rollback), and the log names the image
    assert deleted.status == "SUCCESS", deleted.reason
    assert image_id in rehearsal.aws.images()
    left = rehearsal.cfn.decisions("discard:leave")
    assert [d["image_id"] for d in left] == [image_id]
    # AND it is parked until now: the first provider to run once it is done deletes it
    assert list(rehearsal.aws.parked_index()) == [image_id]
    assert_nothing_scheduled(rehearsal)


# --- 6. bundles ------------------------------------------------------------------


def bundle_of_image(rehearsal: Rehearsal) -> tuple[str, dict[str, Any]]:
    """A deployed image, and the bundle resource's properties for it."""
    image = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=make_available_at(1)
    )
    assert image.status == "SUCCESS", image.reason
    (bundle_id,) = rehearsal.stack.logical_ids(BUNDLE)
    return bundle_id, rehearsal.properties_of(
        bundle_id, attributes={rehearsal.logical_id: image.data}
    )


def test_a_pending_bundle_is_waited_for_until_available(rehearsal: Rehearsal) -> None:
    bundle_id, props = bundle_of_image(rehearsal)
    faults.pending_bundles = True

    def finish_bundle(n: int) -> None:
        if n == 3:
            fake_workspaces.finish_pending_bundles()

    response = rehearsal.cfn.request(
        "Create", bundle_id, props, resource_type=BUNDLE, before_poll=finish_bundle
    )

    assert response.status == "SUCCESS", response.reason
    assert response.data["BundleId"] == response.physical_id
    polls = rehearsal.cfn.decisions("bundle-poll:wait")
    assert len(polls) == 2
    assert_nothing_scheduled(rehearsal)


def test_a_bundle_in_error_fails_with_the_reason_and_is_deleted(rehearsal: Rehearsal) -> None:
    bundle_id, props = bundle_of_image(rehearsal)
    faults.pending_bundles = True

    def break_bundle(n: int) -> None:
        for bundle in list(fake_workspaces.backend().workspace_bundles):  # type: ignore[attr-defined]
            fake_workspaces.set_bundle_state(bundle, "ERROR")

    response = rehearsal.cfn.request(
        "Create", bundle_id, props, resource_type=BUNDLE, before_poll=break_bundle
    )

    assert response.status == "FAILED"
    assert response.reason.startswith(f"bundle {response.physical_id} (")
    assert "went to ERROR" in response.reason
    assert rehearsal.aws.client("workspaces").describe_workspace_bundles()["Bundles"] == []
    assert_nothing_scheduled(rehearsal)


def test_a_bundle_not_yet_listed_after_its_create_is_waited_for(rehearsal: Rehearsal) -> None:
    bundle_id, props = bundle_of_image(rehearsal)
    # GIVEN DescribeWorkspaceBundles does not list a new bundle for two calls
    faults.hide_new_bundles(times=2)

    response = rehearsal.cfn.request("Create", bundle_id, props, resource_type=BUNDLE)

    # THEN the Create polls instead of answering "no longer exists"
    assert response.status == "SUCCESS", response.reason
    assert "no longer exists" not in rehearsal.cfn.logs()
    assert_nothing_scheduled(rehearsal)


def test_a_bundle_of_an_image_another_account_shared_is_refused(rehearsal: Rehearsal) -> None:
    bundle_id, props = bundle_of_image(rehearsal)
    image_id = props["ImageId"]
    # GIVEN the image belongs to another account (shared with this one)
    fake_workspaces.backend().workspace_images[image_id].owner_account = "210987654321"

    response = rehearsal.cfn.request("Create", bundle_id, props, resource_type=BUNDLE)

    assert response.status == "FAILED"
    assert response.reason.startswith(
        f"image {image_id} belongs to account 210987654321 and is shared with this one"
    )
    assert "copy it first (CopyWorkspaceImage: WorkspaceImageCopy)" in response.reason
    assert rehearsal.aws.client("workspaces").describe_workspace_bundles()["Bundles"] == []


def test_a_cancelled_bundle_replacement_keeps_the_old_bundle_and_deletes_the_new(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN a deployed bundle
    bundle_id, old_props = bundle_of_image(rehearsal)
    created = rehearsal.cfn.request("Create", bundle_id, old_props, resource_type=BUNDLE)
    assert created.status == "SUCCESS", created.reason
    # AND a replacement (a new name), cancelled while the new bundle is PENDING
    faults.pending_bundles = True
    new_props = {**old_props, "BundleName": "golden-example-v2"}
    _, event = rehearsal.cfn.event(
        "Update",
        bundle_id,
        new_props,
        physical_id=created.physical_id,
        old_properties=old_props,
        resource_type=BUNDLE,
    )
    rehearsal.cfn.invoke(event)
    assert len(rehearsal.aws.poll_rules()) == 1

    # WHEN CloudFormation rolls back: an Update to the old properties, old id
    rollback = rehearsal.cfn.request(
        "Update",
        bundle_id,
        old_props,
        physical_id=created.physical_id,
        old_properties=new_props,
        resource_type=BUNDLE,
    )

    # THEN the old bundle is the resource again, and the new one is deleted
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == created.physical_id
    listed = rehearsal.aws.client("workspaces").describe_workspace_bundles()["Bundles"]
    assert [b["BundleId"] for b in listed] == [created.physical_id]
    assert_nothing_scheduled(rehearsal)


# --- 7. sharing ---------------------------------------------------------------------


def test_a_delete_revokes_only_the_shares_that_exist(rehearsal: Rehearsal) -> None:
    accounts = ["111122223333", "444455556666"]
    props = rehearsal.properties(ShareWithAccounts=accounts)
    created = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, props, before_poll=make_available_at(1)
    )
    assert created.status == "SUCCESS", created.reason
    # GIVEN one share was undone by hand
    rehearsal.aws.client("workspaces").update_workspace_image_permission(
        ImageId=created.physical_id, AllowCopyImage=False, SharedAccountId=accounts[0]
    )

    deleted = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, props, physical_id=created.physical_id
    )

    assert deleted.status == "SUCCESS", deleted.reason
    assert rehearsal.aws.images() == {}
    unshared = [d["account"] for d in rehearsal.cfn.decisions("unshare")]
    assert unshared == [accounts[1]]
