"""The template that WorkspaceImage synthesizes, and its synth-time checks."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from cdk_workspace_image import WorkspaceImage
from cdk_workspace_image.runtime import contract

WORKSPACE_ID = "ws-abcdef123"


def make_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "TestStack")


def image(stack: cdk.Stack, construct_id: str = "Golden", **kwargs: Any) -> WorkspaceImage:
    kwargs.setdefault("workspace_id", WORKSPACE_ID)
    kwargs.setdefault("image_name", "golden-2026-11")
    # Most tests look at the custom resource that waits by itself (up to 55
    # minutes); test_the_default_timeout_... pins the default.
    kwargs.setdefault("timeout", cdk.Duration.minutes(55))
    return WorkspaceImage(stack, construct_id, **kwargs)


def statements(template: Template) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def test_one_custom_resource_mirrors_the_api() -> None:
    # GIVEN a stack WHEN an image is declared
    stack = make_stack()
    image(stack, description="Golden image for November", tags={"team": "euc"})

    # THEN one Custom::WorkspaceImage carries the API's properties
    template = Template.from_stack(stack)
    template.resource_count_is("Custom::WorkspaceImage", 1)
    template.has_resource_properties(
        "Custom::WorkspaceImage",
        {
            "ServiceToken": {"Fn::GetAtt": [Match.string_like_regexp("Function"), "Arn"]},
            "WorkspaceId": WORKSPACE_ID,
            "Name": "golden-2026-11",
            "Description": "Golden image for November",
            "Tags": [{"Key": "team", "Value": "euc"}],
            "PollIntervalMinutes": 1,
            "TimeoutSeconds": 3300,
            # The handler keeps the timeout; CloudFormation waits as long as it
            # allows, so that a Delete can wait for a PENDING image.
            "ServiceTimeout": "3600",
        },
    )


def test_defaults_retain_the_image_except_on_a_rolled_back_create_and_keep_a_replaced_one() -> None:
    stack = make_stack()
    image(stack)

    template = Template.from_stack(stack)
    template.has_resource(
        "Custom::WorkspaceImage",
        {
            "DeletionPolicy": "RetainExceptOnCreate",
            # The last good version stays, as for aws-cdk-lib's own resources (issue #17).
            "UpdateReplacePolicy": "Retain",
            "Properties": Match.object_like({"Description": "Image golden-2026-11"}),
        },
    )
    assert "KeepPreviousVersions" not in json.dumps(template.to_json())


@pytest.mark.parametrize(
    ("removal_policy", "keep", "deletion", "replace"),
    [
        (cdk.RemovalPolicy.RETAIN, None, "Retain", "Retain"),
        (cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, None, "RetainExceptOnCreate", "Retain"),
        (cdk.RemovalPolicy.DESTROY, None, "Delete", "Delete"),
        (cdk.RemovalPolicy.RETAIN, 0, "Retain", "Delete"),
        (cdk.RemovalPolicy.DESTROY, 2, "Delete", "Retain"),
    ],
)
def test_a_replaced_image_is_kept_as_removal_policy_and_keep_previous_versions_say(
    removal_policy: cdk.RemovalPolicy, keep: int | None, deletion: str, replace: str
) -> None:
    stack = make_stack()
    image(stack, removal_policy=removal_policy, keep_previous_versions=keep)

    Template.from_stack(stack).has_resource(
        "Custom::WorkspaceImage", {"DeletionPolicy": deletion, "UpdateReplacePolicy": replace}
    )


def test_keep_previous_versions_reaches_the_handler_as_a_property() -> None:
    stack = make_stack()
    image(stack, keep_previous_versions=3)

    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImage", {"KeepPreviousVersions": 3}
    )


@pytest.mark.parametrize("keep", [-1, 1.5, "2", True])
def test_keep_previous_versions_must_be_a_whole_number_naming_the_argument(keep: Any) -> None:
    with pytest.raises(ValueError, match='"keep_previous_versions" must be a whole number'):
        image(make_stack(), keep_previous_versions=keep)


def test_keep_previous_versions_must_be_known_at_synth() -> None:
    stack = make_stack()
    keep = cdk.CfnParameter(stack, "Keep", type="Number").value_as_number

    with pytest.raises(ValueError, match='"keep_previous_versions" must be a concrete number'):
        image(stack, keep_previous_versions=keep)


def test_the_default_timeout_outlasts_the_documented_45_minutes_in_a_wait_condition() -> None:
    stack = make_stack()
    golden = WorkspaceImage(stack, "Golden", workspace_id=WORKSPACE_ID, image_name="g")

    template = Template.from_stack(stack)
    template.has_resource_properties("Custom::WorkspaceImage", {"TimeoutSeconds": 7200})
    template.has_resource_properties("AWS::CloudFormation::WaitCondition", {"Timeout": "7200"})
    assert golden.wait_condition is not None


def test_timeout_and_poll_interval_reach_the_resource() -> None:
    stack = make_stack()
    image(
        stack,
        timeout=cdk.Duration.minutes(30),
        poll_interval=cdk.Duration.minutes(5),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )

    template = Template.from_stack(stack)
    template.has_resource(
        "Custom::WorkspaceImage",
        {
            "DeletionPolicy": "Delete",
            "Properties": Match.object_like(
                {"ServiceTimeout": "3600", "TimeoutSeconds": 1800, "PollIntervalMinutes": 5}
            ),
        },
    )


STACK_UUID = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}


def test_every_image_in_a_stack_shares_one_provider_function() -> None:
    stack = make_stack()
    image(stack, "One", image_name="one")
    image(stack, "Two", image_name="two", workspace_id="ws-other0001")

    template = Template.from_stack(stack)
    template.resource_count_is("Custom::WorkspaceImage", 2)
    template.resource_count_is("AWS::Lambda::Function", 1)


def test_the_function_runs_the_latest_python_on_arm64_with_a_retained_log_group() -> None:
    stack = make_stack()
    image(stack)

    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Handler": "index.handler",
            "LoggingConfig": {"LogGroup": {"Ref": Match.string_like_regexp("Logs")}},
        },
    )
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})


def test_an_event_runs_once_and_waits_at_most_an_hour_when_throttled() -> None:
    # GIVEN a stack with an image, whose function CloudFormation and EventBridge
    # invoke asynchronously
    stack = make_stack()
    image(stack)

    # THEN Lambda does not run a failed event again (a malformed or hostile one
    # would run three times), and drops an event it could not run within the
    # hour CloudFormation waits for a custom resource
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::Lambda::EventInvokeConfig", 1)
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {"Ref": Match.string_like_regexp("CdkWorkspaceImageProviderFunction")},
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": 0,
            "MaximumEventAgeInSeconds": contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS,
        },
    )


def test_one_fixed_permission_lets_this_stacks_poll_rules_invoke_the_function() -> None:
    # GIVEN two images in one stack
    stack = make_stack()
    image(stack, "One", image_name="one")
    image(stack, "Two", image_name="two", workspace_id="ws-other0001")

    template = Template.from_stack(stack)
    # THEN one permission, scoped to the stack's rule prefix (cdk-wsi- and the
    # UUID of its StackId, which CloudFormation computes), serves both
    (permission_id,) = template.find_resources(
        "AWS::Lambda::Permission",
        {
            "Properties": {
                "Action": "lambda:InvokeFunction",
                # The poll alias, EventBridge's only way in (not the function itself)
                "FunctionName": {"Ref": Match.string_like_regexp("PollAlias")},
                "Principal": "events.amazonaws.com",
                "SourceAccount": {"Ref": "AWS::AccountId"},
                "SourceArn": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":events:",
                            {"Ref": "AWS::Region"},
                            ":",
                            {"Ref": "AWS::AccountId"},
                            ":rule/cdk-wsi-",
                            STACK_UUID,
                            "-*",
                        ],
                    ]
                },
            }
        },
    )
    # AND the alias is of $LATEST
    template.has_resource_properties(
        "AWS::Lambda::Alias", {"Name": contract.POLL_ALIAS, "FunctionVersion": "$LATEST"}
    )
    # AND the function names its rules with that prefix, from the same StackId
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": {contract.ENV_STACK_ID: {"Ref": "AWS::StackId"}}}},
    )
    # AND each image waits for it, and the function may not change its own policy
    template.all_resources(
        "Custom::WorkspaceImage", {"DependsOn": Match.array_with([permission_id])}
    )
    for statement in statements(template):
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert not any(action.startswith("lambda:") for action in actions), statement


def test_iam_grants_no_action_wildcards() -> None:
    stack = make_stack()
    image(stack)

    for statement in statements(Template.from_stack(stack)):
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in action for action in actions), statement


def test_create_is_scoped_to_the_source_workspace_and_images() -> None:
    stack = make_stack()
    image(stack)

    found = statements(Template.from_stack(stack))
    rendered = json.dumps(found)
    assert f":workspace/{WORKSPACE_ID}" in rendered
    assert ":workspaceimage/*" in rendered
    # Only this stack's poll rules, not every cdk-wsi- rule of the account
    assert f'":rule/cdk-wsi-", {json.dumps(STACK_UUID)}, "-*"' in rendered
    assert ":rule/cdk-wsi-*" not in rendered


def test_only_calls_without_resource_types_use_a_resource_wildcard() -> None:
    stack = make_stack()
    image(stack)

    wildcard = [s for s in statements(Template.from_stack(stack)) if s["Resource"] == "*"]
    # Tagging is on "*" too, under conditions on the tags (test_provider_iam.py).
    assert [s["Action"] for s in wildcard] == [
        [
            "workspaces:DescribeWorkspaceImages",
            "workspaces:DescribeWorkspaceBundles",
            "workspaces:DescribeTags",
        ],
        ["workspaces:CreateTags", "workspaces:DeleteTags"],
        "workspaces:CreateTags",
    ]
    assert all("Condition" in s for s in wildcard[1:])


def test_tags_from_an_enclosing_scope_reach_the_image() -> None:
    stack = make_stack()
    image(stack, tags={"team": "euc"})
    cdk.Tags.of(stack).add("cost-center", "42")

    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImage",
        {"Tags": [{"Key": "cost-center", "Value": "42"}, {"Key": "team", "Value": "euc"}]},
    )


def test_tag_values_may_be_tokens() -> None:
    stack = make_stack()
    image(stack)
    owner = cdk.CfnParameter(stack, "Owner")
    cdk.Tags.of(stack).add("owner", owner.value_as_string)

    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImage", {"Tags": [{"Key": "owner", "Value": {"Ref": "Owner"}}]}
    )


def test_too_many_tags_through_tags_of_fail_the_synth() -> None:
    stack = make_stack()
    image(stack, tags={f"k{i}": "v" for i in range(40)})
    for i in range(10):
        cdk.Tags.of(stack).add(f"extra{i}", "v")

    with pytest.raises(Exception, match="50 tags; at most 47"):
        Template.from_stack(stack)


def test_image_id_is_the_resources_image_id_attribute() -> None:
    stack = make_stack()
    golden = image(stack)
    cdk.CfnOutput(stack, "ImageId", value=golden.image_id)

    outputs = Template.from_stack(stack).find_outputs("ImageId")
    (logical_id,) = Template.from_stack(stack).find_resources("Custom::WorkspaceImage")
    assert outputs["ImageId"]["Value"] == {"Fn::GetAtt": [logical_id, "ImageId"]}


@pytest.mark.parametrize("argument", ["timeout", "poll_interval"])
def test_a_duration_token_is_refused_where_a_concrete_value_is_needed(argument: str) -> None:
    stack = make_stack()
    minutes = cdk.CfnParameter(stack, "Minutes", type="Number").value_as_number

    with pytest.raises(ValueError, match=f'"{argument}" must be a concrete Duration, not a token'):
        image(stack, **{argument: cdk.Duration.seconds(minutes)})


def test_tokens_are_left_for_the_handler_to_check() -> None:
    stack = make_stack()
    workspace = cdk.CfnParameter(stack, "WorkspaceId")
    name = cdk.CfnParameter(stack, "ImageName")

    image(stack, workspace_id=workspace.value_as_string, image_name=name.value_as_string)

    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImage",
        {"WorkspaceId": {"Ref": "WorkspaceId"}, "Name": {"Ref": "ImageName"}},
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"workspace_id": "workspace-1"}, "\"workspace_id\" 'workspace-1' is not a WorkSpace id"),
        ({"image_name": "golden image"}, "\"image_name\" 'golden image' contains ' '"),
        ({"image_name": "x" * 65}, '"image_name" must be 1-64 characters long, got 65'),
        ({"description": "a: b"}, "\"description\" 'a: b' contains ':'"),
        ({"description": ""}, '"description" must be 1-256 characters long, got 0'),
        ({"tags": {"aws:team": "euc"}}, '"tags" key \'aws:team\' starts with "aws:"'),
        ({"tags": {"k": "v" * 256}}, "at most 255 characters, got 256"),
        ({"timeout": cdk.Duration.hours(13)}, '"timeout" must be at most 12 hours'),
        (
            {"timeout": cdk.Duration.minutes(1)},
            '"timeout" (1 minutes) must be longer than the poll interval',
        ),
        (
            {"poll_interval": cdk.Duration.seconds(30)},
            '"poll_interval" must be a whole number of minutes',
        ),
        ({"poll_interval": cdk.Duration.seconds(90)}, "got 1.5 minutes"),
        ({"image_name": ""}, '"image_name" must be 1-64 characters long, got 0'),
        ({"description": "x" * 257}, '"description" must be 1-256 characters long, got 257'),
        ({"tags": {"k" * 128: "v"}}, "must be 1-127 characters, got 128"),
        ({"tags": {"team;x": "v"}}, "has a character outside"),
        ({"tags": {f"k{i}": "v" for i in range(48)}}, '"tags" has 48 tags; at most 47'),
        ({"tags": {"cdk-workspace-image:stack-id": "x"}}, "reserved for cdk-workspace-image"),
    ],
)
def test_bad_arguments_fail_at_synth_naming_the_argument_and_rule(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        image(make_stack(), **kwargs)
    assert message in str(raised.value)


# --- timeouts over 55 minutes: a wait condition --------------------------------------


def test_up_to_55_minutes_there_is_no_wait_condition() -> None:
    stack = make_stack()
    image(stack, timeout=cdk.Duration.minutes(55))

    template = Template.from_stack(stack)
    template.resource_count_is("AWS::CloudFormation::WaitCondition", 0)
    template.resource_count_is("AWS::CloudFormation::WaitConditionHandle", 0)


def test_a_long_timeout_waits_in_a_wait_condition_of_that_timeout() -> None:
    # GIVEN an 8-hour timeout
    stack = make_stack()
    golden = image(stack, timeout=cdk.Duration.hours(8))
    cdk.CfnOutput(stack, "ImageId", value=golden.image_id)

    template = Template.from_stack(stack)
    (handle_id,) = template.find_resources("AWS::CloudFormation::WaitConditionHandle")
    (image_res,) = template.find_resources("Custom::WorkspaceImage")
    (wait_id,) = template.find_resources("AWS::CloudFormation::WaitCondition")

    # THEN the wait condition waits 8 hours on the handle, after the image resource
    template.has_resource(
        "AWS::CloudFormation::WaitCondition",
        {
            "Properties": {"Handle": {"Ref": handle_id}, "Timeout": "28800", "Count": 1},
            "DependsOn": [image_res],
        },
    )
    # AND the custom resource gets the handle and answers quickly
    template.has_resource_properties(
        "Custom::WorkspaceImage",
        {"WaitHandle": {"Ref": handle_id}, "TimeoutSeconds": 28800, "ServiceTimeout": "3600"},
    )
    # AND image_id comes from a resource created after the wait, so users wait for it
    (ready_id,) = template.find_resources(
        "Custom::WorkspaceImageReady",
        {
            "DependsOn": [wait_id],
            "Properties": {"ImageId": {"Fn::GetAtt": [image_res, "ImageId"]}},
        },
    )
    assert template.find_outputs("ImageId")["ImageId"]["Value"] == {
        "Fn::GetAtt": [ready_id, "ImageId"]
    }


def logical_ids(stack: cdk.Stack, resource_type: str) -> set[str]:
    return set(Template.from_stack(stack).find_resources(resource_type))


def test_a_replacement_gets_a_fresh_handle_and_wait_condition() -> None:
    before, renamed, retagged = make_stack(), make_stack(), make_stack()
    image(before, timeout=cdk.Duration.hours(8))
    image(renamed, timeout=cdk.Duration.hours(8), image_name="golden-v2")
    image(retagged, timeout=cdk.Duration.hours(8), tags={"team": "euc"})

    for resource_type in (
        "AWS::CloudFormation::WaitConditionHandle",
        "AWS::CloudFormation::WaitCondition",
    ):
        assert logical_ids(before, resource_type) != logical_ids(renamed, resource_type)
        assert logical_ids(before, resource_type) == logical_ids(retagged, resource_type)


def test_the_role_uses_no_managed_policy_and_writes_only_its_log_group() -> None:
    stack = make_stack()
    image(stack)

    template = Template.from_stack(stack)
    (role,) = template.find_resources("AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in role["Properties"]
    (log_group_id,) = template.find_resources("AWS::Logs::LogGroup")
    logs_statements = [s for s in statements(template) if str(s["Action"]).startswith("['logs:")]
    assert logs_statements == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        }
    ]


def test_keep_after_rollback_reaches_the_handler_in_hours_and_is_absent_by_default() -> None:
    stack = make_stack()
    image(stack, "Kept", image_name="kept", keep_after_rollback=cdk.Duration.days(30))
    image(stack, "Default", image_name="default", workspace_id="ws-other0001")

    template = Template.from_stack(stack)
    template.has_resource_properties(
        "Custom::WorkspaceImage", {"Name": "kept", "KeepAfterRollbackHours": 720}
    )
    template.has_resource_properties(
        "Custom::WorkspaceImage", {"Name": "default", "KeepAfterRollbackHours": Match.absent()}
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (cdk.Duration.days(400), '"keep_after_rollback" must be between 0 and 365 days'),
        (7, '"keep_after_rollback" must be a Duration'),
    ],
)
def test_a_bad_keep_after_rollback_fails_at_synth_naming_it(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        image(make_stack(), keep_after_rollback=value)


def test_the_function_never_gets_the_rehearsals_endpoint_setting() -> None:
    # Only the rehearsal sets it: a deployed function answers CloudFormation's buckets only.
    stack = make_stack()
    image(stack)

    (function,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    variables = function["Properties"]["Environment"]["Variables"]
    assert contract.ENV_REHEARSAL_ENDPOINT not in json.dumps(variables)
    assert set(variables) == {contract.ENV_STACK_ID}


def test_the_function_may_share_only_with_the_accounts_the_stacks_images_name() -> None:
    # GIVEN images shared with a concrete account and with a CommaDelimitedList parameter
    stack = make_stack()
    accounts = cdk.CfnParameter(stack, "Accounts", type="CommaDelimitedList")
    image(stack, "One", image_name="one", share_with_accounts=["111122223333"])
    image(stack, "Two", image_name="two", share_with_accounts=accounts.value_as_list)

    # THEN the function's environment lists them, as CloudFormation resolves them
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": {
                    contract.ENV_SHARE_ACCOUNTS: {
                        "Fn::Join": [
                            ",",
                            ["111122223333", {"Fn::Join": [",", {"Ref": "Accounts"}]}],
                        ]
                    }
                }
            }
        },
    )
