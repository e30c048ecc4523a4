"""The poll benchmark's baseline: a Lambda handler that makes one bare boto3 call.

`bench/poll.py` runs it by the rehearsal's Lambda bootstrap, as it runs the
poll, so that both pay the runtime's logging set-up and the same environment.
"""

from typing import Any

import boto3


def handler(event: dict[str, Any], context: Any) -> None:
    boto3.client("workspaces").describe_workspace_images(ImageIds=[event["ImageId"]])
