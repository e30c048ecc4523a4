"""Synth-time checks that span every construct: the error and its construct path,
argument types, names used twice in a stack, the stack's own account, list tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import aws_cdk.aws_imagebuilder_alpha as imagebuilder_alpha
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template
from constructs import Construct

from cdk_workspace_image import (
    ArgumentTypeError,
    ByolImageSource,
    ByolWorkspaceImage,
    UpdatedWorkspaceImage,
    ValidationError,
    WorkspaceBundle,
    WorkspaceImage,
    WorkspaceImageCopy,
    WorkspaceImageProvider,
)

INFRASTRUCTURE_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/ws"
IMAGE_VERSION_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:image/golden/1.0.0/1"
OWN_ACCOUNT = "111122223333"


def make_stack(**kwargs: Any) -> cdk.Stack:
    return cdk.Stack(cdk.App(), "TestStack", **kwargs)


def image(stack: cdk.Stack, construct_id: str = "Golden", **kwargs: Any) -> WorkspaceImage:
    kwargs.setdefault("workspace_id", "ws-abcdef123")
    kwargs.setdefault("image_name", "golden")
    kwargs.setdefault("timeout", cdk.Duration.minutes(55))
    return WorkspaceImage(stack, construct_id, **kwargs)


def copy(stack: cdk.Stack, **kwargs: Any) -> WorkspaceImageCopy:
    kwargs.setdefault("source_image_id", "wsi-abcdef123")
    kwargs.setdefault("source_region", "us-west-2")
    kwargs.setdefault("image_name", "golden-copy")
    return WorkspaceImageCopy(stack, "Copy", **kwargs)


def updated(stack: cdk.Stack, **kwargs: Any) -> UpdatedWorkspaceImage:
    kwargs.setdefault("source_image", WorkspaceImage.from_image_id(stack, "Old", "wsi-abcdef123"))
    kwargs.setdefault("image_name", "golden-updated")
    return UpdatedWorkspaceImage(stack, "Updated", **kwargs)


def custom_import(stack: cdk.Stack, **kwargs: Any) -> ByolWorkspaceImage:
    kwargs.setdefault("source", ByolImageSource.from_image_version_arn(IMAGE_VERSION_ARN))
    kwargs.setdefault("image_name", "golden-byol")
    kwargs.setdefault("os_version", "Windows_11")
    kwargs.setdefault("infrastructure_configuration_arn", INFRASTRUCTURE_ARN)
    return ByolWorkspaceImage(stack, "Byol", **kwargs)


def ami_import(stack: cdk.Stack, **kwargs: Any) -> ByolWorkspaceImage:
    kwargs.setdefault("source", ByolImageSource.from_ami("ami-0123456789abcdef0"))
    kwargs.setdefault("ingestion_process", "BYOL_REGULAR_WSP")
    kwargs.setdefault("image_name", "golden-byol")
    return ByolWorkspaceImage(stack, "Byol", **kwargs)


def bundle(stack: cdk.Stack, construct_id: str = "Bundle", **kwargs: Any) -> WorkspaceBundle:
    if "image" not in kwargs:
        kwargs["image"] = WorkspaceImage.from_image_id(
            stack, f"{construct_id}Image", "wsi-abc123456"
        )
    kwargs.setdefault("bundle_name", "golden-standard")
    kwargs.setdefault("compute_type", "STANDARD")
    kwargs.setdefault("user_storage_gib", 50)
    kwargs.setdefault("root_storage_gib", 80)
    return WorkspaceBundle(stack, construct_id, **kwargs)


def imported(stack: cdk.Stack, image_id: Any) -> object:
    return WorkspaceImage.from_image_id(stack, "Imported", image_id)


def alpha_image(stack: cdk.Stack) -> imagebuilder_alpha.Image:
    recipe = imagebuilder_alpha.ImageRecipe(
        stack,
        "Recipe",
        base_image=imagebuilder_alpha.BaseImage.from_ami_id("ami-0123456789abcdef0"),
    )
    return imagebuilder_alpha.Image(stack, "Built", recipe=recipe)


# --- the error ----------------------------------------------------------------------------


def test_a_refused_argument_raises_a_value_error_that_starts_with_the_construct_path() -> None:
    # GIVEN a stack WHEN an argument breaks a rule
    with pytest.raises(ValueError) as raised:
        image(make_stack(), "Golden", image_name="golden image")

    # THEN it is the library's ValidationError, naming the construct, the argument and the rule
    error = raised.value
    assert isinstance(error, ValidationError)
    assert error.construct_path == "TestStack/Golden"
    assert str(error) == (
        "TestStack/Golden: \"image_name\" 'golden image' contains ' '; allowed: "
        "letters, digits, _ . / ( ) -"
    )


def test_the_path_is_the_full_path_of_a_construct_declared_inside_another() -> None:
    team = Construct(make_stack(), "Team")

    with pytest.raises(ValidationError, match=r"^TestStack/Team/Golden: \"description\""):
        image(team, "Golden", description="a: b")


def test_a_refused_construct_is_not_added_to_the_tree() -> None:
    stack = make_stack()

    with pytest.raises(ValidationError):
        image(stack, image_name="golden image")

    assert stack.node.try_find_child("Golden") is None
    # AND its name is free for the construct the user writes next
    image(stack, image_name="golden")


# --- types: jsii refuses wrong types, and so does each construct -----------------------------

Declare = Callable[[cdk.Stack], object]

WRONG_TYPES: list[tuple[str, Declare, str]] = [
    # WorkspaceImage, and what every image construct takes
    (
        "workspace_id",
        lambda s: image(s, workspace_id=123),
        '"workspace_id" must be a str, got int 123',
    ),
    ("image_name", lambda s: image(s, image_name=None), '"image_name" must be a str, got NoneType'),
    ("description", lambda s: image(s, description=7), '"description" must be a str, got int 7'),
    ("tags", lambda s: image(s, tags=["team"]), '"tags" must be a mapping of str to str, got list'),
    (
        "tags value",
        lambda s: image(s, tags={"cost-center": 42}),
        "\"tags\" values must be str; value of 'cost-center': got int 42",
    ),
    ("timeout", lambda s: image(s, timeout=60), '"timeout" must be a Duration'),
    ("poll_interval", lambda s: image(s, poll_interval="1m"), '"poll_interval" must be a Duration'),
    (
        "removal_policy",
        lambda s: image(s, removal_policy="retain"),
        "\"removal_policy\" must be a RemovalPolicy, got str 'retain'",
    ),
    (
        "share_with_accounts, a string",
        lambda s: image(s, share_with_accounts="111122223333"),
        "\"share_with_accounts\" must be a list of str, got str '111122223333'; wrap one value "
        "in a list: ['111122223333']",
    ),
    (
        "share_with_accounts, an int account id",
        lambda s: image(s, share_with_accounts=[111122223333]),
        '"share_with_accounts" must be a list of str, got a int in it: 111122223333',
    ),
    # WorkspaceImage.from_image_id
    ("image_id", lambda s: imported(s, 123), '"image_id" must be a str, got int 123'),
    # WorkspaceImageCopy
    ("source_image_id", lambda s: copy(s, source_image_id=42), '"source_image_id" must be a str'),
    (
        "source_region",
        lambda s: copy(s, source_region=2),
        '"source_region" must be a str, got int 2',
    ),
    # UpdatedWorkspaceImage
    (
        "source_image, an id",
        lambda s: updated(s, source_image="wsi-abcdef123"),
        '"source_image" must be an IWorkspaceImage (an image construct of this library, or '
        "WorkspaceImage.from_image_id(scope, id, \"wsi-...\")), got str 'wsi-abcdef123'",
    ),
    (
        "source_image, an Image Builder image",
        lambda s: updated(s, source_image=alpha_image(s)),
        '"source_image" is an EC2 Image Builder image, not a WorkSpaces image; import it first',
    ),
    # ByolWorkspaceImage and ByolImageSource
    (
        "source",
        lambda s: custom_import(s, source="ami-0123456789abcdef0"),
        '"source" must be a ByolImageSource',
    ),
    (
        "source, an AMI id that is not a str",
        lambda s: ami_import(s, source=ByolImageSource.from_ami(123)),
        '"source (AMI id)" must be a str, got int 123',
    ),
    (
        "source, from_image_builder of an ARN",
        lambda s: custom_import(s, source=ByolImageSource.from_image_builder(IMAGE_VERSION_ARN)),
        '"source" must be an EC2 Image Builder image (aws_imagebuilder.CfnImage, or '
        "aws_imagebuilder_alpha.Image) for from_image_builder, got str",
    ),
    ("os_version", lambda s: custom_import(s, os_version=11), '"os_version" must be a str'),
    (
        "infrastructure_configuration_arn",
        lambda s: custom_import(s, infrastructure_configuration_arn=object()),
        '"infrastructure_configuration_arn" must be a str',
    ),
    (
        "infrastructure_configuration",
        lambda s: custom_import(
            s,
            infrastructure_configuration_arn=None,
            infrastructure_configuration=INFRASTRUCTURE_ARN,
        ),
        '"infrastructure_configuration" must be an EC2 Image Builder infrastructure configuration',
    ),
    ("compute_type", lambda s: custom_import(s, compute_type=1), '"compute_type" must be a str'),
    ("protocol", lambda s: custom_import(s, protocol=["DCV"]), '"protocol" must be a str'),
    ("validation_mode", lambda s: custom_import(s, validation_mode=True), '"validation_mode" must'),
    ("ingestion_process", lambda s: ami_import(s, ingestion_process=1), '"ingestion_process" must'),
    (
        "applications",
        lambda s: ami_import(s, applications="Microsoft_Office_2019"),
        "\"applications\" must be a list of str, got str 'Microsoft_Office_2019'",
    ),
    # WorkspaceBundle
    (
        "image, an id",
        lambda s: bundle(s, image="wsi-abcdef123"),
        '"image" must be an IWorkspaceImage',
    ),
    (
        "image, an Image Builder image",
        lambda s: bundle(s, image=alpha_image(s)),
        '"image" is an EC2 Image Builder image, not a WorkSpaces image',
    ),
    ("bundle_name", lambda s: bundle(s, bundle_name=5), '"bundle_name" must be a str, got int 5'),
    ("compute_type", lambda s: bundle(s, compute_type=None), '"compute_type" must be a str'),
    (
        "user_storage_gib from context",
        lambda s: bundle(s, user_storage_gib="50"),
        "\"user_storage_gib\" must be an int (whole GiB), got str '50'; convert a value read "
        "from context (-c) with int(...)",
    ),
    (
        "root_storage_gib, a bool",
        lambda s: bundle(s, root_storage_gib=True),
        '"root_storage_gib" must be an int (whole GiB), got bool True',
    ),
    (
        "root_storage_gib, a fraction",
        lambda s: bundle(s, root_storage_gib=80.5),
        '"root_storage_gib" must be an int (whole GiB), got float 80.5',
    ),
    ("description", lambda s: bundle(s, description=b"x"), '"description" must be a str'),
    ("tags", lambda s: bundle(s, tags={1: "x"}), '"tags" keys must be str; key got int 1'),
    ("removal_policy", lambda s: bundle(s, removal_policy=1), '"removal_policy" must be a'),
    # WorkspaceImageProvider
    (
        "log_retention",
        lambda s: WorkspaceImageProvider.of(s, log_retention=90),
        '"log_retention" must be a logs.RetentionDays, got int 90',
    ),
    (
        "log_group",
        lambda s: WorkspaceImageProvider.of(s, log_group="/aws/lambda/x"),
        '"log_group" must be an ILogGroup',
    ),
    (
        "reserved_concurrency from context",
        lambda s: WorkspaceImageProvider.of(s, reserved_concurrency="5"),
        "\"reserved_concurrency\" must be an int (concurrent executions), got str '5'",
    ),
]


@pytest.mark.parametrize(
    ("declare", "message"),
    [pytest.param(declare, message, id=name) for name, declare, message in WRONG_TYPES],
)
def test_a_wrong_type_names_the_argument_and_the_type_expected(
    declare: Declare, message: str
) -> None:
    # GIVEN a stack WHEN an argument has the wrong type
    with pytest.raises(ArgumentTypeError) as raised:
        declare(make_stack())

    # THEN the message names the construct, the argument, the type and the value given
    assert str(raised.value).startswith("TestStack/")
    assert message in str(raised.value)
    # AND it is a TypeError, as jsii's, and a ValueError, as the library's checks always were
    assert isinstance(raised.value, TypeError)
    assert isinstance(raised.value, ValueError)


def test_a_number_token_is_a_whole_number_for_the_storage_sizes() -> None:
    stack = make_stack()
    user = cdk.CfnParameter(stack, "UserGiB", type="Number").value_as_number

    bundle(stack, user_storage_gib=user, compute_type=cdk.CfnParameter(stack, "C").value_as_string)

    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceBundle", {"UserStorageGiB": {"Ref": "UserGiB"}}
    )


# --- names are unique per Region ------------------------------------------------------------


def test_two_images_of_one_name_in_a_stack_fail_naming_both_constructs() -> None:
    # GIVEN an image named golden
    stack = make_stack()
    image(stack, "Golden", image_name="golden")

    # WHEN another image of any kind takes the name
    with pytest.raises(ValidationError) as raised:
        copy(stack, image_name="golden")

    # THEN the message names both construct paths
    assert str(raised.value) == (
        "TestStack/Copy: \"image_name\" 'golden' is already the name of TestStack/Golden in "
        "this stack; image names are unique per Region, so the second create would fail at "
        "deploy: choose another"
    )


def test_two_bundles_of_one_name_in_a_stack_fail_naming_both_constructs() -> None:
    stack = make_stack()
    bundle(stack, "Standard")

    with pytest.raises(ValidationError) as raised:
        bundle(stack, "Power", compute_type="POWER")

    assert str(raised.value).startswith(
        "TestStack/Power: \"bundle_name\" 'golden-standard' is already the name of "
        "TestStack/Standard in this stack; bundle names are unique per Region"
    )


def test_a_name_may_be_used_by_an_image_and_a_bundle_and_in_two_stacks() -> None:
    app = cdk.App()
    east, west = cdk.Stack(app, "East"), cdk.Stack(app, "West")
    golden = image(east, image_name="golden")
    bundle(east, image=golden, bundle_name="golden")
    image(west, image_name="golden")

    assert Template.from_stack(west).find_resources("Custom::WorkspaceImage")


def test_names_from_tokens_are_left_to_deploy_time() -> None:
    stack = make_stack()
    name = cdk.CfnParameter(stack, "Name").value_as_string
    image(stack, "One", image_name=name)
    image(stack, "Two", image_name=name)

    Template.from_stack(stack).resource_count_is("Custom::WorkspaceImage", 2)


# --- sharing ---------------------------------------------------------------------------------


def test_sharing_with_the_stacks_own_account_fails_at_synth() -> None:
    stack = make_stack(env=cdk.Environment(account=OWN_ACCOUNT, region="us-east-1"))

    with pytest.raises(ValidationError) as raised:
        image(stack, share_with_accounts=["444455556666", OWN_ACCOUNT])

    assert str(raised.value) == (
        f'TestStack/Golden: "share_with_accounts" lists {OWN_ACCOUNT}, the account this stack '
        "deploys to; an image is always available to the account that owns it: leave it out"
    )


def test_an_environment_agnostic_stack_may_list_any_account() -> None:
    stack = make_stack()
    image(stack, share_with_accounts=[OWN_ACCOUNT])

    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImage", {"ShareWithAccounts": [OWN_ACCOUNT]}
    )


def test_a_comma_delimited_list_parameter_is_shared_with_at_deploy_time() -> None:
    # GIVEN the accounts as a CommaDelimitedList parameter (the README's "tokens at deploy")
    stack = make_stack()
    accounts = cdk.CfnParameter(stack, "ShareWith", type="CommaDelimitedList")

    # WHEN it is the share list
    image(stack, share_with_accounts=accounts.value_as_list)

    # THEN the property is the parameter, which CloudFormation sends as a list of strings
    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImage", {"ShareWithAccounts": {"Ref": "ShareWith"}}
    )


def test_account_tokens_in_a_literal_list_are_left_to_deploy_time() -> None:
    stack = make_stack()
    partner = cdk.CfnParameter(stack, "Partner").value_as_string

    image(stack, share_with_accounts=["444455556666", partner])

    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImage", {"ShareWithAccounts": ["444455556666", {"Ref": "Partner"}]}
    )


# --- Windows 11 (issue #15): rules the API reference documents ---------------------------------


def test_windows_11_with_pcoip_fails_at_synth() -> None:
    with pytest.raises(ValidationError) as raised:
        custom_import(make_stack(), os_version="Windows_11", protocol="PCOIP")

    assert str(raised.value) == (
        'TestStack/Byol: "protocol" PCOIP cannot serve "os_version" Windows_11: Windows 11 '
        "does not support PCoIP (ImportCustomWorkspaceImage API reference); use DCV"
    )


def test_windows_10_may_use_pcoip() -> None:
    stack = make_stack()
    custom_import(stack, os_version="Windows_10", protocol="PCOIP")

    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImageImport", {"OsVersion": "Windows_10", "Protocol": "PCOIP"}
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"ingestion_process": "BYOL_REGULAR"},
            '"ingestion_process" BYOL_REGULAR is a PCoIP ingestion process, and "os_version" '
            "Windows_11 does not support PCoIP: use one that ends in _WSP (DCV)",
        ),
        (
            {"applications": ["Microsoft_Office_2016"]},
            '"applications" Microsoft_Office_2016 is not available on "os_version" Windows_11: '
            "Windows 11 supports only Microsoft_Office_2019",
        ),
        (
            {
                "ingestion_process": "BYOL_GRAPHICS_G4DN_WSP",
                "applications": ["Microsoft_Office_2019"],
            },
            '"applications" cannot subscribe to Office with BYOL_GRAPHICS_G4DN_WSP on '
            '"os_version" Windows_11: GPU DCV WorkSpaces with Windows 11 do not support Office',
        ),
    ],
)
def test_an_ami_import_declared_windows_11_checks_protocol_and_office(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        ami_import(make_stack(), os_version="Windows_11", **kwargs)

    assert message in str(raised.value)


def test_the_os_of_an_ami_import_is_only_checked_never_sent() -> None:
    # GIVEN an AMI import declared Windows 11 with Office 2019 over DCV, which is allowed
    stack = make_stack()
    ami_import(stack, os_version="Windows_11", applications=["Microsoft_Office_2019"])

    # THEN ImportWorkspaceImage's properties have no OS (the call has no such argument)
    (resource,) = Template.from_stack(stack).find_resources("Custom::WorkspaceImageImport").values()
    assert resource["Properties"]["Applications"] == ["Microsoft_Office_2019"]
    assert "OsVersion" not in resource["Properties"]


def test_without_an_os_an_ami_import_leaves_office_to_the_service() -> None:
    stack = make_stack()
    ami_import(stack, ingestion_process="BYOL_REGULAR", applications=["Microsoft_Office_2016"])

    Template.from_stack(stack).resource_count_is("Custom::WorkspaceImageImport", 1)


# --- the provider's options --------------------------------------------------------------------


def test_provider_options_apply_when_of_creates_it() -> None:
    stack = make_stack()
    provider = WorkspaceImageProvider.of(stack, log_retention=logs.RetentionDays.ONE_YEAR)
    image(stack)

    assert WorkspaceImageProvider.of(stack) is provider
    Template.from_stack(stack).has_resource_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": 365}
    )


def test_other_provider_options_after_the_first_image_fail_saying_what_to_do() -> None:
    # GIVEN an image, which made the provider with the defaults
    stack = make_stack()
    image(stack)

    # WHEN options are asked for afterwards
    with pytest.raises(ValidationError) as raised:
        WorkspaceImageProvider.of(stack, log_retention=logs.RetentionDays.ONE_YEAR)

    # THEN the message says which option differs and to set it first
    message = str(raised.value)
    assert message.startswith('TestStack/CdkWorkspaceImageProvider: "log_retention" '), message
    assert "differs from" in message
    assert "before the first image or bundle" in message


def test_the_same_provider_options_again_return_the_provider() -> None:
    stack = make_stack()
    first = WorkspaceImageProvider.of(stack, log_retention=logs.RetentionDays.ONE_WEEK)

    assert WorkspaceImageProvider.of(stack, log_retention=logs.RetentionDays.ONE_WEEK) is first


def test_a_log_group_of_ones_own_replaces_the_providers() -> None:
    # GIVEN a log group of the user's
    stack = make_stack()
    mine = logs.LogGroup(stack, "Mine", retention=logs.RetentionDays.TWO_YEARS)

    # WHEN the provider is given it
    WorkspaceImageProvider.of(stack, log_group=mine)
    image(stack)

    # THEN the function logs there, and the provider makes no log group of its own
    template = Template.from_stack(stack)
    (group_id,) = template.find_resources("AWS::Logs::LogGroup")
    assert group_id.startswith("Mine")
    template.has_resource_properties(
        "AWS::Lambda::Function", {"LoggingConfig": {"LogGroup": {"Ref": group_id}}}
    )


def test_log_retention_with_a_log_group_of_ones_own_is_refused() -> None:
    stack = make_stack()
    mine = logs.LogGroup(stack, "Mine")

    with pytest.raises(ValidationError, match='"log_retention" is for the provider'):
        WorkspaceImageProvider.of(stack, log_group=mine, log_retention=logs.RetentionDays.ONE_DAY)


def test_no_concurrency_is_reserved_unless_asked_for() -> None:
    # A reservation fails in an account that cannot keep its minimum unreserved,
    # as new accounts with 10 concurrent executions in all cannot.
    stack = make_stack()
    image(stack)

    (function,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    assert "ReservedConcurrentExecutions" not in function["Properties"]


def test_reserved_concurrency_reaches_the_function() -> None:
    stack = make_stack()
    WorkspaceImageProvider.of(stack, reserved_concurrency=5)
    image(stack)

    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function", {"ReservedConcurrentExecutions": 5}
    )


def test_a_reserved_concurrency_below_one_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        WorkspaceImageProvider.of(make_stack(), reserved_concurrency=0)

    message = str(raised.value)
    assert message.startswith('TestStack/CdkWorkspaceImageProvider: "reserved_concurrency" ')
    assert "must be at least 1, got 0" in message and "leave it out" in message


def test_another_reserved_concurrency_after_the_first_image_is_refused() -> None:
    stack = make_stack()
    WorkspaceImageProvider.of(stack, reserved_concurrency=5)
    image(stack)

    assert WorkspaceImageProvider.of(stack, reserved_concurrency=5) is WorkspaceImageProvider.of(
        stack
    )
    with pytest.raises(ValidationError, match='"reserved_concurrency" 6 differs from 5'):
        WorkspaceImageProvider.of(stack, reserved_concurrency=6)


def test_add_to_role_policy_grants_the_function_more() -> None:
    stack = make_stack()
    image(stack)

    WorkspaceImageProvider.of(stack).add_to_role_policy(
        cdk.aws_iam.PolicyStatement(actions=["kms:Decrypt"], resources=["arn:aws:kms:*:*:key/x"])
    )

    statements = [
        statement
        for policy in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert {
        "Action": "kms:Decrypt",
        "Effect": "Allow",
        "Resource": "arn:aws:kms:*:*:key/x",
    } in statements


def test_the_providers_ids_stay_those_of_existing_stacks() -> None:
    # Existing stacks must not see their function, role or log group replaced.
    stack = make_stack()
    WorkspaceImageProvider.of(stack, log_retention=logs.RetentionDays.ONE_YEAR)

    template = Template.from_stack(stack)
    for resource_type, prefix in (
        ("AWS::Lambda::Function", "CdkWorkspaceImageProviderFunction"),
        ("AWS::IAM::Role", "CdkWorkspaceImageProviderRole"),
        ("AWS::Logs::LogGroup", "CdkWorkspaceImageProviderLogs"),
    ):
        (logical_id,) = template.find_resources(resource_type)
        assert logical_id.startswith(prefix)
