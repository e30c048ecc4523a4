#!/usr/bin/env python3
"""Example app: image -> bundle -> WorkSpace, from a prepared WorkSpace or a recipe.

From a prepared WorkSpace (stack WorkspaceImageExample):

    cdk deploy -c workspace_id=ws-0123456789
        [-c image_name=golden-2026-11] [-c timeout_minutes=480]
        [-c keep_previous_versions=1]                     # a new image_name keeps one
        [-c share_with_accounts=111122223333,444455556666]
        [-c developer_workspace_id=ws-0123456788]        # a second image, made at once
        [-c directory_id=d-0123456789 -c user_name=ann]   # also launch a WorkSpace

A new ``image_name`` makes a new image and moves the bundle to it in place
(docs/release.md); the replaced image is kept, unless removal_policy=destroy
without keep_previous_versions. The WorkSpace is created only when both
directory_id and user_name are given.
A second image (``<image_name>-dev``) is made from ``developer_workspace_id``
when it is given; CloudFormation makes the two images in parallel.

From an EC2 Image Builder recipe, with no builder WorkSpace (stack
WorkspaceImageFromRecipe): a recipe on your licensed Windows 10/11 AMI,
Windows updates and your apps as components, then a BYOL WorkSpaces image
(ImportCustomWorkspaceImage) and its bundle:

    cdk deploy -c parent_ami=ami-0123456789abcdef0 [-c image_name=golden-2026-11]
        [-c os_version=Windows_11] [-c instance_type=m5.large]

The account must be enabled for BYOL (Administration Guide, "Bring Your Own
Windows desktop licenses").
"""

import sys

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk import aws_workspaces as workspaces

from cdk_workspace_image import (
    ByolImageSource,
    ByolWorkspaceImage,
    IWorkspaceImage,
    WorkspaceBundle,
    WorkspaceImage,
)

app = cdk.App()
context = app.node.try_get_context
workspace_id = context("workspace_id")
parent_ami = context("parent_ami")
if not workspace_id and not parent_ami:
    sys.exit(
        "error: no source given. Pass a prepared WorkSpace's id, or your licensed Windows\n"
        "AMI for an Image Builder recipe, as CDK context, for example\n"
        "  cdk deploy -c workspace_id=ws-0123456789\n"
        "  cdk deploy -c parent_ami=ami-0123456789abcdef0\n"
        "(find WorkSpaces with: aws workspaces describe-workspaces "
        "--query 'Workspaces[].WorkspaceId')"
    )
# RETAIN keeps the image and bundle when the stack is destroyed; the rehearsal
# passes -c removal_policy=destroy to show the Deletes as well.
destroy = context("removal_policy") == "destroy"
removal_policy = cdk.RemovalPolicy.DESTROY if destroy else None
image_name = context("image_name") or "golden-example"
# The bundle keeps its name from one image version to the next, so that a new
# image moves it in place, and the WorkSpaces launched from it follow.
bundle_name = context("bundle_name") or "golden-standard"
keep_previous_versions = context("keep_previous_versions")
keep = int(keep_previous_versions) if keep_previous_versions is not None else None
timeout_minutes = context("timeout_minutes")
timeout = cdk.Duration.minutes(int(timeout_minutes)) if timeout_minutes else None


def standard_bundle(stack: cdk.Stack, image: IWorkspaceImage) -> WorkspaceBundle:
    """The bundle that WorkSpaces launch from: Standard, 80 GiB root, 50 GiB user."""
    return WorkspaceBundle(
        stack,
        "Standard",
        image=image,
        bundle_name=bundle_name,
        compute_type="STANDARD",
        user_storage_gib=50,
        root_storage_gib=80,
        removal_policy=removal_policy,
    )


def from_recipe(ami_id: str) -> None:
    """Recipe -> Image Builder image -> BYOL WorkSpaces image -> bundle, in one deploy."""
    stack = cdk.Stack(app, "WorkspaceImageFromRecipe")
    # The instance Image Builder builds and tests on: SSM for the build steps.
    role = iam.Role(
        stack,
        "BuildRole",
        assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore"),
            iam.ManagedPolicy.from_aws_managed_policy_name("EC2InstanceProfileForImageBuilder"),
        ],
    )
    profile = iam.CfnInstanceProfile(stack, "BuildProfile", roles=[role.role_name])
    infrastructure = imagebuilder.CfnInfrastructureConfiguration(
        stack,
        "Infrastructure",
        name=f"{image_name}-build",
        instance_profile_name=profile.ref,
        instance_types=[context("instance_type") or "m5.large"],
    )
    apps = imagebuilder.CfnComponent(
        stack,
        "Apps",
        name=f"{image_name}-apps",
        platform="Windows",
        version="1.0.0",
        # Your apps here: each step runs on the build instance.
        data="""
name: apps
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: Marker
        action: ExecutePowerShell
        inputs:
          commands:
            - New-Item -ItemType Directory -Force -Path C:\\ProgramData\\Golden
            - Set-Content C:\\ProgramData\\Golden\\built.txt (Get-Date -Format o)
""",
    )
    recipe = imagebuilder.CfnImageRecipe(
        stack,
        "Recipe",
        name=image_name,
        version="1.0.0",
        parent_image=ami_id,
        components=[
            # AWS's own component: the latest Windows updates.
            imagebuilder.CfnImageRecipe.ComponentConfigurationProperty(
                component_arn=f"arn:{stack.partition}:imagebuilder:{stack.region}:aws:component/"
                "update-windows/x.x.x"
            ),
            imagebuilder.CfnImageRecipe.ComponentConfigurationProperty(component_arn=apps.attr_arn),
        ],
    )
    built = imagebuilder.CfnImage(
        stack,
        "Built",
        image_recipe_arn=recipe.attr_arn,
        infrastructure_configuration_arn=infrastructure.attr_arn,
    )
    image = ByolWorkspaceImage(
        stack,
        "Golden",
        # Its ARN: CloudFormation imports once Image Builder has built the image.
        source=ByolImageSource.from_image_builder(built),
        infrastructure_configuration_arn=infrastructure.attr_arn,
        os_version=context("os_version") or "Windows_11",
        image_name=image_name,
        timeout=timeout,
        removal_policy=removal_policy,
    )
    bundle = standard_bundle(stack, image)
    cdk.CfnOutput(stack, "ImageId", value=image.image_id, description="The WorkSpaces image id")
    cdk.CfnOutput(stack, "BundleId", value=bundle.bundle_id, description="Its bundle")


if parent_ami:
    from_recipe(parent_ami)
    app.synth()
    sys.exit(0)

stack = cdk.Stack(app, "WorkspaceImageExample")
image = WorkspaceImage(
    stack,
    "Golden",
    workspace_id=workspace_id,
    image_name=image_name,
    # Over 55 minutes (up to 12 hours; the default is 2 hours) a WaitCondition
    # waits for the image.
    timeout=timeout,
    share_with_accounts=[a for a in (context("share_with_accounts") or "").split(",") if a],
    removal_policy=removal_policy,
    keep_previous_versions=keep,
)
bundle = standard_bundle(stack, image)
cdk.CfnOutput(stack, "ImageId", value=image.image_id, description="The WorkSpaces image id")
developer_workspace_id = context("developer_workspace_id")
if developer_workspace_id:
    developer = WorkspaceImage(
        stack,
        "Developer",
        workspace_id=developer_workspace_id,
        image_name=f"{image_name}-dev",
        removal_policy=removal_policy,
    )
    cdk.CfnOutput(
        stack, "DeveloperImageId", value=developer.image_id, description="The second image's id"
    )
cdk.CfnOutput(stack, "BundleId", value=bundle.bundle_id, description="The bundle of the image")

directory_id, user_name = context("directory_id"), context("user_name")
if directory_id and user_name:
    desktop = workspaces.CfnWorkspace(
        stack, "Desktop", bundle_id=bundle.bundle_id, directory_id=directory_id, user_name=user_name
    )
    cdk.CfnOutput(stack, "WorkspaceId", value=desktop.ref, description="The new WorkSpace")
app.synth()
