"""The template of WorkspaceBundle, image sharing and imported images."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_workspaces as workspaces
from aws_cdk.assertions import Match, Template

from cdk_workspace_image import WorkspaceBundle, WorkspaceImage


def make_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "TestStack")


def golden(stack: cdk.Stack, **kwargs: Any) -> WorkspaceImage:
    # 55 minutes: image_id is the custom resource's own attribute (no WaitCondition).
    kwargs.setdefault("timeout", cdk.Duration.minutes(55))
    return WorkspaceImage(
        stack, "Golden", workspace_id="ws-abcdef123", image_name="golden", **kwargs
    )


def bundle(stack: cdk.Stack, image: Any, **kwargs: Any) -> WorkspaceBundle:
    kwargs.setdefault("bundle_name", "golden-standard")
    kwargs.setdefault("compute_type", "STANDARD")
    kwargs.setdefault("user_storage_gib", 50)
    kwargs.setdefault("root_storage_gib", 80)
    return WorkspaceBundle(stack, "Bundle", image=image, **kwargs)


def actions(template: Template) -> set[str]:
    found: set[str] = set()
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            found.update(listed if isinstance(listed, list) else [listed])
    return found


def test_a_bundle_mirrors_create_workspace_bundle_and_uses_the_images_id() -> None:
    stack = make_stack()
    image = golden(stack)
    bundle(stack, image, description="Standard desktops", tags={"team": "euc"})

    template = Template.from_stack(stack)
    (image_id,) = template.find_resources("Custom::WorkspaceImage")
    template.has_resource(
        "Custom::WorkspaceBundle",
        {
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": [Match.string_like_regexp("Function"), "Arn"]},
                "BundleName": "golden-standard",
                "BundleDescription": "Standard desktops",
                "ImageId": {"Fn::GetAtt": [image_id, "ImageId"]},
                "ComputeType": "STANDARD",
                "UserStorageGiB": 50,
                "RootStorageGiB": 80,
                "Tags": [{"Key": "team", "Value": "euc"}],
                "ServiceTimeout": "1800",
            },
            # Kept on stack delete, deleted when replaced or when its create rolls back.
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Delete",
        },
    )
    # One provider function serves images and bundles.
    template.resource_count_is("AWS::Lambda::Function", 1)


def test_the_bundle_id_feeds_a_workspace() -> None:
    stack = make_stack()
    desktops = bundle(stack, golden(stack))
    workspaces.CfnWorkspace(
        stack, "Desk", bundle_id=desktops.bundle_id, directory_id="d-0123456789", user_name="ann"
    )

    template = Template.from_stack(stack)
    (bundle_id,) = template.find_resources("Custom::WorkspaceBundle")
    template.has_resource_properties(
        "AWS::WorkSpaces::Workspace", {"BundleId": {"Fn::GetAtt": [bundle_id, "BundleId"]}}
    )


def test_an_imported_image_feeds_a_bundle() -> None:
    stack = make_stack()
    bundle(stack, WorkspaceImage.from_image_id(stack, "Shared", "wsi-abcdef123"))

    template = Template.from_stack(stack)
    template.resource_count_is("Custom::WorkspaceImage", 0)
    template.has_resource_properties("Custom::WorkspaceBundle", {"ImageId": "wsi-abcdef123"})


def test_a_malformed_imported_image_id_is_refused() -> None:
    with pytest.raises(ValueError, match="'ws-abcdef123' is not an image id"):
        WorkspaceImage.from_image_id(make_stack(), "Shared", "ws-abcdef123")


def test_after_a_long_wait_the_bundle_waits_for_the_image_too() -> None:
    stack = make_stack()
    bundle(stack, golden(stack, timeout=cdk.Duration.hours(8)))

    template = Template.from_stack(stack)
    (ready_id,) = template.find_resources("Custom::WorkspaceImageReady")
    template.has_resource_properties(
        "Custom::WorkspaceBundle", {"ImageId": {"Fn::GetAtt": [ready_id, "ImageId"]}}
    )


def test_bundle_and_sharing_permissions_stay_when_the_last_user_goes() -> None:
    # Removing the last bundle or share updates the policy before the handler
    # deletes the bundle or unshares the image: the grants must still be there.
    plain, full = make_stack(), make_stack()
    golden(plain)
    bundle(full, golden(full, share_with_accounts=["111122223333"]))

    needed = {
        "workspaces:CreateWorkspaceBundle",
        "workspaces:UpdateWorkspaceBundle",
        "workspaces:DeleteWorkspaceBundle",
        "workspaces:DescribeWorkspaceBundles",
        "workspaces:UpdateWorkspaceImagePermission",
    }
    assert needed <= actions(Template.from_stack(plain))
    assert actions(Template.from_stack(plain)) == actions(Template.from_stack(full))


def test_sharing_reaches_the_resource() -> None:
    stack = make_stack()
    golden(stack, share_with_accounts=["111122223333", "444455556666"])

    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceImage", {"ShareWithAccounts": ["111122223333", "444455556666"]}
    )


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        (
            ["1111222233"],
            "\"share_with_accounts\" '1111222233' is not an AWS account id (12 digits)",
        ),
        (["111122223333", "111122223333"], "lists an account more than once"),
    ],
)
def test_bad_accounts_are_refused_at_synth(accounts: list[str], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        golden(make_stack(), share_with_accounts=accounts)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bundle_name": "golden standard"}, "\"bundle_name\" 'golden standard' contains ' '"),
        ({"description": "x" * 256}, '"description" must be 1-255 characters long, got 256'),
        ({"compute_type": "HUGE"}, "\"compute_type\" 'HUGE' is not a WorkSpaces compute type"),
        ({"user_storage_gib": 20}, '"root_storage_gib" 80 and "user_storage_gib" 20 do not go'),
        ({"root_storage_gib": 100}, '"root_storage_gib" 100 and "user_storage_gib" 50 do not go'),
        ({"root_storage_gib": 175, "user_storage_gib": 50}, "do not go together"),
        ({"tags": {"aws:x": "y"}}, 'starts with "aws:"'),
    ],
)
def test_bad_bundle_arguments_fail_at_synth(kwargs: dict[str, Any], message: str) -> None:
    stack = make_stack()
    with pytest.raises(ValueError) as raised:
        bundle(stack, WorkspaceImage.from_image_id(stack, "Shared", "wsi-abcdef123"), **kwargs)
    assert message in str(raised.value)


def test_large_volumes_are_accepted() -> None:
    stack = make_stack()
    bundle(
        stack,
        WorkspaceImage.from_image_id(stack, "Shared", "wsi-abcdef123"),
        root_storage_gib=175,
        user_storage_gib=100,
    )
    Template.from_stack(stack).resource_count_is("Custom::WorkspaceBundle", 1)


@pytest.mark.parametrize("compute_type", ["GRAPHICSPRO", "GRAPHICS_G4DN", "GRAPHICS_G6_XLARGE"])
def test_a_graphics_bundle_of_100_gib_root_and_user_synthesizes(compute_type: str) -> None:
    stack = make_stack()
    bundle(
        stack,
        WorkspaceImage.from_image_id(stack, "Shared", "wsi-abcdef123"),
        compute_type=compute_type,
        root_storage_gib=100,
        user_storage_gib=100,
    )
    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceBundle",
        {"ComputeType": compute_type, "RootStorageGiB": 100, "UserStorageGiB": 100},
    )


def test_a_graphics_bundle_with_an_80_gib_root_fails_naming_the_arguments_and_rule() -> None:
    stack = make_stack()
    with pytest.raises(ValueError) as raised:
        bundle(
            stack,
            WorkspaceImage.from_image_id(stack, "Shared", "wsi-abcdef123"),
            compute_type="GRAPHICS_G4DN",
            root_storage_gib=80,
            user_storage_gib=100,
        )
    assert str(raised.value) == (
        'TestStack/Bundle: "root_storage_gib" 80 and "user_storage_gib" 100 do not go together for '
        "GRAPHICS_G4DN; allowed: root_storage_gib 100-2000 with user_storage_gib 100-2000 (GiB)"
    )


def test_storage_is_left_to_the_handler_when_the_compute_type_is_a_token() -> None:
    stack = make_stack()
    compute_type = cdk.CfnParameter(stack, "ComputeType").value_as_string
    bundle(
        stack,
        WorkspaceImage.from_image_id(stack, "Shared", "wsi-abcdef123"),
        compute_type=compute_type,
        root_storage_gib=80,
        user_storage_gib=100,
    )
    Template.from_stack(stack).has_resource_properties(
        "Custom::WorkspaceBundle", {"ComputeType": {"Ref": "ComputeType"}}
    )
