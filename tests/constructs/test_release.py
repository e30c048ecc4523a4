"""Templates of a release: images used from other stacks and Regions by name, never
by an export, and each consumer's template changing with the version (issue #17)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from cdk_workspace_image import (
    UpdatedWorkspaceImage,
    WorkspaceBundle,
    WorkspaceImage,
    WorkspaceImageCopy,
)

ACCOUNT = "123456789012"
EAST = cdk.Environment(account=ACCOUNT, region="us-east-1")
WEST = cdk.Environment(account=ACCOUNT, region="us-west-2")


def bundle(stack: cdk.Stack, image: Any, construct_id: str = "Standard") -> WorkspaceBundle:
    return WorkspaceBundle(
        stack,
        construct_id,
        image=image,
        bundle_name="golden-standard",
        compute_type="STANDARD",
        user_storage_gib=50,
        root_storage_gib=80,
    )


def release(version: str, **image_options: Any) -> dict[str, cdk.Stack]:
    """Golden makes the image; Desktops bundles it; GoldenWest copies and bundles it."""
    app = cdk.App()
    stacks = {
        "Golden": cdk.Stack(app, "Golden", env=EAST),
        "Desktops": cdk.Stack(app, "Desktops", env=EAST),
        "GoldenWest": cdk.Stack(app, "GoldenWest", env=WEST),
    }
    golden = WorkspaceImage(
        stacks["Golden"],
        "Golden",
        workspace_id="ws-abcdef123",
        image_name=f"golden-{version}",
        **image_options,
    )
    bundle(stacks["Desktops"], golden)
    copy = WorkspaceImageCopy(
        stacks["GoldenWest"], "Golden", source_image=golden, image_name=f"golden-{version}"
    )
    bundle(stacks["GoldenWest"], copy)
    return stacks


def resource(stack: cdk.Stack, resource_type: str) -> dict[str, Any]:
    (found,) = Template.from_stack(stack).find_resources(resource_type).values()
    return dict(found)


def test_a_bundle_in_another_stack_names_the_image_and_deploys_after_its_stack() -> None:
    stacks = release("2026-11")

    template = Template.from_stack(stacks["Desktops"])
    template.has_resource_properties(
        "Custom::WorkspaceBundle", {"ImageName": "golden-2026-11", "ImageId": Match.absent()}
    )
    assert [s.stack_name for s in stacks["Desktops"].dependencies] == ["Golden"]


def test_a_copy_in_another_region_names_its_source_and_that_region() -> None:
    stacks = release("2026-11")

    Template.from_stack(stacks["GoldenWest"]).has_resource_properties(
        "Custom::WorkspaceImageCopy",
        {
            "SourceImageName": "golden-2026-11",
            "SourceRegion": "us-east-1",
            "SourceImageId": Match.absent(),
            "Name": "golden-2026-11",
        },
    )
    assert [s.stack_name for s in stacks["GoldenWest"].dependencies] == ["Golden"]


def test_no_template_exports_imports_or_reads_another_regions_value() -> None:
    for stack in release("2026-11").values():
        text = json.dumps(Template.from_stack(stack).to_json())

        assert "Fn::ImportValue" not in text
        assert '"Export"' not in text
        assert "CrossRegion" not in text


@pytest.mark.parametrize(
    ("stack", "resource_type", "changed"),
    [
        ("Desktops", "Custom::WorkspaceBundle", {"ImageName"}),
        # A new copy, with a wait condition of its own (a new WaitHandle).
        (
            "GoldenWest",
            "Custom::WorkspaceImageCopy",
            {"SourceImageName", "Name", "Description", "WaitHandle"},
        ),
        ("GoldenWest", "Custom::WorkspaceBundle", {"ImageName"}),
    ],
)
def test_a_new_version_shows_in_each_consumers_template(
    stack: str, resource_type: str, changed: set[str]
) -> None:
    # GIVEN the release at two versions
    before = resource(release("2026-11")[stack], resource_type)["Properties"]
    after = resource(release("2026-12")[stack], resource_type)["Properties"]

    # THEN the consumer's properties differ where `cdk diff` shows the move, and only there
    assert {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)} == (
        changed
    )


def test_a_bundle_in_the_images_stack_uses_its_id_and_shows_its_name() -> None:
    stack = cdk.Stack(cdk.App(), "Golden")
    golden = WorkspaceImage(stack, "Golden", workspace_id="ws-abcdef123", image_name="golden-1")
    bundle(stack, golden)

    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceBundle",
        {
            "ImageId": {"Fn::GetAtt": [Match.string_like_regexp("GoldenReady"), "ImageId"]},
            "ImageName": "golden-1",
        },
    )


def test_an_updated_image_of_another_stacks_image_finds_it_by_name() -> None:
    app = cdk.App()
    golden = WorkspaceImage(
        cdk.Stack(app, "Golden", env=EAST), "Golden", workspace_id="ws-abcdef123", image_name="g-1"
    )
    refreshed = cdk.Stack(app, "Refreshed", env=EAST)
    UpdatedWorkspaceImage(refreshed, "Updated", source_image=golden, image_name="g-1-drivers")

    Template.from_stack(refreshed).has_resource_properties(
        "Custom::WorkspaceImageUpdate", {"SourceImageName": "g-1", "SourceImageId": Match.absent()}
    )


def test_an_image_whose_name_is_a_token_cannot_be_used_from_another_stack() -> None:
    app = cdk.App()
    golden_stack = cdk.Stack(app, "Golden", env=EAST)
    name = cdk.CfnParameter(golden_stack, "Version").value_as_string
    golden = WorkspaceImage(golden_stack, "Golden", workspace_id="ws-abcdef123", image_name=name)

    with pytest.raises(
        ValueError,
        match=r'^Desktops/Standard: "image" \(Golden/Golden, in stack Golden\) has a token',
    ):
        bundle(cdk.Stack(app, "Desktops", env=EAST), golden)


def test_a_bundle_cannot_use_an_image_of_another_region() -> None:
    app = cdk.App()
    golden = WorkspaceImage(
        cdk.Stack(app, "Golden", env=EAST), "Golden", workspace_id="ws-abcdef123", image_name="g"
    )

    with pytest.raises(ValueError, match=r"only an image of its own Region\. Copy the image here"):
        bundle(cdk.Stack(app, "West", env=WEST), golden)


def test_an_image_of_another_account_cannot_be_found_by_name() -> None:
    app = cdk.App()
    golden = WorkspaceImage(
        cdk.Stack(app, "Golden", env=EAST), "Golden", workspace_id="ws-abcdef123", image_name="g"
    )
    other = cdk.Stack(app, "Other", env=cdk.Environment(account="210987654321", region="us-west-2"))

    with pytest.raises(ValueError, match='"source_image_id" and "source_region"'):
        WorkspaceImageCopy(other, "Copy", source_image=golden, image_name="g")


def test_a_copy_of_an_env_agnostic_image_into_a_regional_stack_asks_for_a_region() -> None:
    app = cdk.App()
    golden = WorkspaceImage(
        cdk.Stack(app, "Golden"), "Golden", workspace_id="ws-abcdef123", image_name="g"
    )

    with pytest.raises(ValueError, match="give stack Golden an env with a region"):
        WorkspaceImageCopy(
            cdk.Stack(app, "West", env=WEST), "Copy", source_image=golden, image_name="g"
        )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, 'give exactly one of "source_image"'),
        (
            {"source_image_id": "wsi-abcdef123", "golden": True},
            'give exactly one of "source_image"',
        ),
        (
            {"golden": True, "source_region": "us-east-1"},
            '"source_region" goes with "source_image_id"',
        ),
    ],
)
def test_a_copy_takes_an_image_or_an_id_and_its_region(
    kwargs: dict[str, Any], expected: str
) -> None:
    stack = cdk.Stack(cdk.App(), "West", env=WEST)
    if kwargs.pop("golden", False):
        kwargs["source_image"] = WorkspaceImage(
            stack, "Golden", workspace_id="ws-abcdef123", image_name="g"
        )

    with pytest.raises(ValueError, match=expected):
        WorkspaceImageCopy(stack, "Copy", image_name="copy", **kwargs)


@pytest.mark.parametrize(
    "options", [{"removal_policy": cdk.RemovalPolicy.DESTROY}, {"keep_previous_versions": 0}]
)
def test_a_consumer_is_warned_when_the_previous_version_is_deleted_before_it_moves(
    options: dict[str, Any],
) -> None:
    stacks = release("2026-11", **options)

    Annotations.from_stack(stacks["Desktops"]).has_warning(
        "/Desktops/Standard", Match.string_like_regexp("keep_previous_versions=1")
    )


def test_no_warning_when_the_previous_version_is_kept() -> None:
    stacks = release("2026-11", keep_previous_versions=1)

    Annotations.from_stack(stacks["Desktops"]).has_no_warning("*", Match.any_value())


def test_a_bundle_in_a_nested_stack_of_the_images_stack_uses_its_id() -> None:
    # Values go between a stack and its nested stacks as parameters, not exports.
    stack = cdk.Stack(cdk.App(), "Golden")
    golden = WorkspaceImage(stack, "Golden", workspace_id="ws-abcdef123", image_name="golden-1")
    nested = cdk.NestedStack(stack, "Desktops")
    bundle(nested, golden)

    Template.from_stack(nested).has_resource_properties(
        "Custom::WorkspaceBundle", {"ImageId": {"Ref": Match.any_value()}, "ImageName": "golden-1"}
    )
    assert "Fn::ImportValue" not in json.dumps(Template.from_stack(stack).to_json())


def test_an_updated_image_that_may_be_its_source_cannot_be_found_by_name_elsewhere() -> None:
    # GIVEN an updated image that is its source when there is no update
    app = cdk.App()
    golden_stack = cdk.Stack(app, "Golden", env=EAST)
    updated = UpdatedWorkspaceImage(
        golden_stack,
        "Updated",
        source_image=WorkspaceImage.from_image_id(golden_stack, "Source", "wsi-abcdef123"),
        image_name="golden-updated",
    )

    # THEN a bundle in another stack, which would look for its name, fails at synth
    with pytest.raises(ValueError, match=r"if_no_update=NoUpdate\.FAIL"):
        bundle(cdk.Stack(app, "Desktops", env=EAST), updated)


def test_an_updated_image_that_always_makes_one_may_be_used_elsewhere() -> None:
    from cdk_workspace_image import NoUpdate

    app = cdk.App()
    golden_stack = cdk.Stack(app, "Golden", env=EAST)
    updated = UpdatedWorkspaceImage(
        golden_stack,
        "Updated",
        source_image=WorkspaceImage.from_image_id(golden_stack, "Source", "wsi-abcdef123"),
        image_name="golden-updated",
        if_no_update=NoUpdate.FAIL,
    )
    desktops = cdk.Stack(app, "Desktops", env=EAST)
    bundle(desktops, updated)

    assert resource(desktops, "Custom::WorkspaceBundle")["Properties"]["ImageName"] == (
        "golden-updated"
    )
