#!/usr/bin/env python3
"""Example app: image -> bundle -> WorkSpace, from a prepared WorkSpace.

    cdk deploy -c workspace_id=ws-0123456789
        [-c image_name=golden-2026-11] [-c timeout_minutes=480]
        [-c share_with_accounts=111122223333,444455556666]
        [-c developer_workspace_id=ws-0123456788]        # a second image, made at once
        [-c directory_id=d-0123456789 -c user_name=ann]   # also launch a WorkSpace

The WorkSpace is created only when both directory_id and user_name are given.
A second image (``<image_name>-dev``) is made from ``developer_workspace_id``
when it is given; CloudFormation makes the two images in parallel.
"""

import sys

import aws_cdk as cdk
from aws_cdk import aws_workspaces as workspaces

from cdk_workspace_image import WorkspaceBundle, WorkspaceImage

app = cdk.App()
context = app.node.try_get_context
workspace_id = context("workspace_id")
if not workspace_id:
    sys.exit(
        "error: no source WorkSpace given. Pass its id as CDK context, for example\n"
        "  cdk deploy -c workspace_id=ws-0123456789\n"
        "(find it with: aws workspaces describe-workspaces --query 'Workspaces[].WorkspaceId')"
    )
# RETAIN keeps the image and bundle when the stack is destroyed; the rehearsal
# passes -c removal_policy=destroy to show the Deletes as well.
destroy = context("removal_policy") == "destroy"
removal_policy = cdk.RemovalPolicy.DESTROY if destroy else None
image_name = context("image_name") or "golden-example"
timeout_minutes = context("timeout_minutes")

stack = cdk.Stack(app, "WorkspaceImageExample")
image = WorkspaceImage(
    stack,
    "Golden",
    workspace_id=workspace_id,
    image_name=image_name,
    # Over 55 minutes (up to 12 hours; the default is 2 hours) a WaitCondition
    # waits for the image.
    timeout=cdk.Duration.minutes(int(timeout_minutes)) if timeout_minutes else None,
    share_with_accounts=[a for a in (context("share_with_accounts") or "").split(",") if a],
    removal_policy=removal_policy,
)
bundle = WorkspaceBundle(
    stack,
    "Standard",
    image=image,
    bundle_name=f"{image_name}-standard",
    compute_type="STANDARD",
    user_storage_gib=50,
    root_storage_gib=80,
    removal_policy=removal_policy,
)
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
