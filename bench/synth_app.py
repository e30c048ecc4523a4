"""A CDK app with N images, run in a fresh process for each timed synth.

Usage: python bench/synth_app.py {workspace-image,aws-custom-resource} N
(writes into $CDK_OUTDIR).
"""

from __future__ import annotations

import sys

import aws_cdk as cdk
from aws_cdk import custom_resources as cr

from cdk_workspace_image import WorkspaceImage

STACK_NAME = "BenchImages"


def workspace_id(index: int) -> str:
    return f"ws-bench{index:05d}"


def add_workspace_images(stack: cdk.Stack, count: int) -> None:
    for index in range(count):
        WorkspaceImage(
            stack,
            f"Image{index}",
            workspace_id=workspace_id(index),
            image_name=f"bench-{index}",
            removal_policy=cdk.RemovalPolicy.DESTROY,
            # The custom resource waits by itself: the poll this benchmark measures.
            timeout=cdk.Duration.minutes(55),
        )


def add_aws_custom_resources(stack: cdk.Stack, count: int) -> None:
    """The floor: one SDK call per image, which cannot wait for AVAILABLE."""
    for index in range(count):
        cr.AwsCustomResource(
            stack,
            f"Image{index}",
            on_create=cr.AwsSdkCall(
                service="WorkSpaces",
                action="createWorkspaceImage",
                parameters={
                    "WorkspaceId": workspace_id(index),
                    "Name": f"bench-{index}",
                    "Description": f"Image bench-{index}",
                },
                physical_resource_id=cr.PhysicalResourceId.from_response("ImageId"),
            ),
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
                resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE
            ),
        )


KINDS = {"workspace-image": add_workspace_images, "aws-custom-resource": add_aws_custom_resources}


def main() -> None:
    kind, count = sys.argv[1], int(sys.argv[2])
    app = cdk.App()
    stack = cdk.Stack(app, STACK_NAME)
    KINDS[kind](stack, count)
    cdk.Tags.of(app).add("team", "euc")
    app.synth()


if __name__ == "__main__":
    main()
