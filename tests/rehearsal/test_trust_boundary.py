"""The trust boundary (issue #16): the provider acts only on what its stack made,
and no one who can invoke it, or read or create EventBridge rules, can answer
for CloudFormation or steer it.

Each attack is played against the bundled asset in its own process, as a
principal with lambda:InvokeFunction, events:ListTargetsByRule or
events:PutRule/PutTargets on the stack's prefix could play it. The legitimate
lifecycle runs in the same tests, so a fix that broke it would show.
"""

from __future__ import annotations

import json
from typing import Any

from cdk_workspace_image.runtime import contract
from tests.conftest import REHEARSAL_WORKSPACE_ID
from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CloudFormation
from tests.rehearsal.conftest import (
    LongWait,
    Rehearsal,
    assert_nothing_scheduled,
    create_available,
    make_available_at,
)
from tests.rehearsal.embedded_aws import ACCOUNT_ID, new_stack_id
from tests.rehearsal.response_endpoint import Response

BUNDLE = contract.BUNDLE_RESOURCE_TYPE
OUTSIDER = "999999999999"


def crafted(
    rehearsal: Rehearsal, request_type: str, logical_id: str, props: dict[str, Any], **kw: Any
) -> tuple[str, dict[str, Any]]:
    """An event as someone allowed to invoke the function would write it."""
    return rehearsal.cfn.event(request_type, logical_id, props, **kw)


def send(rehearsal: Rehearsal, event: dict[str, Any]) -> Response | None:
    """Invoke the function directly with ``event``; what CloudFormation's URL got, if anything."""
    rehearsal.cfn.invoke(event)
    rehearsal.cfn.play_schedules(
        lambda: bool(rehearsal.aws.endpoint.received(event["RequestId"])), max_polls=5
    )
    received = rehearsal.aws.endpoint.received(event["RequestId"])
    return received[0] if received else None


def foreign_image(name: str = "someone-elses") -> str:
    """An image in the account that no resource of this library made."""
    return fake_workspaces.seed_image(name=name)


def shared_accounts(rehearsal: Rehearsal, image_id: str) -> set[str]:
    permissions = rehearsal.aws.client("workspaces").describe_workspace_image_permissions(
        ImageId=image_id
    )
    return {p["SharedAccountId"] for p in permissions.get("ImagePermissions", [])}


def tags_of(rehearsal: Rehearsal, resource_id: str) -> dict[str, str]:
    found = rehearsal.aws.client("workspaces").describe_tags(ResourceId=resource_id)
    return {tag["Key"]: tag.get("Value", "") for tag in found.get("TagList", [])}


# --- 1. crafted direct invokes ----------------------------------------------------------


def test_a_crafted_delete_of_an_image_the_stack_never_made_deletes_nothing(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an image someone else made, and the stack's own image
    victim = foreign_image()
    own = create_available(rehearsal)

    # WHEN an invoker sends Deletes naming that image, and naming the stack's
    # image from another logical id
    _, event = crafted(
        rehearsal, "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=victim
    )
    refused = send(rehearsal, event)
    _, other = crafted(
        rehearsal, "Delete", "SomeOtherImage", rehearsal.properties(), physical_id=own.physical_id
    )
    refused_other = send(rehearsal, other)

    # THEN each answers FAILED with the reason, and both images are still there
    assert refused is not None and refused.status == "FAILED"
    assert f"refused to delete image {victim}" in refused.reason
    assert "nothing was changed" in refused.reason
    assert refused_other is not None and refused_other.status == "FAILED"
    assert {victim, own.physical_id} <= set(rehearsal.aws.images())
    # AND the legitimate Delete of the stack's own image still works
    deleted = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=own.physical_id
    )
    assert deleted.status == "SUCCESS", deleted.reason
    assert set(rehearsal.aws.images()) == {victim}


def test_an_event_of_another_stack_is_refused_and_answered_nowhere(rehearsal: Rehearsal) -> None:
    # GIVEN a Create that claims another stack (the attacker's own, say)
    _, event = crafted(rehearsal, "Create", rehearsal.logical_id, rehearsal.properties())
    event["StackId"] = new_stack_id("Elsewhere")

    # WHEN it is sent to the function
    response = send(rehearsal, event)

    # THEN nothing is made and nothing is answered
    assert response is None
    assert rehearsal.aws.images() == {}
    assert "event:refused" in rehearsal.cfn.logs()
    assert_nothing_scheduled(rehearsal)


def test_the_function_answers_nowhere_but_cloudformation(rehearsal: Rehearsal) -> None:
    # GIVEN a valid Create whose ResponseURL points elsewhere (the same local
    # server under another name stands in for an outside host)
    request_id, event = crafted(rehearsal, "Create", rehearsal.logical_id, rehearsal.properties())
    event["ResponseURL"] = event["ResponseURL"].replace("127.0.0.1", "localhost")

    # WHEN it is sent to the function
    response = send(rehearsal, event)

    # THEN no request reaches that host and nothing is made
    assert response is None
    assert rehearsal.aws.endpoint.received(request_id) == []
    assert rehearsal.aws.images() == {}
    assert "ResponseURL" in rehearsal.cfn.logs() and "event:refused" in rehearsal.cfn.logs()


def test_a_crafted_tag_update_of_a_workspace_changes_nothing(rehearsal: Rehearsal) -> None:
    # GIVEN the source WorkSpace's tags
    before = tags_of(rehearsal, REHEARSAL_WORKSPACE_ID)
    old = rehearsal.properties()
    new = rehearsal.properties(Tags=[{"Key": "owner", "Value": "attacker"}])

    # WHEN an Update names the WorkSpace as the image's physical id, with new tags
    _, event = crafted(
        rehearsal,
        "Update",
        rehearsal.logical_id,
        new,
        physical_id=REHEARSAL_WORKSPACE_ID,
        old_properties=old,
    )
    response = send(rehearsal, event)

    # THEN it is refused, and the WorkSpace's tags are as they were
    assert response is not None and response.status == "FAILED"
    assert f"refused to tag or share image {REHEARSAL_WORKSPACE_ID}" in response.reason
    assert tags_of(rehearsal, REHEARSAL_WORKSPACE_ID) == before


def test_the_owner_tags_cannot_be_stripped_through_the_old_tags(rehearsal: Rehearsal) -> None:
    # GIVEN the stack's image
    created = create_available(rehearsal)
    owner = {
        key: tags_of(rehearsal, created.physical_id)[key]
        for key in (contract.OWNER_STACK_TAG, contract.OWNER_LOGICAL_ID_TAG)
    }
    old = rehearsal.properties(Tags=[{"Key": key, "Value": v} for key, v in owner.items()])

    # WHEN an Update claims the owner tags were in the old properties, and not in the new
    _, event = crafted(
        rehearsal,
        "Update",
        rehearsal.logical_id,
        rehearsal.properties(Tags=[{"Key": "team", "Value": "vdi"}]),
        physical_id=created.physical_id,
        old_properties=old,
    )
    response = send(rehearsal, event)

    # THEN it is refused and the owner tags stay
    assert response is not None and response.status == "FAILED"
    assert "reserves for its owner tags" in response.reason
    assert {k: tags_of(rehearsal, created.physical_id)[k] for k in owner} == owner


def seeded_bundle(rehearsal: Rehearsal, image_id: str) -> str:
    """A bundle an administrator made by hand (no owner tags)."""
    made = rehearsal.aws.client("workspaces").create_workspace_bundle(
        BundleName="by-hand",
        BundleDescription="made by hand",
        ImageId=image_id,
        ComputeType={"Name": "STANDARD"},
        UserStorage={"Capacity": "50"},
        RootStorage={"Capacity": "80"},
    )
    return str(made["WorkspaceBundle"]["BundleId"])


def bundle_image(rehearsal: Rehearsal, bundle_id: str) -> str:
    found = rehearsal.aws.client("workspaces").describe_workspace_bundles(BundleIds=[bundle_id])
    return str(found["Bundles"][0]["ImageId"])


def test_a_crafted_bundle_update_cannot_repoint_or_delete_another_bundle(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN a bundle made by hand, and an image the attacker wants it to use
    image = create_available(rehearsal)
    victim = seeded_bundle(rehearsal, image.physical_id)
    attackers_image = foreign_image("attackers-image")
    (bundle_logical_id,) = rehearsal.stack.logical_ids(BUNDLE)
    props = rehearsal.properties_of(
        bundle_logical_id, attributes={rehearsal.logical_id: image.data}
    )

    # WHEN an Update and a Delete of the stack's bundle resource name that bundle
    _, update = crafted(
        rehearsal,
        "Update",
        bundle_logical_id,
        {**props, "ImageId": attackers_image},
        physical_id=victim,
        old_properties=props,
        resource_type=BUNDLE,
    )
    updated = send(rehearsal, update)
    _, delete = crafted(
        rehearsal, "Delete", bundle_logical_id, props, physical_id=victim, resource_type=BUNDLE
    )
    deleted = send(rehearsal, delete)

    # THEN both are refused, and the bundle still uses its image
    assert updated is not None and updated.status == "FAILED"
    assert f"refused to update bundle {victim}" in updated.reason
    assert deleted is not None and deleted.status == "FAILED"
    assert bundle_image(rehearsal, victim) == image.physical_id


def test_a_crafted_poll_event_is_refused(rehearsal: Rehearsal) -> None:
    # GIVEN an image someone else made
    victim = foreign_image()

    # WHEN an invoker sends a "poll" that names it and asks to share it outside
    _, event = crafted(
        rehearsal,
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(ShareWithAccounts=[OUTSIDER]),
    )
    event.update(
        CrHelperPoll=True,
        CrHelperData={"ImageId": victim, "StartedAt": 0, "CreatedHere": True},
    )
    response = send(rehearsal, event)

    # THEN nothing is answered, shared or deleted
    assert response is None
    assert shared_accounts(rehearsal, victim) == set()
    assert victim in rehearsal.aws.images()


# --- 2. what a reader of EventBridge rules sees, and what a writer can do ------------------


def every_target_input(rehearsal: Rehearsal) -> list[str]:
    events = rehearsal.aws.client("events")
    return [
        target.get("Input", "")
        for rule in rehearsal.aws.poll_rules()
        for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    ]


def test_a_reader_of_every_rule_target_during_a_wait_finds_no_url(rehearsal: Rehearsal) -> None:
    # GIVEN a Create whose image is PENDING, so that its poll is scheduled
    request_id, event = crafted(rehearsal, "Create", rehearsal.logical_id, rehearsal.properties())
    rehearsal.cfn.invoke(event)

    # WHEN someone with events:ListTargetsByRule reads every target
    inputs = every_target_input(rehearsal)

    # THEN each names only the resource: no URL, no signature, no image to steer
    assert inputs == [json.dumps({contract.SCHEDULE_EVENT_KEY: rehearsal.logical_id})]
    # AND the request is kept as a SecureString under the stack's own path
    ssm = rehearsal.aws.client("ssm")
    (name,) = rehearsal.aws.state_parameters()
    assert name.startswith(contract.state_path(rehearsal.cfn.stack_id) + "/")
    assert ssm.get_parameter(Name=name)["Parameter"]["Type"] == "SecureString"
    # AND the legitimate wait goes on to its answer, and leaves no state behind
    make_available_at(1)(1)
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.aws.endpoint.received(request_id)))
    assert rehearsal.cfn.response(request_id).status == "SUCCESS"
    assert_nothing_scheduled(rehearsal)


def test_a_reader_of_a_long_waits_rule_finds_no_wait_handle(long_wait: LongWait) -> None:
    rehearsal = long_wait.rehearsal
    response = rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties())
    assert response.status == "SUCCESS", response.reason

    inputs = every_target_input(rehearsal)

    assert inputs == [json.dumps({contract.SCHEDULE_EVENT_KEY: rehearsal.logical_id})]
    assert "wait-handle" not in json.dumps(inputs)
    # AND the watcher still signals once the image is AVAILABLE
    fake_workspaces.finish_pending_images()
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)))
    assert [s["Status"] for s in rehearsal.cfn.signals(long_wait.handle_key)] == ["SUCCESS"]


def plant(
    rehearsal: Rehearsal, rule_name: str, target_input: dict[str, Any], *, alias: bool = True
) -> None:
    """What a principal with events:PutRule/PutTargets on the prefix can do: a rule
    whose target is the function's poll alias (the only ARN EventBridge may
    invoke), or the function itself (``alias=False``)."""
    events = rehearsal.aws.client("events")
    events.put_rule(Name=rule_name, ScheduleExpression="rate(1 minute)", State="ENABLED")
    arn = rehearsal.cfn.function.arn + (f":{contract.POLL_ALIAS}" if alias else "")
    events.put_targets(
        Rule=rule_name,
        Targets=[{"Id": "planted", "Arn": arn, "Input": json.dumps(target_input)}],
    )


def rule_of(rehearsal: Rehearsal, logical_id: str) -> str:
    from cdk_workspace_image.runtime.polling_helper import rule_name

    return rule_name(rehearsal.cfn.stack_id, logical_id)


def test_an_altered_copy_of_a_real_target_steers_nothing(rehearsal: Rehearsal) -> None:
    # GIVEN an image someone else made, and a rule with the stack's prefix whose
    # target is the old-style poll input, altered to name that image and share it
    victim = foreign_image()
    _, event = crafted(
        rehearsal,
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(ShareWithAccounts=[OUTSIDER]),
    )
    altered = {
        **event,
        "CrHelperPoll": True,
        "CrHelperData": {"ImageId": victim, "StartedAt": 0, "Discard": [victim]},
    }
    plant(rehearsal, rule_of(rehearsal, "Planted"), altered)
    # AND a reference to a resource that has no schedule
    plant(rehearsal, rule_of(rehearsal, "Nothing"), {contract.SCHEDULE_EVENT_KEY: "Nothing"})

    # WHEN EventBridge fires both
    rehearsal.cfn.fire()

    # THEN the image is neither shared nor deleted, and the empty reference's rule is gone
    assert shared_accounts(rehearsal, victim) == set()
    assert victim in rehearsal.aws.images()
    assert rule_of(rehearsal, "Nothing") not in {r["Name"] for r in rehearsal.aws.poll_rules()}


def test_a_request_planted_in_a_rule_target_is_never_served(rehearsal: Rehearsal) -> None:
    # GIVEN the stack's image, and rules with the stack's prefix whose targets
    # hold CloudFormation requests of the writer's making (the StackId and a
    # CloudFormation bucket's URL are no secret): one on the poll alias, one
    # on the function that CloudFormation invokes
    own = create_available(rehearsal)
    _, share = crafted(
        rehearsal, "Create", "Planted", rehearsal.properties(ShareWithAccounts=[OUTSIDER])
    )
    _, delete = crafted(
        rehearsal,
        "Delete",
        rehearsal.logical_id,
        rehearsal.properties(),
        physical_id=own.physical_id,
    )
    plant(rehearsal, rule_of(rehearsal, "PlantedCreate"), share)
    plant(rehearsal, rule_of(rehearsal, "PlantedDelete"), delete, alias=False)

    # WHEN EventBridge fires them
    rehearsal.cfn.fire()

    # THEN the alias refuses what is not a schedule's reference, EventBridge
    # may not invoke the function itself, and nothing is made, shared or deleted
    assert list(rehearsal.aws.images()) == [own.physical_id]
    assert shared_accounts(rehearsal, own.physical_id) == set()
    assert rehearsal.cfn.undelivered == [rule_of(rehearsal, "PlantedDelete")]
    assert "a schedule's reference comes only through the poll alias" in rehearsal.cfn.logs()


def test_a_target_planted_on_a_real_rule_makes_no_deploy_delete_images(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an image someone else made, and a target planted on the resource's
    # own rule name, with the old input that listed images to discard
    victim = foreign_image()
    planted = {
        "RequestType": "Create",
        "RequestId": "an-abandoned-request",
        "StackId": rehearsal.cfn.stack_id,
        "LogicalResourceId": rehearsal.logical_id,
        "CrHelperData": {"ImageId": victim, "CreatedHere": True, "Discard": [victim]},
    }
    plant(rehearsal, rule_of(rehearsal, rehearsal.logical_id), planted)

    # WHEN the resource's legitimate Create runs
    response = create_available(rehearsal)

    # THEN it succeeds, the planted image is untouched, and no rule is left
    assert response.status == "SUCCESS"
    assert victim in rehearsal.aws.images()
    assert_nothing_scheduled(rehearsal)


# --- 3. the prefix is the stack's own ---------------------------------------------------


def test_two_stacks_of_one_template_cannot_invoke_each_others_function(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN the template deployed twice (two StackIds), as nested stacks of one
    # parent, or one template deployed under two names, are
    stack = rehearsal.stack
    other = rehearsal.aws.deploy_function(
        stack.template, stack.cdk_out, stack.name, new_stack_id(f"{stack.name}-Copy")
    )
    arn = rehearsal.cfn.function.arn.split(":function:")[0].replace(":lambda:", ":events:")

    # THEN neither stack's rules may invoke the other's function
    ours = f"{arn}:rule/{contract.stack_rule_prefix(rehearsal.cfn.stack_id)}0123abcd-Golden"
    theirs = f"{arn}:rule/{contract.stack_rule_prefix(other.stack_id)}0123abcd-Golden"
    assert rehearsal.cfn.may_invoke(ours) and not rehearsal.cfn.may_invoke(theirs)
    assert ACCOUNT_ID in ours


def test_a_nested_stacks_provider_answers_only_its_own_rules(
    embedded_aws: Any, tmp_path: Any
) -> None:
    # GIVEN two nested stacks of one parent, each with an image (before this
    # session their prefix collapsed to cdk-wsi-, covering every stack's rules)
    import aws_cdk as cdk

    from cdk_workspace_image import WorkspaceImage
    from tests.conftest import FEATURE_FLAGS
    from tests.rehearsal.cloudformation import SynthesizedStack

    app = cdk.App(outdir=str(tmp_path), context=FEATURE_FLAGS)
    parent = cdk.Stack(app, "Parent")
    for name in ("Left", "Right"):
        nested = cdk.NestedStack(parent, name)
        WorkspaceImage(nested, "Golden", workspace_id="ws-nested0001", image_name=name.lower())
    assembly = app.synth()
    nested_templates = [
        path.name for path in tmp_path.iterdir() if path.name.endswith(".nested.template.json")
    ]
    assert len(nested_templates) == 2

    # WHEN each is deployed as its own stack (CloudFormation gives each its own StackId)
    functions = []
    for file in sorted(nested_templates):
        stack = SynthesizedStack.load(tmp_path, file.removesuffix(".template.json"))
        stack_id = new_stack_id(f"Parent-{file[:12]}")
        functions.append(
            (
                stack_id,
                embedded_aws.deploy_function(stack.template, tmp_path, "Parent", stack_id),
            )
        )

    # THEN each function's permission lets in its own stack's poll rules only
    (left_id, left), (right_id, right) = functions
    cfn = CloudFormation(embedded_aws, left)
    arn = left.arn.split(":function:")[0].replace(":lambda:", ":events:")
    assert cfn.may_invoke(f"{arn}:rule/{contract.stack_rule_prefix(left_id)}0123abcd-G")
    assert not cfn.may_invoke(f"{arn}:rule/{contract.stack_rule_prefix(right_id)}0123abcd-G")
    assert not cfn.may_invoke(f"{arn}:rule/cdk-wsi-0123abcd-G")
    other = CloudFormation(embedded_aws, right)
    assert other.may_invoke(f"{arn}:rule/{contract.stack_rule_prefix(right_id)}0123abcd-G")
    assert not other.may_invoke(f"{arn}:rule/{contract.stack_rule_prefix(left_id)}0123abcd-G")
    assert assembly.get_stack_by_name("Parent").template


def test_a_crafted_request_cannot_share_outside_the_accounts_the_stack_names(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an invoker's Create, under a logical id of its choosing, that asks
    # to share the image it makes with an outside account
    _, event = crafted(
        rehearsal, "Create", "Exfiltrate", rehearsal.properties(ShareWithAccounts=[OUTSIDER])
    )

    # WHEN it runs to its answer, the image becoming AVAILABLE
    rehearsal.cfn.invoke(event)
    fake_workspaces.finish_pending_images()
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.aws.endpoint.received(event["RequestId"])))

    # THEN the image is shared with nobody: the function shares only with the
    # accounts the template lists (none here), whatever a request says
    (image_id,) = rehearsal.aws.images()
    assert shared_accounts(rehearsal, image_id) == set()
    assert "refused to share with account 999999999999" in rehearsal.cfn.logs()
