"""The provider's IAM conditions: each statement, and what they allow on each path.

moto does not enforce IAM, so the rehearsal cannot show that a condition lets
a legitimate call through, or stops another. Two kinds of test stand in:

- one per conditioned statement, on the template as synthesized;
- the handler's paths (create, replace, roll back, adopt, park, sweep, bundle
  a release's image, tag) evaluated against the resolved statements by a small
  evaluator of IAM's documented rules, with the request context the Service
  Authorization Reference says each call has (its resources' tags, the
  request's tags and tag keys).

What only a real account can confirm (that WorkSpaces puts those keys in the
request context) is in docs/assumptions.md, under "IAM conditions".
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from cdk_workspace_image.provider import PROVIDER_ID
from cdk_workspace_image.runtime import contract
from tests.constructs.test_iam_reference import PSEUDO_PARAMETERS, build_stack, role_statements

STACK_ID = PSEUDO_PARAMETERS["AWS::StackId"]
OTHER_STACK_ID = (
    "arn:aws:cloudformation:us-east-1:123456789012:stack/Other/9a1b2c3d-0000-11ef-8d4b-0a1b2c3d4e5f"
)
OWNER = contract.OWNER_STACK_TAG
LOGICAL = contract.OWNER_LOGICAL_ID_TAG
PARKED = contract.PARKED_TAG
PREFIX = "arn:aws:workspaces:us-east-1:123456789012"
IMAGE = f"{PREFIX}:workspaceimage/wsi-abcdef123"
NEW_IMAGE = f"{PREFIX}:workspaceimage/wsi-new000001"
BUNDLE = f"{PREFIX}:workspacebundle/wsb-abcdef12"
WORKSPACE = f"{PREFIX}:workspace/ws-abcdef123"


@pytest.fixture(scope="module")
def stack() -> cdk.Stack:
    return build_stack()


@pytest.fixture(scope="module")
def template(stack: cdk.Stack) -> dict[str, Any]:
    return dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def resolved(stack: cdk.Stack, template: dict[str, Any]) -> list[dict[str, Any]]:
    role = stack.node.find_child(PROVIDER_ID).node.find_child("Role").node.default_child
    assert isinstance(role, cdk.CfnResource)
    return role_statements(template, stack.get_logical_id(role))


# --- One test per conditioned statement, on the template --------------------------------

THIS_STACK = {"Ref": "AWS::StackId"}
MADE_FOR_THIS_STACK = {
    "StringEquals": {f"aws:RequestTag/{OWNER}": THIS_STACK},
    "ForAnyValue:StringEquals": {"aws:TagKeys": [OWNER]},
    "ForAllValues:StringNotEqualsIgnoreCase": {"aws:TagKeys": [PARKED]},
}
OWNED_BY_THIS_STACK = {"StringEquals": {f"aws:ResourceTag/{OWNER}": THIS_STACK}}


def template_statements(template: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource_text(resource: Any) -> str:
    """A template Resource as text: the literal parts of its Fn::Join, or itself."""
    if isinstance(resource, dict) and "Fn::Join" in resource:
        return "".join(part for part in resource["Fn::Join"][1] if isinstance(part, str))
    return str(resource)


@pytest.mark.parametrize(
    ("actions", "resource_ends", "condition"),
    [
        pytest.param(
            ["workspaces:CreateWorkspaceImage"],
            ":workspaceimage/*",
            MADE_FOR_THIS_STACK,
            id="create-image-tagged-as-this-stacks",
        ),
        pytest.param(
            [
                "workspaces:DeleteWorkspaceImage",
                "workspaces:DescribeWorkspaceImagePermissions",
                "workspaces:UpdateWorkspaceImagePermission",
            ],
            ":workspaceimage/*",
            OWNED_BY_THIS_STACK,
            id="delete-and-share-this-stacks-images",
        ),
        pytest.param(
            ["workspaces:DeleteWorkspaceImage"],
            ":workspaceimage/*",
            {"Null": {f"aws:ResourceTag/{PARKED}": "false", f"aws:ResourceTag/{OWNER}": "false"}},
            id="delete-parked-images",
        ),
        pytest.param(
            ["workspaces:CreateWorkspaceBundle"],
            ":workspacebundle/*",
            MADE_FOR_THIS_STACK,
            id="create-bundle-tagged-as-this-stacks",
        ),
        pytest.param(
            ["workspaces:UpdateWorkspaceBundle", "workspaces:DeleteWorkspaceBundle"],
            ":workspacebundle/*",
            OWNED_BY_THIS_STACK,
            id="update-and-delete-this-stacks-bundles",
        ),
        pytest.param(
            ["workspaces:CreateTags", "workspaces:DeleteTags"],
            "*",
            {"ForAllValues:StringNotEqualsIgnoreCase": {"aws:TagKeys": [OWNER, LOGICAL]}},
            id="tag-with-anything-but-the-owner-tags",
        ),
        pytest.param(
            ["workspaces:CreateTags"],
            "*",
            {
                "StringEquals": {f"aws:RequestTag/{OWNER}": THIS_STACK},
                "ForAnyValue:StringEquals": {"aws:TagKeys": [OWNER]},
            },
            id="write-the-owner-tag-naming-this-stack",
        ),
        pytest.param(
            ["workspaces:CopyWorkspaceImage"],
            ":workspaceimage/*",
            MADE_FOR_THIS_STACK,
            id="copy-into-an-image-tagged-as-this-stacks",
        ),
        pytest.param(
            ["workspaces:CreateUpdatedWorkspaceImage"],
            ":workspaceimage/*",
            MADE_FOR_THIS_STACK,
            id="update-into-an-image-tagged-as-this-stacks",
        ),
        pytest.param(
            ["workspaces:ImportWorkspaceImage"],
            "*",
            MADE_FOR_THIS_STACK,
            id="import-tagged-as-this-stacks",
        ),
        pytest.param(
            ["workspaces:ImportCustomWorkspaceImage"],
            "*",
            MADE_FOR_THIS_STACK,
            id="custom-import-tagged-as-this-stacks",
        ),
    ],
)
def test_a_conditioned_statement_is_in_the_template(
    template: dict[str, Any], actions: list[str], resource_ends: str, condition: dict[str, Any]
) -> None:
    # GIVEN every construct of the library in one stack WHEN it is synthesized
    found = [
        statement
        for statement in template_statements(template)
        if set(actions) <= set(_listed(statement["Action"]))
        and statement.get("Condition") == condition
    ]

    # THEN one statement grants the actions on those resources, with the condition
    assert found, f"no statement grants {actions} with {condition}"
    assert any(
        _resource_text(resource).endswith(resource_ends)
        for statement in found
        for resource in _listed(statement["Resource"])
    )


@pytest.mark.parametrize(
    ("action", "resource_ends"),
    [
        ("workspaces:CreateWorkspaceBundle", ":workspaceimage/*"),
        ("workspaces:UpdateWorkspaceBundle", ":workspaceimage/*"),
        ("workspaces:CopyWorkspaceImage", ":workspaceimage/wsi-abcdef123"),
        ("workspaces:CreateUpdatedWorkspaceImage", ":workspaceimage/wsi-abcdef125"),
    ],
)
def test_a_bundles_image_and_a_named_source_image_carry_no_tag_condition(
    template: dict[str, Any], action: str, resource_ends: str
) -> None:
    # GIVEN a bundle, a copy and an update, each naming an image that may be
    # another stack's (a release), another account's, or one made by hand
    # WHEN the stack is synthesized
    granted = [
        _resource_text(resource)
        for statement in template_statements(template)
        if "Condition" not in statement and action in _listed(statement["Action"])
        for resource in _listed(statement["Resource"])
    ]

    # THEN that image is granted without a condition
    assert any(text.endswith(resource_ends) for text in granted), granted


# --- The handler's paths, evaluated against the resolved statements ----------------------
#
# IAM's rules, as the IAM User Guide states them ("Condition operators",
# "Set operators for multivalued context keys", "Controlling access to AWS
# resources using tags"):
# - an Allow statement applies when the action and the resource match and
#   every condition holds (operators ANDed, keys within one ANDed, values ORed);
# - a key missing from the request context fails a positive operator and
#   passes a negated one; Null "false" needs it, Null "true" needs it absent;
# - ForAnyValue needs one request value to match (none when the key is
#   missing); ForAllValues needs every one to (true when the key is missing);
# - condition key names, the tag key in aws:RequestTag/<key> and
#   aws:ResourceTag/<key> included, are compared ignoring case; values are
#   compared as the operator says.
# Each resource of a call is authorized on its own, with its own tags.

Context = Mapping[str, str | Sequence[str]]


def _matches(operator: str, value: str, policy_values: Sequence[str]) -> bool:
    negated = "Not" in operator
    base = operator.replace("Not", "")
    if base == "StringEquals":
        hit = value in policy_values
    elif base == "StringEqualsIgnoreCase":
        hit = value.lower() in {v.lower() for v in policy_values}
    else:
        raise NotImplementedError(f"the evaluator has no {operator}: add it")
    return hit != negated


def _condition_holds(operator: str, key: str, policy_value: Any, context: Context) -> bool:
    found = {k.lower(): v for k, v in context.items()}.get(key.lower())
    policy_values = [str(v) for v in _listed(policy_value)]
    if operator == "Null":
        return (found is None) == (policy_values == ["true"])
    qualifier, _, base = operator.rpartition(":")
    if qualifier == "ForAnyValue":
        return found is not None and any(_matches(base, v, policy_values) for v in _listed(found))
    if qualifier == "ForAllValues":
        return found is None or all(_matches(base, v, policy_values) for v in _listed(found))
    assert not qualifier, operator
    if found is None:
        return "Not" in base
    assert isinstance(found, str), f"{key} is multivalued: use a set operator"
    return _matches(base, found, policy_values)


def allowed(
    statements: Sequence[Mapping[str, Any]], action: str, resource: str, **context: Any
) -> bool:
    """Whether an Allow statement lets ``action`` on ``resource`` in ``context``.

    Context keys are given as Python names: ``tags`` (the resource's), ``request_tags``.
    """
    keys: dict[str, str | Sequence[str]] = {
        **{f"aws:ResourceTag/{k}": v for k, v in context.get("tags", {}).items()},
        **{f"aws:RequestTag/{k}": v for k, v in context.get("request_tags", {}).items()},
    }
    if "request_tags" in context:
        keys["aws:TagKeys"] = list(context["request_tags"])
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        if action.lower() not in {a.lower() for a in _listed(statement["Action"])}:
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
            continue
        if all(
            _condition_holds(operator, key, value, keys)
            for operator, block in statement.get("Condition", {}).items()
            for key, value in block.items()
        ):
            return True
    return False


def owner_tags(stack_id: str = STACK_ID, logical_id: str = "Golden") -> dict[str, str]:
    return {OWNER: stack_id, LOGICAL: logical_id}


def creating(stack_id: str = STACK_ID, **more: str) -> dict[str, str]:
    """The Tags of a create call: the user's and the owner tags."""
    return {"team": "euc", **owner_tags(stack_id), **more}


def test_the_evaluator_follows_iams_rules_for_missing_keys_and_set_operators() -> None:
    # A control: each rule the paths below rely on, on a statement of its own.
    def only(condition: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"Effect": "Allow", "Action": "x:Y", "Resource": "*", "Condition": condition}]

    equals = only({"StringEquals": {"aws:RequestTag/a": "1"}})
    assert allowed(equals, "x:Y", "r", request_tags={"A": "1"})  # key name ignores case
    assert not allowed(equals, "x:Y", "r", request_tags={"a": "2"})
    assert not allowed(equals, "x:Y", "r")
    not_equals = only({"StringNotEquals": {"aws:ResourceTag/a": "1"}})
    assert allowed(not_equals, "x:Y", "r")
    any_value = only({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}})
    assert not allowed(any_value, "x:Y", "r")
    assert not allowed(any_value, "x:Y", "r", request_tags={"A": "1"})  # values keep case
    all_values = only({"ForAllValues:StringNotEqualsIgnoreCase": {"aws:TagKeys": ["a"]}})
    assert allowed(all_values, "x:Y", "r", request_tags={"b": "1"})
    assert not allowed(all_values, "x:Y", "r", request_tags={"b": "1", "A": "1"})
    null = only({"Null": {"aws:ResourceTag/a": "false"}})
    assert allowed(null, "x:Y", "r", tags={"a": ""}) and not allowed(null, "x:Y", "r")


# (what happens, action, resource, context, allowed)
PATHS: list[tuple[str, str, str, dict[str, Any], bool]] = [
    # Making an image: the source WorkSpace, the new image, and its tags (WorkSpaces
    # authorizes CreateTags for a create call's Tags as well).
    ("image from the WorkSpace", "CreateWorkspaceImage", WORKSPACE, {}, True),
    (
        "the new image, tagged",
        "CreateWorkspaceImage",
        NEW_IMAGE,
        {"request_tags": creating()},
        True,
    ),
    ("its tags", "CreateTags", "*", {"request_tags": creating()}, True),
    (
        "an image with no owner tags",
        "CreateWorkspaceImage",
        NEW_IMAGE,
        {"request_tags": {"team": "euc"}},
        False,
    ),
    (
        "an image tagged as another stack's",
        "CreateWorkspaceImage",
        NEW_IMAGE,
        {"request_tags": creating(OTHER_STACK_ID)},
        False,
    ),
    (
        "an image born parked",
        "CreateWorkspaceImage",
        NEW_IMAGE,
        {"request_tags": creating(**{PARKED: "2026-12-01T00:00:00Z"})},
        False,
    ),
    (
        "a copy, from another Region's image of another account",
        "CopyWorkspaceImage",
        "arn:aws:workspaces:eu-west-1:999999999999:workspaceimage/wsi-abcdef123",
        {"request_tags": creating()},
        True,
    ),
    ("the copy, tagged", "CopyWorkspaceImage", NEW_IMAGE, {"request_tags": creating()}, True),
    (
        "a copy not tagged as this stack's",
        "CopyWorkspaceImage",
        f"{PREFIX}:workspaceimage/wsi-other0001",
        {"request_tags": {"team": "euc"}},
        False,
    ),
    ("an import, tagged", "ImportWorkspaceImage", "*", {"request_tags": creating()}, True),
    ("an import not tagged", "ImportWorkspaceImage", "*", {"request_tags": {"team": "euc"}}, False),
    # Deleting: the resource's own image, a replaced version, the image a rollback
    # or a failed create leaves (all this stack's); never another stack's.
    ("delete this stack's image", "DeleteWorkspaceImage", IMAGE, {"tags": owner_tags()}, True),
    (
        "delete a replaced version",
        "DeleteWorkspaceImage",
        IMAGE,
        {"tags": owner_tags(logical_id="Golden")},
        True,
    ),
    (
        "delete another stack's image",
        "DeleteWorkspaceImage",
        IMAGE,
        {"tags": owner_tags(OTHER_STACK_ID)},
        False,
    ),
    (
        "delete an image made by hand",
        "DeleteWorkspaceImage",
        IMAGE,
        {"tags": {"team": "euc"}},
        False,
    ),
    (
        "unshare before the delete",
        "UpdateWorkspaceImagePermission",
        IMAGE,
        {"tags": owner_tags()},
        True,
    ),
    (
        "read shares before the delete",
        "DescribeWorkspaceImagePermissions",
        IMAGE,
        {"tags": owner_tags()},
        True,
    ),
    (
        "share another stack's image",
        "UpdateWorkspaceImagePermission",
        IMAGE,
        {"tags": owner_tags(OTHER_STACK_ID)},
        False,
    ),
    # Parking, adoption and the sweep.
    (
        "park this stack's image",
        "CreateTags",
        "*",
        {"request_tags": {PARKED: "2026-12-01T00:00:00Z"}},
        True,
    ),
    (
        "adopt a parked image: the owner tag names this stack",
        "CreateTags",
        "*",
        {"request_tags": {OWNER: STACK_ID}},
        True,
    ),
    ("adopt it: no longer parked", "DeleteTags", "*", {"request_tags": {PARKED: ""}}, True),
    (
        "sweep another stack's parked image",
        "DeleteWorkspaceImage",
        IMAGE,
        {"tags": {**owner_tags(OTHER_STACK_ID), PARKED: "2026-12-01T00:00:00Z"}},
        True,
    ),
    (
        "sweep a parked-looking image not made by the library",
        "DeleteWorkspaceImage",
        IMAGE,
        {"tags": {PARKED: "2026-12-01T00:00:00Z"}},
        False,
    ),
    # Tags: the user's come and go; the owner tags stay, and name no other stack.
    ("the user's tags", "CreateTags", "*", {"request_tags": {"team": "vdi"}}, True),
    ("a user's tag removed", "DeleteTags", "*", {"request_tags": {"team": ""}}, True),
    ("the owner tag removed", "DeleteTags", "*", {"request_tags": {OWNER: ""}}, False),
    ("the logical id tag removed", "DeleteTags", "*", {"request_tags": {LOGICAL: ""}}, False),
    (
        "the owner tag naming another stack",
        "CreateTags",
        "*",
        {"request_tags": {OWNER: OTHER_STACK_ID}},
        False,
    ),
    (
        "the owner tag in other capitals",
        "CreateTags",
        "*",
        {"request_tags": {OWNER.upper(): STACK_ID}},
        False,
    ),
    ("the logical id tag alone", "CreateTags", "*", {"request_tags": {LOGICAL: "Other"}}, False),
    # Bundles: made tagged, of any of this account's images (a release's included).
    ("a bundle, tagged", "CreateWorkspaceBundle", BUNDLE, {"request_tags": creating()}, True),
    (
        "its image, another stack's",
        "CreateWorkspaceBundle",
        IMAGE,
        {"tags": owner_tags(OTHER_STACK_ID)},
        True,
    ),
    ("its image, made by hand", "CreateWorkspaceBundle", IMAGE, {"tags": {}}, True),
    (
        "a bundle not tagged as this stack's",
        "CreateWorkspaceBundle",
        BUNDLE,
        {"request_tags": {"team": "euc"}},
        False,
    ),
    ("move this stack's bundle", "UpdateWorkspaceBundle", BUNDLE, {"tags": owner_tags()}, True),
    (
        "to another stack's image",
        "UpdateWorkspaceBundle",
        IMAGE,
        {"tags": owner_tags(OTHER_STACK_ID)},
        True,
    ),
    (
        "move another stack's bundle",
        "UpdateWorkspaceBundle",
        BUNDLE,
        {"tags": owner_tags(OTHER_STACK_ID)},
        False,
    ),
    ("delete this stack's bundle", "DeleteWorkspaceBundle", BUNDLE, {"tags": owner_tags()}, True),
    (
        "delete another stack's bundle",
        "DeleteWorkspaceBundle",
        BUNDLE,
        {"tags": owner_tags(OTHER_STACK_ID)},
        False,
    ),
]


@pytest.mark.parametrize(
    ("action", "resource", "context", "expected"),
    [
        pytest.param(action, resource, context, expected, id=what)
        for what, action, resource, context, expected in PATHS
    ],
)
def test_each_path_is_allowed_or_denied_as_the_handler_needs(
    resolved: list[dict[str, Any]],
    action: str,
    resource: str,
    context: dict[str, Any],
    expected: bool,
) -> None:
    assert allowed(resolved, f"workspaces:{action}", resource, **context) is expected
