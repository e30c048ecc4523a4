"""The templates of WorkspaceImageCopy, UpdatedWorkspaceImage and ByolWorkspaceImage,
and their synth-time checks."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk.assertions import Match, Template

from cdk_workspace_image import (
    ArgumentTypeError,
    ByolImageSource,
    ByolWorkspaceImage,
    IWorkspaceImage,
    NoUpdate,
    UpdatedWorkspaceImage,
    WorkspaceBundle,
    WorkspaceImage,
    WorkspaceImageCopy,
)

INFRASTRUCTURE_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/ws"
IMAGE_VERSION_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:image/golden/1.0.0/1"


def make_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "TestStack")


def statements(template: Template) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def custom_import(stack: cdk.Stack, **kwargs: Any) -> ByolWorkspaceImage:
    kwargs.setdefault("source", ByolImageSource.from_image_version_arn(IMAGE_VERSION_ARN))
    kwargs.setdefault("image_name", "golden-byol")
    kwargs.setdefault("os_version", "Windows_11")
    kwargs.setdefault("infrastructure_configuration_arn", INFRASTRUCTURE_ARN)
    return ByolWorkspaceImage(stack, "Byol", **kwargs)


# --- WorkspaceImageCopy ---------------------------------------------------------------


def test_a_copy_names_its_source_and_region() -> None:
    stack = make_stack()
    WorkspaceImageCopy(
        stack,
        "West",
        source_image_id="wsi-abcdef123",
        source_region="us-west-2",
        image_name="golden-west",
        timeout=cdk.Duration.minutes(55),
    )

    template = Template.from_stack(stack)
    template.has_resource_properties(
        "Custom::WorkspaceImageCopy",
        {
            "SourceImageId": "wsi-abcdef123",
            "SourceRegion": "us-west-2",
            "Name": "golden-west",
            "TimeoutSeconds": 3300,
        },
    )
    copy_grants = [
        s for s in statements(template) if s["Action"] == "workspaces:CopyWorkspaceImage"
    ]
    rendered = str(copy_grants)
    # The source image in its Region, with any owner (a shared image is another account's).
    assert ":workspaces:us-west-2:*:workspaceimage/wsi-abcdef123" in rendered


def test_a_copy_by_id_without_a_region_is_refused_naming_source_region() -> None:
    # Forgetting it used to name this stack's Region silently (issue #17).
    with pytest.raises(ValueError, match='"source_region" is required with "source_image_id"'):
        WorkspaceImageCopy(
            make_stack(), "Shared", source_image_id="wsi-abcdef123", image_name="mine"
        )


def test_a_copy_of_an_image_shared_in_this_region_names_the_stacks_region() -> None:
    stack = make_stack()
    WorkspaceImageCopy(
        stack,
        "Shared",
        source_image_id="wsi-abcdef123",
        source_region=stack.region,
        image_name="mine",
    )

    template = Template.from_stack(stack)
    template.has_resource_properties(
        "Custom::WorkspaceImageCopy", {"SourceRegion": {"Ref": "AWS::Region"}}
    )
    # The grant on the source keeps the Region (a pseudo parameter waits for
    # nothing); the other is the new copy's, which must be tagged as this stack's.
    (grant,) = [
        s
        for s in statements(template)
        if s["Action"] == "workspaces:CopyWorkspaceImage" and "Condition" not in s
    ]
    assert {"Ref": "AWS::Region"} in grant["Resource"]["Fn::Join"][1]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"source_image_id": "ami-123"}, "\"source_image_id\" 'ami-123' is not an image id"),
        ({"source_region": "West Coast"}, "\"source_region\" 'West Coast' is not a Region"),
        ({"image_name": "has space"}, '"image_name"'),
        ({"timeout": cdk.Duration.hours(13)}, "at most 12 hours"),
    ],
)
def test_a_copy_rejects_bad_input_at_synth_naming_the_argument(
    kwargs: dict[str, Any], expected: str
) -> None:
    args: dict[str, Any] = {
        "source_image_id": "wsi-abcdef123",
        "source_region": "us-west-2",
        "image_name": "golden-west",
        **kwargs,
    }
    with pytest.raises(ValueError, match=expected.replace("(", r"\(")):
        WorkspaceImageCopy(make_stack(), "West", **args)


# --- UpdatedWorkspaceImage --------------------------------------------------------------


def test_an_updated_image_of_an_image_in_the_stack_waits_for_it_without_a_cycle() -> None:
    stack = make_stack()
    golden = WorkspaceImage(stack, "Golden", workspace_id="ws-abcdef123", image_name="golden")
    UpdatedWorkspaceImage(stack, "Refreshed", source_image=golden, image_name="golden-updated")

    template = Template.from_stack(stack)  # raises on a dependency cycle
    template.has_resource_properties(
        "Custom::WorkspaceImageUpdate",
        {"SourceImageId": {"Fn::GetAtt": [Match.string_like_regexp("GoldenReady"), "ImageId"]}},
    )
    # The grant cannot name an id made in this deploy: any of this account's images.
    (grant,) = [
        s for s in statements(template) if s["Action"] == "workspaces:CreateUpdatedWorkspaceImage"
    ]
    assert "workspaceimage/*" in str(grant["Resource"])


def test_an_updated_image_of_a_known_image_is_granted_on_that_image() -> None:
    stack = make_stack()
    UpdatedWorkspaceImage(
        stack,
        "Refreshed",
        source_image=WorkspaceImage.from_image_id(stack, "Old", "wsi-abcdef123"),
        image_name="golden-updated",
    )

    # The source with no condition (it may be any stack's); the new image,
    # tagged as this stack's, on a statement of its own.
    (grant,) = [
        s
        for s in statements(Template.from_stack(stack))
        if s["Action"] == "workspaces:CreateUpdatedWorkspaceImage" and "Condition" not in s
    ]
    assert "workspaceimage/wsi-abcdef123" in str(grant["Resource"])


def updated_image(stack: cdk.Stack, **kwargs: Any) -> UpdatedWorkspaceImage:
    return UpdatedWorkspaceImage(
        stack,
        "Refreshed",
        source_image=WorkspaceImage.from_image_id(stack, "Old", "wsi-abcdef123"),
        image_name="golden-updated",
        **kwargs,
    )


def test_an_updated_image_stands_for_its_source_when_there_is_no_update_by_default() -> None:
    # GIVEN an updated image declared without if_no_update
    stack = make_stack()
    updated_image(stack)

    # THEN the resource says to use the source when there is nothing to update
    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImageUpdate", {"IfNoUpdate": "USE_SOURCE"}
    )


def test_if_no_update_fail_is_rendered_for_the_handler() -> None:
    # GIVEN an updated image that must fail when there is nothing to update
    stack = make_stack()
    updated_image(stack, if_no_update=NoUpdate.FAIL)

    # THEN the resource carries the option
    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImageUpdate", {"IfNoUpdate": "FAIL"}
    )


def test_if_no_update_given_as_a_string_is_refused_at_synth_naming_the_enum() -> None:
    # GIVEN a stack WHEN if_no_update is a string rather than a NoUpdate
    with pytest.raises(ArgumentTypeError) as raised:
        updated_image(make_stack(), if_no_update="FAIL")

    # THEN the message names the construct, the argument and the choices
    message = str(raised.value)
    assert message.startswith("TestStack/Refreshed: ")
    assert '"if_no_update" must be a NoUpdate (NoUpdate.USE_SOURCE or NoUpdate.FAIL)' in message
    assert "got str 'FAIL'" in message


# --- ByolWorkspaceImage --------------------------------------------------------------------


def test_without_an_ingestion_process_the_import_is_image_builders() -> None:
    stack = make_stack()
    custom_import(stack, timeout=cdk.Duration.minutes(55))

    template = Template.from_stack(stack)
    template.has_resource_properties(
        "Custom::WorkspaceImageImport",
        {
            "ImageBuildVersionArn": IMAGE_VERSION_ARN,
            "ComputeType": "BASE",
            "Protocol": "DCV",
            "OsVersion": "Windows_11",
            "InfrastructureConfigurationArn": INFRASTRUCTURE_ARN,
            "IngestionProcess": Match.absent(),
        },
    )
    actions = {str(s["Action"]) for s in statements(template)}
    assert "workspaces:ImportCustomWorkspaceImage" in actions
    assert "workspaces:DescribeCustomWorkspaceImageImport" in actions
    assert "imagebuilder:GetImage" in actions
    assert "workspaces:ImportWorkspaceImage" not in actions


def test_an_ingestion_process_imports_the_ami_with_import_workspace_image() -> None:
    stack = make_stack()
    ByolWorkspaceImage(
        stack,
        "Byol",
        source=ByolImageSource.from_ami("ami-0123456789abcdef0"),
        ingestion_process="BYOL_REGULAR_WSP",
        applications=["Microsoft_Office_2019"],
        image_name="golden-byol",
    )

    template = Template.from_stack(stack)
    template.has_resource_properties(
        "Custom::WorkspaceImageImport",
        {
            "Ec2ImageId": "ami-0123456789abcdef0",
            "IngestionProcess": "BYOL_REGULAR_WSP",
            "Applications": ["Microsoft_Office_2019"],
            "OsVersion": Match.absent(),
        },
    )
    grants = {str(s["Action"]): str(s["Resource"]) for s in statements(template)}
    assert grants["workspaces:ImportWorkspaceImage"] == "*"
    # WorkSpaces shares the AMI with itself on the caller's behalf.
    assert "image/ami-0123456789abcdef0" in grants["ec2:ModifyImageAttribute"]


def test_an_image_builder_image_is_imported_after_it_is_built() -> None:
    stack = make_stack()
    built = imagebuilder.CfnImage(
        stack,
        "Built",
        image_recipe_arn="arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/r/1.0.0",
        infrastructure_configuration_arn=INFRASTRUCTURE_ARN,
    )
    custom_import(stack, source=ByolImageSource.from_image_builder(built))

    template = Template.from_stack(stack)
    template.has_resource_properties(
        "Custom::WorkspaceImageImport",
        {"ImageBuildVersionArn": {"Fn::GetAtt": [Match.string_like_regexp("Built"), "Arn"]}},
    )
    # The provider's role does not wait for the build: it is granted on any image version.
    (grant,) = [s for s in statements(template) if s["Action"] == "imagebuilder:GetImage"]
    assert "image/*" in str(grant["Resource"])


def test_an_import_waits_six_hours_by_default_in_a_wait_condition() -> None:
    stack = make_stack()
    image = custom_import(stack)

    assert image.wait_condition is not None
    Template.from_stack(stack).has_resource_properties(
        "AWS::CloudFormation::WaitCondition", {"Timeout": "21600"}
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"os_version": None}, '"os_version" is required without "ingestion_process"'),
        ({"os_version": "Windows_7"}, "\"os_version\" 'Windows_7' is not one of"),
        (
            {"infrastructure_configuration_arn": None},
            '"infrastructure_configuration_arn" is required',
        ),
        ({"infrastructure_configuration_arn": "arn:aws:iam::1:role/x"}, "infrastructure config"),
        ({"compute_type": "POWER"}, "\"compute_type\" 'POWER' is not one of: BASE"),
        ({"protocol": "RDP"}, "\"protocol\" 'RDP' is not one of"),
        ({"validation_mode": "NONE"}, "\"validation_mode\" 'NONE'"),
        ({"applications": ["Microsoft_Office_2019"]}, '"applications" needs "ingestion_process"'),
        ({"source": ByolImageSource.from_ami("ami-12")}, "is not an AMI id"),
        ({"source": ByolImageSource.from_import_task("task-1")}, "is not a VM import task id"),
        (
            {"source": ByolImageSource.from_image_version_arn("arn:aws:s3:::b")},
            "is not an EC2 Image Builder image version ARN",
        ),
    ],
)
def test_a_custom_import_rejects_bad_input_at_synth_naming_the_argument(
    kwargs: dict[str, Any], expected: str
) -> None:
    args = {key: value for key, value in kwargs.items()}
    stack = make_stack()
    defaults = {
        "source": ByolImageSource.from_image_version_arn(IMAGE_VERSION_ARN),
        "image_name": "golden-byol",
        "os_version": "Windows_11",
        "infrastructure_configuration_arn": INFRASTRUCTURE_ARN,
    }
    merged = {**defaults, **args}
    with pytest.raises(ValueError, match=expected.replace("(", r"\(")):
        ByolWorkspaceImage(
            stack, "Byol", **{key: value for key, value in merged.items() if value is not None}
        )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"source": ByolImageSource.from_image_version_arn(IMAGE_VERSION_ARN)},
            '"ingestion_process" needs an AMI source',
        ),
        ({"ingestion_process": "BYOL_ANYTHING"}, "\"ingestion_process\" 'BYOL_ANYTHING'"),
        ({"applications": ["Office_97"]}, "\"applications\" 'Office_97' is not one of"),
        (
            {"applications": ["Microsoft_Office_2016", "Microsoft_Office_2019"]},
            "one item at most",
        ),
        ({"protocol": "DCV"}, '"protocol" is for ImportCustomWorkspaceImage'),
        ({"os_version": "Windows_7"}, "\"os_version\" 'Windows_7' is not one of"),
    ],
)
def test_an_ami_import_rejects_bad_input_at_synth_naming_the_argument(
    kwargs: dict[str, Any], expected: str
) -> None:
    args: dict[str, Any] = {
        "source": ByolImageSource.from_ami("ami-0123456789abcdef0"),
        "ingestion_process": "BYOL_REGULAR",
        "image_name": "golden-byol",
        **kwargs,
    }
    with pytest.raises(ValueError, match=expected):
        ByolWorkspaceImage(make_stack(), "Byol", **args)


# --- shared by all -----------------------------------------------------------------------


def every_source(stack: cdk.Stack) -> list[IWorkspaceImage]:
    golden = WorkspaceImage(stack, "Golden", workspace_id="ws-abcdef123", image_name="golden")
    return [
        golden,
        WorkspaceImageCopy(
            stack,
            "Copy",
            source_image_id="wsi-abcdef123",
            source_region="us-west-2",
            image_name="copy",
        ),
        UpdatedWorkspaceImage(stack, "Updated", source_image=golden, image_name="updated"),
        custom_import(stack),
    ]


def test_every_source_can_be_bundled_tagged_shared_and_retained() -> None:
    stack = make_stack()
    images = every_source(stack)
    for n, image in enumerate(images):
        WorkspaceBundle(
            stack,
            f"Bundle{n}",
            image=image,
            bundle_name=f"bundle-{n}",
            compute_type="STANDARD",
            user_storage_gib=50,
            root_storage_gib=80,
        )
    cdk.Tags.of(stack).add("cost-center", "euc")

    template = Template.from_stack(stack)
    for resource_type in (
        "Custom::WorkspaceImage",
        "Custom::WorkspaceImageCopy",
        "Custom::WorkspaceImageUpdate",
        "Custom::WorkspaceImageImport",
    ):
        template.has_resource(
            resource_type,
            {
                "DeletionPolicy": "RetainExceptOnCreate",
                "UpdateReplacePolicy": "Retain",
                "Properties": Match.object_like(
                    {"Tags": Match.array_with([{"Key": "cost-center", "Value": "euc"}])}
                ),
            },
        )
    template.resource_count_is("Custom::WorkspaceBundle", 4)
    # One provider serves them all.
    template.resource_count_is("AWS::Lambda::Function", 1)
