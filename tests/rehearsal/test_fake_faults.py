"""The fake's fault switches and modelled misbehaviours, pinned through boto3.

Each switch is off until a test sets it, and ``EmbeddedAws.reset()`` turns it
off again; these tests show both, one behaviour per test, against the same
server that the handler talks to.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.rehearsal import fake_workspaces
from tests.rehearsal.embedded_aws import ACCOUNT_ID, REGION, EmbeddedAws
from tests.rehearsal.fake_clients import bundle, bundle_ids, image
from tests.rehearsal.fake_workspaces import SLEEP_SCALE, faults

RULE = "cdk-wsi-poll-0123456789"
RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{RULE}"
FUNCTION = "provider"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{FUNCTION}"
OTHER_ACCOUNT = "111122223333"
PRINCIPAL = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/provider-role/fn"


@pytest.fixture
def aws(embedded_aws: EmbeddedAws) -> Iterator[EmbeddedAws]:
    """A fresh account with no switch set; reset afterwards so nothing leaks."""
    embedded_aws.reset()
    yield embedded_aws
    embedded_aws.reset()


@pytest.fixture
def workspaces(aws: EmbeddedAws) -> Any:
    return aws.client("workspaces")


@pytest.fixture
def unretried(aws: EmbeddedAws) -> Any:
    """A WorkSpaces client that sends each call once: every answer is the fake's own."""
    return aws.client("workspaces", config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def events(aws: EmbeddedAws) -> Any:
    return aws.client("events")


@pytest.fixture
def lambda_(aws: EmbeddedAws) -> Any:
    return aws.client("lambda")


# --- helpers -------------------------------------------------------------------


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def bundle_state(workspaces: Any, bundle_id: str) -> str:
    (described,) = workspaces.describe_workspace_bundles(BundleIds=[bundle_id])["Bundles"]
    return str(described["State"])


def rule(events: Any, name: str = RULE) -> str:
    events.put_rule(Name=name, ScheduleExpression="rate(1 minute)")
    return name


def target_ids(events: Any, name: str = RULE) -> list[str]:
    return [target["Id"] for target in events.list_targets_by_rule(Rule=name)["Targets"]]


def put_target(events: Any, target_id: str = "poll", name: str = RULE) -> dict[str, Any]:
    response: dict[str, Any] = events.put_targets(
        Rule=name, Targets=[{"Id": target_id, "Arn": FUNCTION_ARN, "Input": "{}"}]
    )
    return response


def function(aws: EmbeddedAws, name: str = FUNCTION) -> str:
    """A Lambda function that exists (it is never invoked)."""
    role_arn = aws.lambda_role(f"{name}-role")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    aws.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    return name


def allow_events(lambda_: Any, statement_id: str = "poll", name: str = FUNCTION) -> None:
    lambda_.add_permission(
        FunctionName=name,
        StatementId=statement_id,
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=RULE_ARN,
    )


def statement_ids(lambda_: Any, name: str = FUNCTION) -> list[str]:
    try:
        policy = lambda_.get_policy(FunctionName=name)["Policy"]
    except lambda_.exceptions.ResourceNotFoundException:
        return []
    return [statement["Sid"] for statement in json.loads(policy)["Statement"]]


# --- deny: IAM not yet propagated ------------------------------------------------


def test_deny_is_off_by_default(workspaces: Any) -> None:
    # GIVEN a fresh account and an AVAILABLE WorkSpace
    workspace_id = fake_workspaces.seed_workspace()

    # WHEN an image is created from it
    created = workspaces.create_workspace_image(
        Name="golden", Description="golden image", WorkspaceId=workspace_id
    )

    # THEN it is not denied
    assert created["State"] == "PENDING"


def test_deny_answers_access_denied_in_aws_words_and_makes_nothing(
    workspaces: Any, aws: EmbeddedAws
) -> None:
    # GIVEN CreateWorkspaceImage denied for a while
    workspace_id = fake_workspaces.seed_workspace()
    faults.deny("CreateWorkspaceImage", seconds=60)

    # WHEN an image is created
    with pytest.raises(workspaces.exceptions.AccessDeniedException) as raised:
        workspaces.create_workspace_image(
            Name="golden", Description="golden image", WorkspaceId=workspace_id
        )

    # THEN it is HTTP 400 AccessDeniedException, worded as IAM words it, and no image exists
    assert error_of(raised) == (
        400,
        "AccessDeniedException",
        f"User: {PRINCIPAL} is not authorized to perform: workspaces:CreateWorkspaceImage "
        f"on resource: arn:aws:workspaces:{REGION}:{ACCOUNT_ID}:workspace/{workspace_id} "
        "because no identity-based policy allows the workspaces:CreateWorkspaceImage action",
    )
    assert aws.images() == {}


def test_deny_of_a_resource_spares_the_others(workspaces: Any) -> None:
    # GIVEN CreateWorkspaceImage denied on one WorkSpace only
    denied = fake_workspaces.seed_workspace()
    spared = fake_workspaces.seed_workspace()
    faults.deny("CreateWorkspaceImage", seconds=60, resource=denied)

    # WHEN an image is created from the other WorkSpace
    created = workspaces.create_workspace_image(
        Name="golden", Description="golden image", WorkspaceId=spared
    )

    # THEN it is made
    assert created["ImageId"].startswith("wsi-")


def test_deny_of_a_resource_denies_that_resource(workspaces: Any) -> None:
    # GIVEN CreateWorkspaceImage denied on one WorkSpace only
    denied = fake_workspaces.seed_workspace()
    faults.deny("CreateWorkspaceImage", seconds=60, resource=denied)

    # WHEN an image is created from it
    # THEN it is denied
    with pytest.raises(workspaces.exceptions.AccessDeniedException):
        workspaces.create_workspace_image(
            Name="golden", Description="golden image", WorkspaceId=denied
        )


def test_deny_ends_after_its_virtual_seconds(workspaces: Any) -> None:
    # GIVEN CreateWorkspaceImage denied for 5 virtual seconds, and denied right now
    workspace_id = fake_workspaces.seed_workspace()
    faults.deny("CreateWorkspaceImage", seconds=5)
    with pytest.raises(workspaces.exceptions.AccessDeniedException):
        workspaces.create_workspace_image(
            Name="golden", Description="golden image", WorkspaceId=workspace_id
        )

    # WHEN 5 virtual seconds (5 * SLEEP_SCALE real seconds) have passed
    time.sleep(5 * SLEEP_SCALE + 0.05)

    # THEN the same call succeeds
    created = workspaces.create_workspace_image(
        Name="golden", Description="golden image", WorkspaceId=workspace_id
    )
    assert created["ImageId"].startswith("wsi-")


def test_deny_for_ever_outlasts_any_finite_wait(workspaces: Any) -> None:
    # GIVEN DescribeWorkspaceImages denied for ever
    faults.deny("DescribeWorkspaceImages", seconds=float("inf"))

    # WHEN more than 10 virtual seconds have passed
    time.sleep(10 * SLEEP_SCALE + 0.05)

    # THEN it is still denied, on resource "*" (the action has no resource type)
    with pytest.raises(workspaces.exceptions.AccessDeniedException) as raised:
        workspaces.describe_workspace_images()
    assert "workspaces:DescribeWorkspaceImages on resource: * because" in error_of(raised)[2]


def test_deny_of_put_targets_names_the_rule_and_adds_no_target(events: Any) -> None:
    # GIVEN a rule, and PutTargets denied
    rule(events)
    faults.deny("PutTargets", seconds=60)

    # WHEN a target is put on the rule
    with pytest.raises(ClientError) as raised:
        put_target(events)

    # THEN it is HTTP 400 AccessDeniedException on the rule's ARN, and no target was added
    assert error_of(raised) == (
        400,
        "AccessDeniedException",
        f"User: {PRINCIPAL} is not authorized to perform: events:PutTargets "
        f"on resource: {RULE_ARN} "
        "because no identity-based policy allows the events:PutTargets action",
    )
    assert target_ids(events) == []


def test_deny_of_add_permission_is_403_on_the_function(aws: EmbeddedAws, lambda_: Any) -> None:
    # GIVEN a function, and AddPermission denied on it (named by its ARN)
    function(aws)
    faults.deny("AddPermission", seconds=60, resource=FUNCTION_ARN)

    # WHEN a permission is added to it by name
    with pytest.raises(ClientError) as raised:
        allow_events(lambda_)

    # THEN it is AccessDeniedException, with Lambda's HTTP 403, and no statement was added
    assert error_of(raised) == (
        403,
        "AccessDeniedException",
        f"User: {PRINCIPAL} is not authorized to perform: lambda:AddPermission "
        f"on resource: {FUNCTION_ARN} "
        "because no identity-based policy allows the lambda:AddPermission action",
    )
    assert statement_ids(lambda_) == []


def test_denied_calls_are_counted(events: Any) -> None:
    # GIVEN PutRule denied
    faults.deny("PutRule", seconds=60)

    # WHEN a rule is put twice
    for _ in range(2):
        with pytest.raises(ClientError):
            rule(events)

    # THEN both calls were counted
    assert faults.calls["PutRule"] == 2


def test_deny_does_not_use_up_an_injected_fault(events: Any) -> None:
    # GIVEN PutRule denied for 1 virtual second, and one ConcurrentModification injected
    faults.deny("PutRule", seconds=1)
    faults.inject("PutRule", "ConcurrentModificationException", "busy")
    with pytest.raises(ClientError):
        rule(events)

    # WHEN the denial has ended and the rule is put again
    time.sleep(SLEEP_SCALE + 0.05)
    with pytest.raises(ClientError) as raised:
        rule(events)

    # THEN that call gets the injected fault
    assert error_of(raised)[1] == "ConcurrentModificationException"


# --- inject: EventBridge and Lambda ----------------------------------------------


def test_inject_works_for_eventbridge_rules(events: Any) -> None:
    # GIVEN a ConcurrentModificationException waiting for PutRule
    faults.inject("PutRule", "ConcurrentModificationException", "Rule is being modified.")

    # WHEN a rule is put
    with pytest.raises(events.exceptions.ConcurrentModificationException):
        rule(events)

    # THEN the call was counted and made no rule
    assert faults.calls["PutRule"] == 1
    assert events.list_rules()["Rules"] == []


def test_inject_works_for_lambda_permissions(aws: EmbeddedAws, lambda_: Any) -> None:
    # GIVEN a function with one permission, and a fault waiting for RemovePermission
    function(aws)
    allow_events(lambda_)
    faults.inject("RemovePermission", "TooManyRequestsException", "Rate exceeded", times=5)

    # WHEN the permission is removed
    with pytest.raises(lambda_.exceptions.TooManyRequestsException):
        lambda_.remove_permission(FunctionName=FUNCTION, StatementId="poll")

    # THEN the statement is still there
    assert statement_ids(lambda_) == ["poll"]


def test_eventbridge_and_lambda_calls_are_counted(
    aws: EmbeddedAws, events: Any, lambda_: Any
) -> None:
    # GIVEN a function
    function(aws)

    # WHEN crhelper's polling calls are made once each
    rule(events)
    allow_events(lambda_)
    put_target(events)
    events.list_targets_by_rule(Rule=RULE)
    events.remove_targets(Rule=RULE, Ids=["poll"])
    events.delete_rule(Name=RULE)
    lambda_.remove_permission(FunctionName=FUNCTION, StatementId="poll")

    # THEN each was counted once
    crhelper_actions = (
        "PutRule",
        "PutTargets",
        "ListTargetsByRule",
        "RemoveTargets",
        "DeleteRule",
        "AddPermission",
        "RemovePermission",
    )
    assert {action: faults.calls[action] for action in crhelper_actions} == dict.fromkeys(
        crhelper_actions, 1
    )


# --- fail_entries: EventBridge partial failures ------------------------------------


def test_put_targets_fails_no_entry_by_default(events: Any) -> None:
    # GIVEN a rule
    rule(events)

    # WHEN a target is put on it
    response = put_target(events)

    # THEN no entry failed and the target is there
    assert (response["FailedEntryCount"], response["FailedEntries"]) == (0, [])
    assert target_ids(events) == ["poll"]


def test_fail_entries_on_put_targets_reports_every_target_and_adds_none(events: Any) -> None:
    # GIVEN a rule, and PutTargets set to fail its entries once
    rule(events)
    faults.fail_entries("PutTargets")

    # WHEN a target is put on it
    response = put_target(events)

    # THEN the call succeeds (HTTP 200) but reports the entry failed, and adds nothing
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["FailedEntryCount"] == 1
    assert response["FailedEntries"] == [
        {
            "TargetId": "poll",
            "ErrorCode": "ConcurrentModificationException",
            "ErrorMessage": f"Rule {RULE} is being modified.",
        }
    ]
    assert target_ids(events) == []


def test_fail_entries_takes_the_given_code_and_message(events: Any) -> None:
    # GIVEN a rule, and PutTargets set to fail with a given code and message
    rule(events)
    faults.fail_entries("PutTargets", error_code="InternalFailure", error_message="oops")

    # WHEN a target is put on it
    (entry,) = put_target(events)["FailedEntries"]

    # THEN the entry carries them
    assert (entry["ErrorCode"], entry["ErrorMessage"]) == ("InternalFailure", "oops")


def test_fail_entries_lasts_for_its_number_of_calls(events: Any) -> None:
    # GIVEN a rule, and PutTargets set to fail twice
    rule(events)
    faults.fail_entries("PutTargets", times=2)

    # WHEN a target is put three times
    counts = [put_target(events)["FailedEntryCount"] for _ in range(3)]

    # THEN the first two failed and the third added the target
    assert counts == [1, 1, 0]
    assert target_ids(events) == ["poll"]


def test_fail_entries_on_remove_targets_keeps_the_targets(events: Any) -> None:
    # GIVEN a rule with a target, and RemoveTargets set to fail once
    rule(events)
    put_target(events)
    faults.fail_entries("RemoveTargets")

    # WHEN the target is removed
    response = events.remove_targets(Rule=RULE, Ids=["poll"])

    # THEN the entry is reported failed and the target is still there
    assert response["FailedEntryCount"] == 1
    assert response["FailedEntries"][0]["TargetId"] == "poll"
    assert target_ids(events) == ["poll"]


def test_fail_entries_on_an_unknown_rule_is_still_not_found(events: Any) -> None:
    # GIVEN no rule, and PutTargets set to fail its entries
    faults.fail_entries("PutTargets")

    # WHEN a target is put on a rule that does not exist
    # THEN it is ResourceNotFoundException, as without the switch
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        put_target(events)


# --- policy_conflicts: Lambda's overlapping resource-policy updates ----------------


def test_back_to_back_policy_changes_do_not_conflict_by_default(
    aws: EmbeddedAws, lambda_: Any
) -> None:
    # GIVEN a function whose policy was just changed
    function(aws)
    allow_events(lambda_)

    # WHEN it is changed again at once
    lambda_.remove_permission(FunctionName=FUNCTION, StatementId="poll")

    # THEN both changes took effect
    assert statement_ids(lambda_) == []


def test_policy_change_soon_after_another_conflicts_and_changes_nothing(
    aws: EmbeddedAws, lambda_: Any
) -> None:
    # GIVEN policy changes conflict within 60 s, and a permission just added
    function(aws)
    faults.policy_conflicts(60)
    allow_events(lambda_)

    # WHEN the permission is removed at once
    with pytest.raises(lambda_.exceptions.ResourceConflictException) as raised:
        lambda_.remove_permission(FunctionName=FUNCTION, StatementId="poll")

    # THEN it is HTTP 409 "An update is in progress", and the statement is still there
    assert error_of(raised) == (
        409,
        "ResourceConflictException",
        "The operation cannot be performed at this time. "
        f"An update is in progress for resource: {FUNCTION_ARN}",
    )
    assert statement_ids(lambda_) == ["poll"]


def test_policy_change_after_the_window_succeeds(aws: EmbeddedAws, lambda_: Any) -> None:
    # GIVEN policy changes conflict within 0.05 s, and a permission just added
    function(aws)
    faults.policy_conflicts(0.05)
    allow_events(lambda_)

    # WHEN the window has passed and the permission is removed
    time.sleep(0.1)
    lambda_.remove_permission(FunctionName=FUNCTION, StatementId="poll")

    # THEN it is gone
    assert statement_ids(lambda_) == []


def test_policy_conflicts_are_per_function(aws: EmbeddedAws, lambda_: Any) -> None:
    # GIVEN policy changes conflict within 60 s, and one function's policy just changed
    function(aws)
    function(aws, "other")
    faults.policy_conflicts(60)
    allow_events(lambda_)

    # WHEN the other function's policy is changed
    allow_events(lambda_, name="other")

    # THEN it succeeds
    assert statement_ids(lambda_, "other") == ["poll"]


def test_a_refused_policy_change_does_not_start_a_conflict(aws: EmbeddedAws, lambda_: Any) -> None:
    # GIVEN policy changes conflict within 60 s, and a RemovePermission of a missing statement
    function(aws)
    faults.policy_conflicts(60)
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
        lambda_.remove_permission(FunctionName=FUNCTION, StatementId="missing")

    # WHEN a permission is added at once
    allow_events(lambda_)

    # THEN it succeeds: the refused call changed nothing
    assert statement_ids(lambda_) == ["poll"]


def test_duplicate_statement_id_keeps_its_own_message(aws: EmbeddedAws, lambda_: Any) -> None:
    # GIVEN a function with the statement poll
    function(aws)
    allow_events(lambda_)

    # WHEN poll is added again
    with pytest.raises(lambda_.exceptions.ResourceConflictException) as raised:
        allow_events(lambda_)

    # THEN the conflict says the statement id exists
    assert error_of(raised) == (
        409,
        "ResourceConflictException",
        "The statement id (poll) provided already exists.",
    )


# --- DeleteWorkspaceImage of a PENDING image ----------------------------------------


def test_delete_of_a_pending_image_is_refused_by_default(workspaces: Any, aws: EmbeddedAws) -> None:
    # GIVEN an image still being created
    image_id = image(workspaces, state="PENDING")

    # WHEN it is deleted
    with pytest.raises(workspaces.exceptions.InvalidResourceStateException) as raised:
        workspaces.delete_workspace_image(ImageId=image_id)

    # THEN it is refused, saying when it can be deleted, and the image still exists
    assert error_of(raised)[2] == (
        f"The image {image_id} is PENDING; it can be deleted once it is AVAILABLE or ERROR."
    )
    assert image_id in aws.images()


def test_delete_of_a_pending_image_succeeds_when_allowed(workspaces: Any, aws: EmbeddedAws) -> None:
    # GIVEN an image still being created, and pending deletes allowed
    image_id = image(workspaces, state="PENDING")
    faults.allow_pending_image_delete = True

    # WHEN it is deleted
    workspaces.delete_workspace_image(ImageId=image_id)

    # THEN it is gone
    assert image_id not in aws.images()


def test_delete_of_a_failed_image_succeeds(workspaces: Any, aws: EmbeddedAws) -> None:
    # GIVEN an image whose creation failed
    image_id = image(workspaces, state="ERROR")

    # WHEN it is deleted
    workspaces.delete_workspace_image(ImageId=image_id)

    # THEN it is gone
    assert image_id not in aws.images()


# --- UpdateWorkspaceImagePermission ---------------------------------------------------


def test_share_is_visible_through_describe_permissions(workspaces: Any) -> None:
    # GIVEN an image
    image_id = image(workspaces)

    # WHEN it is shared with another account
    workspaces.update_workspace_image_permission(
        ImageId=image_id, AllowCopyImage=True, SharedAccountId=OTHER_ACCOUNT
    )

    # THEN DescribeWorkspaceImagePermissions lists that account
    described = workspaces.describe_workspace_image_permissions(ImageId=image_id)
    assert described["ImagePermissions"] == [{"SharedAccountId": OTHER_ACCOUNT}]


def test_unshare_of_a_shared_account_removes_it(workspaces: Any) -> None:
    # GIVEN an image shared with another account
    image_id = image(workspaces)
    workspaces.update_workspace_image_permission(
        ImageId=image_id, AllowCopyImage=True, SharedAccountId=OTHER_ACCOUNT
    )

    # WHEN the share is revoked
    workspaces.update_workspace_image_permission(
        ImageId=image_id, AllowCopyImage=False, SharedAccountId=OTHER_ACCOUNT
    )

    # THEN no account is listed
    described = workspaces.describe_workspace_image_permissions(ImageId=image_id)
    assert described["ImagePermissions"] == []


def test_unshare_of_an_unshared_account_is_refused_by_default(workspaces: Any) -> None:
    # GIVEN an image shared with nobody
    image_id = image(workspaces)

    # WHEN a share with another account is revoked
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException) as raised:
        workspaces.update_workspace_image_permission(
            ImageId=image_id, AllowCopyImage=False, SharedAccountId=OTHER_ACCOUNT
        )

    # THEN it is refused: a permission can be revoked only after it was granted
    assert error_of(raised)[2] == (
        f"The image {image_id} is not shared with account {OTHER_ACCOUNT}."
    )


def test_unshare_of_an_unshared_account_is_a_no_op_when_allowed(workspaces: Any) -> None:
    # GIVEN an image shared with nobody, and unsharing the unshared allowed
    image_id = image(workspaces)
    faults.allow_unshare_of_unshared = True

    # WHEN a share with another account is revoked
    workspaces.update_workspace_image_permission(
        ImageId=image_id, AllowCopyImage=False, SharedAccountId=OTHER_ACCOUNT
    )

    # THEN nothing changed
    described = workspaces.describe_workspace_image_permissions(ImageId=image_id)
    assert described["ImagePermissions"] == []


def test_permission_of_an_unknown_image_is_not_found(workspaces: Any) -> None:
    # GIVEN no image
    # WHEN an image id that does not exist is shared
    # THEN it is not found (moto alone answers 500)
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        workspaces.update_workspace_image_permission(
            ImageId="wsi-000000000", AllowCopyImage=True, SharedAccountId=OTHER_ACCOUNT
        )


# --- bundle states ---------------------------------------------------------------------


def test_bundles_are_born_available_by_default(workspaces: Any) -> None:
    # GIVEN an AVAILABLE image
    image_id = image(workspaces)

    # WHEN a bundle is created on it
    bundle_id = bundle(workspaces, image_id)

    # THEN it is AVAILABLE
    assert bundle_state(workspaces, bundle_id) == "AVAILABLE"


def test_pending_bundles_are_born_pending(workspaces: Any) -> None:
    # GIVEN an AVAILABLE image, and pending bundles on
    image_id = image(workspaces)
    faults.pending_bundles = True

    # WHEN a bundle is created on it
    created = workspaces.create_workspace_bundle(
        BundleName="golden-bundle",
        BundleDescription="golden bundle",
        ImageId=image_id,
        ComputeType={"Name": "STANDARD"},
        UserStorage={"Capacity": "50"},
    )["WorkspaceBundle"]

    # THEN both the answer and DescribeWorkspaceBundles say PENDING
    assert created["State"] == "PENDING"
    assert bundle_state(workspaces, created["BundleId"]) == "PENDING"


def test_finish_pending_bundles_makes_them_available(workspaces: Any) -> None:
    # GIVEN a PENDING bundle
    faults.pending_bundles = True
    bundle_id = bundle(workspaces, image(workspaces))

    # WHEN the service finishes it
    fake_workspaces.finish_pending_bundles()

    # THEN it is AVAILABLE
    assert bundle_state(workspaces, bundle_id) == "AVAILABLE"


def test_set_bundle_state_is_what_describe_reports(workspaces: Any) -> None:
    # GIVEN a bundle
    bundle_id = bundle(workspaces, image(workspaces))

    # WHEN it is set to ERROR
    fake_workspaces.set_bundle_state(bundle_id, "ERROR")

    # THEN DescribeWorkspaceBundles reports ERROR, with no error fields (the model has none)
    (described,) = workspaces.describe_workspace_bundles(BundleIds=[bundle_id])["Bundles"]
    assert described["State"] == "ERROR"
    assert not {"ErrorCode", "ErrorMessage", "ErrorDetails"} & set(described)


def test_update_puts_a_bundle_back_to_pending_when_pending_bundles(workspaces: Any) -> None:
    # GIVEN an AVAILABLE bundle, a second image, and pending bundles on
    bundle_id = bundle(workspaces, image(workspaces, name="golden-v1"))
    newer = image(workspaces, name="golden-v2")
    faults.pending_bundles = True

    # WHEN the bundle is updated to the second image
    workspaces.update_workspace_bundle(BundleId=bundle_id, ImageId=newer)

    # THEN it is PENDING
    assert bundle_state(workspaces, bundle_id) == "PENDING"


def test_update_keeps_a_bundle_available_by_default(workspaces: Any) -> None:
    # GIVEN an AVAILABLE bundle and a second image
    bundle_id = bundle(workspaces, image(workspaces, name="golden-v1"))
    newer = image(workspaces, name="golden-v2")

    # WHEN the bundle is updated to the second image
    workspaces.update_workspace_bundle(BundleId=bundle_id, ImageId=newer)

    # THEN it is still AVAILABLE
    assert bundle_state(workspaces, bundle_id) == "AVAILABLE"


# --- hide_new_bundles: eventual consistency -----------------------------------------


def test_new_bundles_are_found_by_id_at_once_by_default(workspaces: Any) -> None:
    # GIVEN a bundle just created
    bundle_id = bundle(workspaces, image(workspaces))

    # WHEN it is described by id
    found = bundle_ids(workspaces, BundleIds=[bundle_id])

    # THEN it is found
    assert found == [bundle_id]


def test_hide_new_bundles_hides_them_for_its_number_of_calls(workspaces: Any) -> None:
    # GIVEN new bundles hidden for two calls, and a bundle created after that
    image_id = image(workspaces)
    faults.hide_new_bundles(2)
    bundle_id = bundle(workspaces, image_id)

    # WHEN it is described by id three times
    found = [bundle_ids(workspaces, BundleIds=[bundle_id]) for _ in range(3)]

    # THEN the first two miss it and the third finds it
    assert found == [[], [], [bundle_id]]


def test_hide_new_bundles_spares_older_bundles(workspaces: Any) -> None:
    # GIVEN a bundle, then new bundles hidden
    bundle_id = bundle(workspaces, image(workspaces))
    faults.hide_new_bundles(1)

    # WHEN the older bundle is described by id
    found = bundle_ids(workspaces, BundleIds=[bundle_id])

    # THEN it is found
    assert found == [bundle_id]


def test_hide_new_bundles_leaves_listing_alone(workspaces: Any) -> None:
    # GIVEN new bundles hidden for one call, and a bundle created after that
    image_id = image(workspaces)
    faults.hide_new_bundles(1)
    bundle_id = bundle(workspaces, image_id)

    # WHEN the account's bundles are listed without ids, and then described by id
    listed = bundle_ids(workspaces)
    by_id = bundle_ids(workspaces, BundleIds=[bundle_id])

    # THEN the listing finds it, and did not use up the hiding call
    assert (listed, by_id) == ([bundle_id], [])


# --- throttle: the request rate limit ----------------------------------------------
# A slow refill (one call per 100 virtual seconds, 2 real seconds) keeps a
# bucket empty across the few milliseconds a test's calls take.


def test_throttle_is_off_by_default(unretried: Any) -> None:
    # GIVEN a fresh account

    # WHEN one action is called many times in a row
    for _ in range(10):
        unretried.describe_workspace_images()

    # THEN none is throttled
    assert faults.throttled == {}


def test_throttle_answers_rate_exceeded_once_the_burst_is_spent(unretried: Any) -> None:
    # GIVEN DescribeWorkspaceImages throttled with bursts of 2, and 2 calls made
    faults.throttle(rate=0.01, burst=2, actions=["DescribeWorkspaceImages"])
    unretried.describe_workspace_images()
    unretried.describe_workspace_images()

    # WHEN a third call follows at once
    with pytest.raises(ClientError) as raised:
        unretried.describe_workspace_images()

    # THEN it is HTTP 400 ThrottlingException "Rate exceeded", as WorkSpaces answers,
    # and counted both as a call and as throttled
    assert error_of(raised) == (400, "ThrottlingException", "Rate exceeded")
    assert (faults.calls["DescribeWorkspaceImages"], faults.throttled) == (
        3,
        {"DescribeWorkspaceImages": 1},
    )


def test_throttle_refills_at_its_rate_in_virtual_seconds(unretried: Any) -> None:
    # GIVEN one call per 10 virtual seconds, bursts of 1, and the one call spent
    faults.throttle(rate=0.1, burst=1, actions=["DescribeWorkspaceImages"])
    unretried.describe_workspace_images()
    with pytest.raises(ClientError):
        unretried.describe_workspace_images()

    # WHEN 10 virtual seconds (10 * SLEEP_SCALE real seconds) have passed
    time.sleep(10 * SLEEP_SCALE + 0.05)

    # THEN the next call is served
    assert unretried.describe_workspace_images()["Images"] == []


def test_throttle_keeps_a_bucket_per_action(unretried: Any) -> None:
    # GIVEN every WorkSpaces action throttled, and DescribeWorkspaceImages' burst spent
    faults.throttle(rate=0.01, burst=1)
    unretried.describe_workspace_images()

    # WHEN another action is called
    bundles = unretried.describe_workspace_bundles()

    # THEN it is served from its own bucket
    assert bundles["Bundles"] == []


def test_throttle_of_named_actions_spares_the_others(unretried: Any) -> None:
    # GIVEN only DescribeWorkspaceBundles throttled, with its burst spent
    faults.throttle(rate=0.01, burst=1, actions=["DescribeWorkspaceBundles"])
    unretried.describe_workspace_bundles()

    # WHEN another action is called again and again
    for _ in range(3):
        unretried.describe_workspace_images()

    # THEN it is never throttled
    assert faults.throttled == {}


def test_a_throttled_call_does_not_use_up_an_injected_fault(unretried: Any) -> None:
    # GIVEN a throttled action whose burst is spent, and one injected fault on it
    faults.throttle(rate=0.01, burst=1, actions=["DescribeWorkspaceImages"])
    unretried.describe_workspace_images()
    faults.inject("DescribeWorkspaceImages", "InvalidParameterValuesException", "injected")

    # WHEN it is called while throttled, and once the throttle is lifted
    with pytest.raises(ClientError) as throttled:
        unretried.describe_workspace_images()
    faults.unthrottle()
    with pytest.raises(ClientError) as injected:
        unretried.describe_workspace_images()

    # THEN the throttled call answered ThrottlingException and left the fault for the next
    assert (error_of(throttled)[1], error_of(injected)[1]) == (
        "ThrottlingException",
        "InvalidParameterValuesException",
    )


def test_a_throttled_create_makes_nothing(unretried: Any, aws: EmbeddedAws) -> None:
    # GIVEN CreateWorkspaceImage throttled, with its burst spent on one image
    faults.throttle(rate=0.01, burst=1, actions=["CreateWorkspaceImage"])
    first = unretried.create_workspace_image(
        Name="first", Description="first image", WorkspaceId=fake_workspaces.seed_workspace()
    )

    # WHEN a second image is created at once
    with pytest.raises(ClientError):
        unretried.create_workspace_image(
            Name="second", Description="second image", WorkspaceId=fake_workspaces.seed_workspace()
        )

    # THEN only the first exists
    assert list(aws.images()) == [first["ImageId"]]


# --- reset -----------------------------------------------------------------------------


def test_reset_turns_every_switch_off(aws: EmbeddedAws, workspaces: Any, events: Any) -> None:
    # GIVEN every switch set
    faults.deny("PutRule", seconds=float("inf"))
    faults.inject("PutRule", "ThrottlingException", "slow down")
    faults.fail_entries("PutTargets", times=5)
    faults.policy_conflicts(60)
    faults.hide_new_bundles(5)
    faults.throttle(rate=0.001, burst=1)
    workspaces.describe_workspace_images()  # the burst of DescribeWorkspaceImages, spent
    faults.pending_bundles = True
    faults.allow_pending_image_delete = True
    faults.allow_unshare_of_unshared = True

    # WHEN the embedded AWS is reset
    aws.reset()

    # THEN rules and targets work again, calls are not throttled, bundles are born
    # AVAILABLE and visible, and the modelled refusals are back
    rule(events)
    workspaces.describe_workspace_images()
    assert faults.throttled == {}
    assert put_target(events)["FailedEntryCount"] == 0
    bundle_id = bundle(workspaces, image(workspaces))
    assert bundle_state(workspaces, bundle_id) == "AVAILABLE"
    assert (faults.allow_pending_image_delete, faults.allow_unshare_of_unshared) == (
        False,
        False,
    )
