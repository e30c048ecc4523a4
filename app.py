#!/usr/bin/env python3
"""Example app: one WorkSpaces image from a prepared WorkSpace.

cdk deploy -c workspace_id=ws-0123456789 [-c image_name=golden-2026-11]
"""

import sys

import aws_cdk as cdk

from cdk_workspace_image import WorkspaceImage

app = cdk.App()
workspace_id = app.node.try_get_context("workspace_id")
if not workspace_id:
    sys.exit(
        "error: no source WorkSpace given. Pass its id as CDK context, for example\n"
        "  cdk deploy -c workspace_id=ws-0123456789\n"
        "(find it with: aws workspaces describe-workspaces --query 'Workspaces[].WorkspaceId')"
    )

stack = cdk.Stack(app, "WorkspaceImageExample")
image = WorkspaceImage(
    stack,
    "Golden",
    workspace_id=workspace_id,
    image_name=app.node.try_get_context("image_name") or "golden-example",
    # Over 55 minutes (up to 12 hours) a WaitCondition waits for the image.
    timeout=cdk.Duration.minutes(int(app.node.try_get_context("timeout_minutes") or 55)),
    # RETAIN keeps the image when the stack is destroyed; the rehearsal passes
    # -c removal_policy=destroy to show the Delete as well.
    removal_policy=(
        cdk.RemovalPolicy.DESTROY
        if app.node.try_get_context("removal_policy") == "destroy"
        else cdk.RemovalPolicy.RETAIN
    ),
)
cdk.CfnOutput(stack, "ImageId", value=image.image_id, description="The WorkSpaces image id")
app.synth()
