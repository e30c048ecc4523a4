"""The one call to CloudFormation: the state of the function's own stack.

A Delete of an image arrives both when a stack deletes it on purpose and when a
rollback undoes a deploy; only the stack's status tells them apart
(``retention.is_rollback``).
"""

from __future__ import annotations

from typing import Any

import boto3
from workspaces import RETRY_CONFIG


class Stacks:
    """DescribeStacks of the function's stack, and of its root for a nested stack."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("cloudformation", config=RETRY_CONFIG)
        return self._client

    def status(self, stack_id: str) -> tuple[str | None, str | None]:
        """The stack's status, and its root stack's when it is nested (else None)."""
        (stack,) = self.client.describe_stacks(StackName=stack_id)["Stacks"]
        root = stack.get("RootId")
        root_status = None
        if root and root != stack_id:
            (root_stack,) = self.client.describe_stacks(StackName=root)["Stacks"]
            root_status = root_stack.get("StackStatus")
        return stack.get("StackStatus"), root_status
