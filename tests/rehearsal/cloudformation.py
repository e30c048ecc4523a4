"""CloudFormation and EventBridge, as far as a custom resource sees them.

``CloudFormation.request`` sends one lifecycle event to the function (in its
own process), then plays EventBridge: while no response has arrived, it
moves the clock on by the schedule's rate and invokes each poll rule's target
with the Input the handler stored. It returns what CloudFormation received.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdk_workspace_image.runtime import contract
from tests.rehearsal.embedded_aws import ACCOUNT_ID, REGION, EmbeddedAws
from tests.rehearsal.lambda_process import Invocation, LambdaFunction
from tests.rehearsal.response_endpoint import Response


class NoResponse(AssertionError):
    """CloudFormation would have waited in vain."""


def cfn_strings(value: Any) -> Any:
    """CloudFormation hands every scalar property to a custom resource as a string."""
    if isinstance(value, dict):
        return {key: cfn_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [cfn_strings(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class SynthesizedStack:
    name: str
    cdk_out: Path
    template: dict[str, Any]

    @classmethod
    def load(cls, cdk_out: Path, name: str) -> SynthesizedStack:
        return cls(name, cdk_out, json.loads((cdk_out / f"{name}.template.json").read_text()))

    def image_resources(self) -> dict[str, dict[str, Any]]:
        return {
            key: value
            for key, value in self.template["Resources"].items()
            if value["Type"] == contract.RESOURCE_TYPE
        }

    def logical_ids(self, resource_type: str) -> list[str]:
        return [
            key
            for key, value in self.template["Resources"].items()
            if value["Type"] == resource_type
        ]

    def properties(
        self,
        logical_id: str,
        function_arn: str,
        refs: dict[str, str] | None = None,
        attributes: dict[str, dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """The resource's properties as CloudFormation would resolve and send them.

        ``refs`` gives the value of ``Ref`` for the resources that are referenced
        (a WaitConditionHandle's Ref is its pre-signed URL); ``attributes`` the
        Data that other custom resources answered with (``Fn::GetAtt``). Any
        other ``Fn::GetAtt`` is the provider function's Arn.
        """

        def resolve(value: Any) -> Any:
            if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
                target, attribute = value["Fn::GetAtt"]
                if target in (attributes or {}):
                    return (attributes or {})[target][attribute]
                return function_arn
            if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in (refs or {}):
                return (refs or {})[value["Ref"]]
            if isinstance(value, dict):
                if any(key.startswith(("Fn::", "Ref")) for key in value):
                    raise NotImplementedError(f"the rehearsal cannot resolve {value}")
                return {key: resolve(item) for key, item in value.items()}
            if isinstance(value, list):
                return [resolve(item) for item in value]
            return value

        props = resolve(self.template["Resources"][logical_id]["Properties"])
        return dict(cfn_strings(props))


@dataclass
class CloudFormation:
    aws: EmbeddedAws
    function: LambdaFunction
    stack_name: str = "WorkspaceImageExample"
    stack_id: str = ""
    clock_offset: float = 0.0
    invocations: list[Invocation] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.stack_id:
            stack = f"stack/{self.stack_name}/{uuid.uuid4()}"
            self.stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:{stack}"

    def event(
        self,
        request_type: str,
        logical_id: str,
        properties: dict[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: dict[str, Any] | None = None,
        resource_type: str = contract.RESOURCE_TYPE,
    ) -> tuple[str, dict[str, Any]]:
        request_id = str(uuid.uuid4())
        url, signature = self.aws.endpoint.new_url(request_id)
        self.signatures.append(signature)
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": self.function.arn,
            "ResponseURL": url,
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": logical_id,
            "ResourceType": resource_type,
            "ResourceProperties": {"ServiceToken": self.function.arn, **properties},
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = {"ServiceToken": self.function.arn, **old_properties}
        return request_id, event

    def invoke(self, event: dict[str, Any]) -> Invocation:
        invocation = self.function.invoke(
            event, aws_env=self.aws.env, clock_offset=self.clock_offset
        )
        self.invocations.append(invocation)
        if invocation.exit_code != 0:
            raise AssertionError(f"the function crashed:\n{invocation.logs}")
        return invocation

    def request(
        self,
        request_type: str,
        logical_id: str,
        properties: dict[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: dict[str, Any] | None = None,
        before_poll: Callable[[int], None] | None = None,
        max_polls: int = 60,
        resource_type: str = contract.RESOURCE_TYPE,
    ) -> Response:
        """Send one request and play the schedule until CloudFormation has its answer."""
        request_id, event = self.event(
            request_type,
            logical_id,
            properties,
            physical_id=physical_id,
            old_properties=old_properties,
            resource_type=resource_type,
        )
        self.invoke(event)
        self.play_schedules(
            lambda: bool(self.aws.endpoint.received(request_id)), before_poll, max_polls
        )
        return self.response(request_id)

    def play_schedules(
        self,
        done: Callable[[], bool],
        before_poll: Callable[[int], None] | None = None,
        max_polls: int = 60,
    ) -> int:
        """Fire the poll rules as they come due until ``done()``; return how many fired."""
        polls = 0
        while not done():
            rules = self.aws.poll_rules()
            if not rules or polls >= max_polls:
                break
            polls += 1
            self.clock_offset += max(_rate_seconds(rule["ScheduleExpression"]) for rule in rules)
            if before_poll:
                before_poll(polls)
            self.fire(rules)
        return polls

    def new_wait_handle(self) -> tuple[str, str]:
        """A WaitConditionHandle: its key on the endpoint and its pre-signed URL."""
        key = f"wait-handle-{uuid.uuid4()}"
        url, signature = self.aws.endpoint.new_url(key)
        self.signatures.append(signature)
        return key, url

    def signals(self, handle_key: str) -> list[dict[str, Any]]:
        """The signals a WaitConditionHandle received, as their JSON bodies."""
        return [json.loads(response.raw) for response in self.aws.endpoint.received(handle_key)]

    def response(self, request_id: str) -> Response:
        """The one response CloudFormation got; a second one would be a bug."""
        received = self.aws.endpoint.received(request_id)
        if not received:
            raise NoResponse(f"no response for request {request_id}")
        if len(received) > 1:
            raise AssertionError(f"{len(received)} responses for one request: {received}")
        return received[0]

    def fire(self, rules: list[dict[str, Any]] | None = None) -> None:
        """What EventBridge does when the rules come due: invoke each target."""
        events = self.aws.client("events")
        for rule in rules if rules is not None else self.aws.poll_rules():
            if rule.get("State") != "ENABLED":
                continue
            for target in events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", []):
                self.invoke(json.loads(target["Input"]))

    def logs(self) -> str:
        return "\n".join(invocation.logs for invocation in self.invocations)


def _rate_seconds(expression: str) -> float:
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours)\)", expression)
    if not match:
        raise ValueError(f"unexpected schedule {expression!r}")
    amount = int(match.group(1))
    return amount * (3600 if match.group(2).startswith("hour") else 60)
