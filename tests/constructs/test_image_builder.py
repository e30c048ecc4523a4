"""EC2 Image Builder as the source of a BYOL image: the L1 and the L2 (alpha) constructs,
and Tags.of(stack) beside Image Builder resources (docs/image-builder.md)."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import aws_cdk.aws_imagebuilder_alpha as imagebuilder_alpha
import cfnlint
import pytest
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk.assertions import Match, Template

from cdk_workspace_image import ByolImageSource, ByolWorkspaceImage, ValidationError

IMAGE_VERSION_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:image/golden/1.0.0/1"
INFRASTRUCTURE_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/ws"
# Every Image Builder resource type that aws-cdk-lib 2.275 has an L1 for.
IMAGE_BUILDER_TYPES = [
    "AWS::ImageBuilder::Component",
    "AWS::ImageBuilder::ContainerRecipe",
    "AWS::ImageBuilder::DistributionConfiguration",
    "AWS::ImageBuilder::Image",
    "AWS::ImageBuilder::ImagePipeline",
    "AWS::ImageBuilder::ImageRecipe",
    "AWS::ImageBuilder::InfrastructureConfiguration",
    "AWS::ImageBuilder::LifecyclePolicy",
    "AWS::ImageBuilder::Workflow",
]


def make_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "TestStack")


def l2_pipeline(
    stack: cdk.Stack,
) -> tuple[imagebuilder_alpha.Image, imagebuilder_alpha.InfrastructureConfiguration]:
    infrastructure = imagebuilder_alpha.InfrastructureConfiguration(stack, "Infrastructure")
    recipe = imagebuilder_alpha.ImageRecipe(
        stack,
        "Recipe",
        base_image=imagebuilder_alpha.BaseImage.from_ami_id("ami-0123456789abcdef0"),
    )
    built = imagebuilder_alpha.Image(
        stack, "Built", recipe=recipe, infrastructure_configuration=infrastructure
    )
    return built, infrastructure


def import_property(template: Template, name: str) -> object:
    (resource,) = template.find_resources("Custom::WorkspaceImageImport").values()
    return resource["Properties"][name]


def test_an_l2_image_and_infrastructure_configuration_are_imported_by_their_arns() -> None:
    # GIVEN the alpha L2 Image and InfrastructureConfiguration
    stack = make_stack()
    built, infrastructure = l2_pipeline(stack)

    # WHEN they are the source and the infrastructure of a BYOL image
    ByolWorkspaceImage(
        stack,
        "Golden",
        source=ByolImageSource.from_image_builder(built),
        infrastructure_configuration=infrastructure,
        os_version="Windows_11",
        image_name="golden",
    )

    # THEN the import names their ARNs, so it waits for the build
    template = Template.from_stack(stack)
    assert import_property(template, "ImageBuildVersionArn") == {
        "Fn::GetAtt": [stack.get_logical_id(built.node.default_child), "Arn"]
    }
    assert import_property(template, "InfrastructureConfigurationArn") == {
        "Fn::GetAtt": [stack.get_logical_id(infrastructure.node.default_child), "Arn"]
    }


def test_an_l1_infrastructure_configuration_is_taken_as_a_construct_too() -> None:
    stack = make_stack()
    infrastructure = imagebuilder.CfnInfrastructureConfiguration(
        stack, "Infrastructure", name="build", instance_profile_name="profile"
    )

    ByolWorkspaceImage(
        stack,
        "Golden",
        source=ByolImageSource.from_image_version_arn(IMAGE_VERSION_ARN),
        infrastructure_configuration=infrastructure,
        os_version="Windows_11",
        image_name="golden",
    )

    assert import_property(Template.from_stack(stack), "InfrastructureConfigurationArn") == {
        "Fn::GetAtt": [stack.get_logical_id(infrastructure), "Arn"]
    }


def test_an_imported_l2_image_is_checked_like_an_arn() -> None:
    stack = make_stack()
    elsewhere = imagebuilder_alpha.Image.from_image_arn(stack, "Elsewhere", IMAGE_VERSION_ARN)

    ByolWorkspaceImage(
        stack,
        "Golden",
        source=ByolImageSource.from_image_builder(elsewhere),
        infrastructure_configuration_arn=INFRASTRUCTURE_ARN,
        os_version="Windows_11",
        image_name="golden",
    )

    assert import_property(Template.from_stack(stack), "ImageBuildVersionArn") == (
        IMAGE_VERSION_ARN
    )


def test_an_infrastructure_configuration_given_twice_is_refused() -> None:
    stack = make_stack()
    _, infrastructure = l2_pipeline(stack)

    with pytest.raises(ValidationError) as raised:
        ByolWorkspaceImage(
            stack,
            "Golden",
            source=ByolImageSource.from_image_version_arn(IMAGE_VERSION_ARN),
            infrastructure_configuration=infrastructure,
            infrastructure_configuration_arn=INFRASTRUCTURE_ARN,
            os_version="Windows_11",
            image_name="golden",
        )

    assert str(raised.value) == (
        'TestStack/Golden: "infrastructure_configuration" and '
        '"infrastructure_configuration_arn" name the same thing: give one of them'
    )


# --- Tags.of(stack) and Image Builder --------------------------------------------------


def test_excluding_the_image_builder_types_keeps_stack_tags_off_them_only() -> None:
    # GIVEN a recipe, its image, and the BYOL image made from it
    stack = make_stack()
    built, infrastructure = l2_pipeline(stack)
    ByolWorkspaceImage(
        stack,
        "Golden",
        source=ByolImageSource.from_image_builder(built),
        infrastructure_configuration=infrastructure,
        os_version="Windows_11",
        image_name="golden",
    )

    # WHEN the stack is tagged, except for the Image Builder types
    cdk.Tags.of(stack).add("cost-center", "42", exclude_resource_types=IMAGE_BUILDER_TYPES)

    # THEN no Image Builder resource carries the tag
    template = Template.from_stack(stack)
    for resource_type in ("AWS::ImageBuilder::Image", "AWS::ImageBuilder::ImageRecipe"):
        for resource in template.find_resources(resource_type).values():
            assert "cost-center" not in json.dumps(resource["Properties"].get("Tags", {}))
    # AND the WorkSpaces image still does
    template.has_resource_properties(
        "Custom::WorkspaceImageImport",
        {"Tags": Match.array_with([{"Key": "cost-center", "Value": "42"}])},
    )


def test_cfn_lints_schemas_update_image_builder_tags_in_place() -> None:
    # docs/image-builder.md says a tag change does not replace an Image Builder
    # resource, on the schemas cfn-lint bundles (CloudFormation's registry); when
    # a cfn-lint upgrade says otherwise, this fails and the doc must change.
    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    providers = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    replacing = []
    for resource_type in IMAGE_BUILDER_TYPES:
        schema = json.loads(
            (schemas / "resources" / f"{providers[resource_type]}.json").read_text()
        )
        if "/properties/Tags" in schema.get("createOnlyProperties", []):
            replacing.append(resource_type)
    assert replacing == []
