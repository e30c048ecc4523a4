"""CloudFormation and EventBridge, as far as a custom resource sees them.

``CloudFormation.request`` sends one lifecycle event to the function (in its
own process), then plays EventBridge: while no response has arrived, it
moves the clock on by the schedule's rate and invokes each poll rule's target
with the Input the handler stored. It returns what CloudFormation received.

``CloudFormation.deploy`` plays a whole stack the way CloudFormation does:
the custom resources in dependency order, each level's independent ones in
parallel; when one fails, the others still in progress are cancelled and the
stack rolls back, with a Delete for each resource made or attempted (a
cancelled one gets a physical id that is not the image's). ``destroy`` plays
a stack delete.

``CloudFormation.update`` plays a stack update from one template to the next:
in the new template's dependency order, a resource whose resolved properties
changed gets an Update (with OldResourceProperties), a new one a Create, an
unchanged one nothing. An Update answered with another physical id is a
replacement: the cleanup phase deletes the old resource, unless its
UpdateReplacePolicy keeps it, and deletes the resources the new template
dropped, unless their DeletionPolicy keeps them. When one fails, the others
still in progress are cancelled and the update rolls back: an Update back to
the old properties for each resource updated in place, failed or cancelled;
then a Delete for each resource the update created, and for the new resource
of each completed replacement (the old one is still there).

``CdkApp.deploy`` plays `cdk deploy --all` of a cloud assembly: each stack,
dependencies first, with a provider function of its own in its own Region;
a stack already deployed is updated. Stacks deploy one after another, on one
clock.

EventBridge invokes a target only when the function's resource policy lets
the rule do so, as the real service does.
"""

from __future__ import annotations

import fnmatch
import json
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from cdk_workspace_image.runtime import contract
from tests.rehearsal import fake_workspaces
from tests.rehearsal.embedded_aws import (
    ACCOUNT_ID,
    REGION,
    EmbeddedAws,
    new_stack_id,
    pseudo_parameters,
)
from tests.rehearsal.lambda_process import Barrier, Invocation, LambdaFunction
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
            if value["Type"] in contract.IMAGE_RESOURCE_TYPES
        }

    def custom_resources(self) -> dict[str, dict[str, Any]]:
        """The resources CloudFormation hands to the provider function."""
        return {
            key: value
            for key, value in self.template["Resources"].items()
            if value["Type"] in CUSTOM_TYPES
        }

    def creation_levels(self) -> list[list[str]]:
        """Custom resources in the order CloudFormation creates them: each level
        depends only on earlier ones, and a level's resources go in parallel."""
        resources = {
            **self.custom_resources(),
            **{
                key: value
                for key, value in self.template["Resources"].items()
                if value["Type"] == WAIT_CONDITION
            },
        }
        needs = {
            key: {dep for dep in _references(value) if dep in resources and dep != key}
            for key, value in resources.items()
        }
        levels: list[list[str]] = []
        placed: set[str] = set()
        while len(placed) < len(resources):
            level = sorted(key for key in resources if key not in placed and needs[key] <= placed)
            if not level:
                raise ValueError(f"a dependency cycle among {sorted(set(resources) - placed)}")
            levels.append(level)
            placed.update(level)
        return levels

    def deletion_policy(self, logical_id: str) -> str:
        return str(self.template["Resources"][logical_id].get("DeletionPolicy", "Delete"))

    def update_replace_policy(self, logical_id: str) -> str:
        return str(self.template["Resources"][logical_id].get("UpdateReplacePolicy", "Delete"))

    def has(self, logical_id: str, resource_type: str) -> bool:
        resource = self.template["Resources"].get(logical_id)
        return resource is not None and resource["Type"] == resource_type

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


WAIT_CONDITION = "AWS::CloudFormation::WaitCondition"
WAIT_CONDITION_HANDLE = "AWS::CloudFormation::WaitConditionHandle"
CUSTOM_TYPES = (
    *contract.IMAGE_RESOURCE_TYPES,
    contract.BUNDLE_RESOURCE_TYPE,
    contract.READY_RESOURCE_TYPE,
)


def _references(value: Any) -> set[str]:
    """Logical ids that a resource refers to (Ref, Fn::GetAtt, DependsOn)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            found.add(str(value["Ref"]))
        elif set(value) == {"Fn::GetAtt"}:
            found.add(str(value["Fn::GetAtt"][0]))
        depends = value.get("DependsOn")
        if isinstance(depends, str):
            found.add(depends)
        elif isinstance(depends, list):
            found.update(str(item) for item in depends)
        for item in value.values():
            found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


@dataclass
class Deployment:
    """What a played deploy came to, as `cdk deploy` would show it.

    ``responses``: after a create, the answers; after an update, the stack's
    resources as they stand (the answers to this update, and what it left
    alone), each logical id with the physical id and Data CloudFormation holds.
    """

    status: str
    # The stack whose status this is: DescribeStacks tells the function (the
    # handler parks what a rollback gives up).
    stack_id: str = ""
    responses: dict[str, Response] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)
    rollback: dict[str, Response] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    # An update's answers to its Create and Update requests, and its cleanup's Deletes.
    updates: dict[str, Response] = field(default_factory=dict)
    cleanup: dict[str, Response] = field(default_factory=dict)

    def physical_id(self, logical_id: str) -> str:
        return self.responses[logical_id].physical_id

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in ("status", "stack_id") and getattr(self, "stack_id", ""):
            fake_workspaces.set_stack_status(self.stack_id, self.status)

    @property
    def succeeded(self) -> bool:
        return self.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")


@dataclass(frozen=True)
class Request:
    """One request CloudFormation sends to the provider function."""

    request_type: str
    logical_id: str
    properties: dict[str, Any]
    physical_id: str | None = None
    old_properties: dict[str, Any] | None = None


@dataclass
class CloudFormation:
    aws: EmbeddedAws
    function: LambdaFunction
    stack_name: str = "WorkspaceImageExample"
    stack_id: str = ""
    clock_offset: float = 0.0
    invocations: list[Invocation] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    # Rules that came due but whose target the function's policy did not let in.
    undelivered: list[str] = field(default_factory=list)
    # Called with each stack event as deploy() and destroy() record it.
    on_event: Callable[[str], None] | None = None
    # Ref of the resources deploy() made up: a WaitConditionHandle's is its URL.
    refs: dict[str, str] = field(default_factory=dict)
    # The type of each logical id a request names, when the test does not say.
    resource_types: dict[str, str] = field(default_factory=dict)
    # The endpoint key of each WaitConditionHandle made (by logical id).
    handle_keys: dict[str, str] = field(default_factory=dict)
    # Invocations that overlap start their handlers at the same moment
    # (lambda_process.Barrier), as on Lambda, rather than as the processes
    # get ready on a machine of few cores.
    simultaneous: bool = False

    def __post_init__(self) -> None:
        # The function was deployed by this stack, whose id its template gave it.
        self.stack_id = (
            self.stack_id or self.function.stack_id or new_stack_id(self.stack_name, self.region)
        )
        # A request a test sends by itself comes from a stack being updated
        # (deploy, update and destroy set the status as they go).
        fake_workspaces.set_stack_status(self.stack_id, "UPDATE_IN_PROGRESS")

    @property
    def region(self) -> str:
        """The stack's Region: its function's, whose AWS calls default to it."""
        return self.function.region

    def event(
        self,
        request_type: str,
        logical_id: str,
        properties: dict[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: dict[str, Any] | None = None,
        resource_type: str | None = None,
    ) -> tuple[str, dict[str, Any]]:
        request_id = str(uuid.uuid4())
        resource_type = resource_type or self.resource_types.get(logical_id, contract.RESOURCE_TYPE)
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

    def invoke(
        self, event: dict[str, Any], barrier: Barrier | None = None, invoked_arn: str = ""
    ) -> Invocation:
        """Invoke the function as CloudFormation does (unqualified), or as EventBridge
        does (``invoked_arn``: the target's ARN, the poll alias)."""
        invocation = self.function.invoke(
            event,
            aws_env=self.aws.env_for(self.region),
            clock_offset=self.clock_offset,
            barrier=barrier,
            invoked_arn=invoked_arn,
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
        resource_type: str | None = None,
    ) -> Response:
        """Send one request and play the schedule until CloudFormation has its answer.

        A test's properties stand for a template: the accounts they share with
        are the function's to share with too (``contract.ENV_SHARE_ACCOUNTS``),
        as the template would list them.
        """
        self.allow_sharing(properties.get(contract.PROP_SHARE_WITH))
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

    def allow_sharing(self, accounts: Any) -> None:
        """Add ``accounts`` to what the function may share with (its environment)."""
        if not isinstance(accounts, list) or not accounts:
            return
        listed = self.function.environment.get(contract.ENV_SHARE_ACCOUNTS, "")
        known = [item for item in listed.split(",") if item]
        self.function.environment[contract.ENV_SHARE_ACCOUNTS] = ",".join(
            dict.fromkeys([*known, *(str(account) for account in accounts)])
        )

    def play_schedules(
        self,
        done: Callable[[], bool],
        before_poll: Callable[[int], None] | None = None,
        max_polls: int = 60,
    ) -> int:
        """Fire the poll rules as they come due until ``done()``; return how many fired."""
        polls = 0
        while not done():
            rules = self.own_rules()
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

    def own_rules(self) -> list[dict[str, Any]]:
        """The poll rules, in the stack's Region, that target this stack's function:
        another stack's function plays its own."""
        events = self.aws.client("events", self.region)
        return [
            rule
            for rule in self.aws.poll_rules(self.region)
            if any(
                target["Arn"].split(":")[:7] == self.function.arn.split(":")[:7]
                for target in events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])
            )
        ]

    def fire(self, rules: list[dict[str, Any]] | None = None) -> None:
        """What EventBridge does when the rules come due: invoke each target
        that the function's resource policy lets the rule invoke."""
        events = self.aws.client("events", self.region)
        due: list[tuple[dict[str, Any], str]] = []
        for rule in rules if rules is not None else self.own_rules():
            if rule.get("State") != "ENABLED":
                continue
            for target in events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", []):
                if target["Arn"].split(":")[:7] != self.function.arn.split(":")[:7]:
                    continue
                if self.may_invoke(rule["Arn"], target["Arn"]):
                    due.append((json.loads(target["Input"]), target["Arn"]))
                else:
                    self.undelivered.append(rule["Name"])
        # Rules fire independently: their invocations overlap, as in Lambda.
        self.invoke_all(due)

    def may_invoke(self, rule_arn: str, target_arn: str = "") -> bool:
        """Whether the function's resource policy lets this rule invoke the target
        (the function as named: unqualified, or its poll alias by default)."""
        target_arn = target_arn or f"{self.function.arn}:{contract.POLL_ALIAS}"
        for statement in self.aws.function_policy_statements(self.function.name, self.region):
            principal = statement.get("Principal", {})
            service = principal.get("Service") if isinstance(principal, dict) else principal
            if service != "events.amazonaws.com" or statement.get("Effect", "Allow") != "Allow":
                continue
            # A permission given on an alias lets in only that alias's invocations.
            if statement.get("Resource", target_arn) != target_arn:
                continue
            conditions = statement.get("Condition", {})
            patterns = [
                value
                for operator in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
                for key, value in conditions.get(operator, {}).items()
                if key.lower() == "aws:sourcearn"
            ]
            if not patterns or any(fnmatch.fnmatchcase(rule_arn, p) for p in patterns):
                return True
        return False

    def invoke_all(self, events: list[dict[str, Any]] | list[tuple[dict[str, Any], str]]) -> None:
        """Invoke the function with each event at the same moment; an (event, ARN)
        pair is EventBridge's delivery to that ARN."""
        deliveries = [item if isinstance(item, tuple) else (item, "") for item in events]
        if len(deliveries) <= 1:
            for event, invoked_arn in deliveries:
                self.invoke(event, invoked_arn=invoked_arn)
            return
        barrier = Barrier(len(deliveries)) if self.simultaneous else None
        try:
            with ThreadPoolExecutor(max_workers=len(deliveries) + 1) as pool:
                if barrier:
                    pool.submit(barrier.release_when_ready)
                list(
                    pool.map(
                        lambda delivery: self.invoke(
                            delivery[0], barrier=barrier, invoked_arn=delivery[1]
                        ),
                        deliveries,
                    )
                )
        finally:
            if barrier:
                barrier.close()

    def deploy(
        self,
        stack: SynthesizedStack,
        *,
        before_poll: Callable[[int], None] | None = None,
        max_polls: int = 60,
    ) -> Deployment:
        """Create the stack's custom resources as CloudFormation would (see the module doc)."""
        deployment = Deployment(status="CREATE_IN_PROGRESS", stack_id=self.stack_id)
        attributes: dict[str, dict[str, str]] = native_attributes(stack, self.region)
        for logical_id in stack.logical_ids(WAIT_CONDITION_HANDLE):
            self.handle_keys[logical_id], self.refs[logical_id] = self.new_wait_handle()
        for level in stack.creation_levels():
            custom = {key: None for key in level if _type(stack, key) in CUSTOM_TYPES}
            started = self._start_level(stack, "Create", custom, attributes, deployment)
            for key in level:
                if _type(stack, key) == WAIT_CONDITION:
                    started[key] = self._wait_for(stack, key, deployment)
            self.play_schedules(
                partial(self._level_over, started, stop_on_failure=True), before_poll, max_polls
            )
            answered = self._answered(started)
            for logical_id, response in answered.items():
                deployment.responses[logical_id] = response
                if isinstance(response.data, dict):
                    attributes[logical_id] = response.data
                self._record(deployment, _event_line(stack, "CREATE", logical_id, response))
            failed = any(r.status in FAILED for r in deployment.responses.values())
            if failed or len(answered) < len(started):
                deployment.cancelled = [key for key in level if key not in answered]
                for logical_id in deployment.cancelled:
                    self._record(
                        deployment,
                        f"CREATE_FAILED       {_type(stack, logical_id)}  {logical_id}  "
                        "Resource creation cancelled",
                    )
                self._roll_back(stack, deployment, attributes, before_poll, max_polls)
                return deployment
        deployment.status = "CREATE_COMPLETE"
        return deployment

    def update(
        self,
        old: SynthesizedStack,
        new: SynthesizedStack,
        previous: Deployment,
        *,
        before_poll: Callable[[int], None] | None = None,
        max_polls: int = 60,
    ) -> Deployment:
        """Update the stack from ``old`` to ``new`` as CloudFormation would (see the
        module doc); ``previous`` holds the stack's resources as they stand."""
        deployment = Deployment(status="UPDATE_IN_PROGRESS", stack_id=self.stack_id)
        before = dict(previous.responses)
        old_attributes = {**native_attributes(old, self.region), **_data(before)}
        attributes = native_attributes(new, self.region)
        for logical_id in new.logical_ids(WAIT_CONDITION_HANDLE):
            if not old.has(logical_id, WAIT_CONDITION_HANDLE):
                self.handle_keys[logical_id], self.refs[logical_id] = self.new_wait_handle()
        current: dict[str, Response] = {}
        # What this update sent: each Update's old and new properties, and the Creates.
        updated: dict[str, Request] = {}
        created: list[str] = []
        for level in new.creation_levels():
            requests: list[Request] = []
            waits: dict[str, str] = {}
            for key in level:
                kind = _type(new, key)
                exists = old.has(key, kind) and key in before
                if kind == WAIT_CONDITION:
                    # A WaitCondition is never updated: a new wait is a new logical id.
                    if exists:
                        current[key] = before[key]
                    else:
                        waits[key] = self._wait_for(new, key, deployment)
                    continue
                props = self.resolved(new, key, attributes)
                if not exists:
                    requests.append(Request("Create", key, props))
                    created.append(key)
                    continue
                old_props = self.resolved(old, key, old_attributes)
                if old_props == props:
                    current[key] = before[key]
                    attributes.update(_data({key: before[key]}))
                    continue
                request = Request("Update", key, props, before[key].physical_id, old_props)
                requests.append(request)
                updated[key] = request
            started = {**self._send(new, requests, deployment), **waits}
            self.play_schedules(
                partial(self._level_over, started, stop_on_failure=True), before_poll, max_polls
            )
            answered = self._answered(started)
            for key, response in answered.items():
                deployment.updates[key] = response
                action = "UPDATE" if key in updated else "CREATE"
                self._record(deployment, _event_line(new, action, key, response))
                if response.status not in FAILED:
                    current[key] = response
                    if isinstance(response.data, dict):
                        attributes[key] = response.data
            failed = any(r.status in FAILED for r in answered.values())
            if failed or len(answered) < len(started):
                deployment.cancelled = [key for key in started if key not in answered]
                for key in deployment.cancelled:
                    action = "Update" if key in updated else "Resource creation"
                    self._record(
                        deployment,
                        f"UPDATE_FAILED       {_type(new, key)}  {key}  {action} cancelled",
                    )
                self._roll_back_update(
                    old, new, before, updated, created, deployment, before_poll, max_polls
                )
                return deployment
        # Cleanup: the old resource of each replacement, and what the new template dropped.
        deployment.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
        keep = {"Retain", "RetainExceptOnCreate", "Snapshot"}
        to_delete = {
            key: before[key].physical_id
            for key in updated
            if key in current
            and current[key].physical_id != before[key].physical_id
            and new.update_replace_policy(key) not in ("Retain", "Snapshot")
        }
        to_delete.update(
            {
                key: response.physical_id
                for key, response in before.items()
                if key not in new.template["Resources"]
                and _type(old, key) in CUSTOM_TYPES
                and old.deletion_policy(key) not in keep
            }
        )
        deployment.cleanup = self._delete_levels(
            old, to_delete, old_attributes, deployment, before_poll, max_polls
        )
        deployment.responses = current
        deployment.status = "UPDATE_COMPLETE"
        return deployment

    def _roll_back_update(
        self,
        old: SynthesizedStack,
        new: SynthesizedStack,
        before: dict[str, Response],
        updated: dict[str, Request],
        created: list[str],
        deployment: Deployment,
        before_poll: Callable[[int], None] | None,
        max_polls: int,
    ) -> None:
        """Back to the old template: an Update to the old properties for each resource
        updated in place, failed or cancelled, in the old template's order; then a
        Delete for what the update made (its new resources, and the new resource of
        each completed replacement), dependents first."""
        deployment.status = "UPDATE_ROLLBACK_IN_PROGRESS"
        answers = deployment.updates
        replaced = {
            key: answers[key].physical_id
            for key in updated
            if key in answers
            and answers[key].status not in FAILED
            and answers[key].physical_id != before[key].physical_id
        }
        restored = dict(before)
        for level in old.creation_levels():
            back = [
                Request(
                    "Update",
                    key,
                    updated[key].old_properties or {},
                    before[key].physical_id,
                    updated[key].properties,
                )
                for key in level
                if key in updated and key not in replaced
            ]
            started = self._send(old, back, deployment)
            self.play_schedules(
                partial(self._level_over, started, stop_on_failure=False), before_poll, max_polls
            )
            for key, request_id in started.items():
                response = self.response(request_id)
                deployment.rollback[key] = response
                self._record(deployment, _event_line(old, "UPDATE", key, response))
                if response.status not in FAILED:
                    restored[key] = response
        made = {key: answers[key].physical_id for key in created if key in answers}
        for key in deployment.cancelled:
            if key in created:
                # CloudFormation never learned the resource's id.
                made[key] = f"{self.stack_name}-{key}-{uuid.uuid4().hex[:12]}"
        made = {key: value for key, value in made.items() if new.deletion_policy(key) != "Retain"}
        attributes = {**native_attributes(new, self.region), **_data(answers), **_data(before)}
        deployment.status = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
        deployment.rollback.update(
            self._delete_levels(
                new, {**made, **replaced}, attributes, deployment, before_poll, max_polls
            )
        )
        ok = all(response.status == "SUCCESS" for response in deployment.rollback.values())
        deployment.responses = restored
        deployment.status = "UPDATE_ROLLBACK_COMPLETE" if ok else "UPDATE_ROLLBACK_FAILED"

    def _wait_for(self, stack: SynthesizedStack, logical_id: str, deployment: Deployment) -> str:
        """A WaitCondition is done when its handle is signalled (by the long wait's
        watcher): the endpoint key to look for its signal."""
        handle = stack.template["Resources"][logical_id]["Properties"]["Handle"]["Ref"]
        self._record(deployment, f"CREATE_IN_PROGRESS  {WAIT_CONDITION}  {logical_id}")
        return self.handle_keys[handle]

    def _start_level(
        self,
        stack: SynthesizedStack,
        request_type: str,
        physical_ids: dict[str, str | None],
        attributes: dict[str, dict[str, str]],
        deployment: Deployment,
    ) -> dict[str, str]:
        """Send one request to each resource of a level at once; return their request ids."""
        return self._send(
            stack,
            [
                Request(
                    request_type,
                    logical_id,
                    self.resolved(stack, logical_id, attributes, strict=request_type != "Delete"),
                    physical_id,
                )
                for logical_id, physical_id in physical_ids.items()
            ],
            deployment,
        )

    def _send(
        self, stack: SynthesizedStack, requests: list[Request], deployment: Deployment
    ) -> dict[str, str]:
        """Send the requests at once; return their request ids by logical id."""
        started: dict[str, str] = {}
        events = []
        for request in requests:
            request_id, event = self.event(
                request.request_type,
                request.logical_id,
                request.properties,
                physical_id=request.physical_id,
                old_properties=request.old_properties,
                resource_type=_type(stack, request.logical_id),
            )
            started[request.logical_id] = request_id
            events.append(event)
            self._record(
                deployment,
                f"{request.request_type.upper()}_IN_PROGRESS  "
                f"{_type(stack, request.logical_id)}  {request.logical_id}",
            )
        self.invoke_all(events)
        return started

    def _record(self, deployment: Deployment, line: str) -> None:
        deployment.events.append(line)
        if self.on_event:
            self.on_event(line)

    def _answered(self, started: dict[str, str]) -> dict[str, Response]:
        return {
            logical_id: self.aws.endpoint.received(request_id)[0]
            for logical_id, request_id in started.items()
            if self.aws.endpoint.received(request_id)
        }

    def _level_over(self, started: dict[str, str], *, stop_on_failure: bool) -> bool:
        answered = self._answered(started)
        failed = any(response.status in FAILED for response in answered.values())
        return len(answered) == len(started) or (stop_on_failure and failed)

    def destroy(
        self,
        stack: SynthesizedStack,
        deployment: Deployment,
        *,
        before_poll: Callable[[int], None] | None = None,
        max_polls: int = 60,
    ) -> dict[str, Response]:
        """Delete the stack: dependents first; DeletionPolicy Retain and
        RetainExceptOnCreate keep the resource (no Delete is sent)."""
        keep = {"Retain", "RetainExceptOnCreate", "Snapshot"}
        fake_workspaces.set_stack_status(self.stack_id, "DELETE_IN_PROGRESS")
        return self._delete_levels(
            stack,
            {
                key: response.physical_id
                for key, response in deployment.responses.items()
                if stack.deletion_policy(key) not in keep
            },
            {key: response.data for key, response in deployment.responses.items()},
            deployment,
            before_poll,
            max_polls,
        )

    def _roll_back(
        self,
        stack: SynthesizedStack,
        deployment: Deployment,
        attributes: dict[str, dict[str, str]],
        before_poll: Callable[[int], None] | None,
        max_polls: int,
    ) -> None:
        """A failed create rolls back: everything made or attempted is deleted,
        except what DeletionPolicy Retain keeps (RetainExceptOnCreate deletes)."""
        deployment.status = "ROLLBACK_IN_PROGRESS"
        to_delete = {key: response.physical_id for key, response in deployment.responses.items()}
        for logical_id in deployment.cancelled:
            # CloudFormation never learned the resource's id.
            to_delete[logical_id] = f"{self.stack_name}-{logical_id}-{uuid.uuid4().hex[:12]}"
        to_delete = {
            key: value for key, value in to_delete.items() if stack.deletion_policy(key) != "Retain"
        }
        deployment.rollback = self._delete_levels(
            stack, to_delete, attributes, deployment, before_poll, max_polls
        )
        ok = all(response.status == "SUCCESS" for response in deployment.rollback.values())
        deployment.status = "ROLLBACK_COMPLETE" if ok else "ROLLBACK_FAILED"

    def _delete_levels(
        self,
        stack: SynthesizedStack,
        physical_ids: dict[str, str],
        attributes: dict[str, dict[str, str]],
        deployment: Deployment,
        before_poll: Callable[[int], None] | None,
        max_polls: int,
    ) -> dict[str, Response]:
        answers: dict[str, Response] = {}
        for level in reversed(stack.creation_levels()):
            level_ids: dict[str, str | None] = {
                key: physical_ids[key]
                for key in level
                if key in physical_ids and _type(stack, key) in CUSTOM_TYPES
            }
            started = self._start_level(stack, "Delete", level_ids, attributes, deployment)
            self.play_schedules(
                partial(self._level_over, started, stop_on_failure=False), before_poll, max_polls
            )
            for logical_id, request_id in started.items():
                answers[logical_id] = self.response(request_id)
                self._record(
                    deployment, _event_line(stack, "DELETE", logical_id, answers[logical_id])
                )
            if any(answers[key].status != "SUCCESS" for key in started):
                break  # what the failed resource depends on stays (DELETE_FAILED)
        return answers

    def resolved(
        self,
        stack: SynthesizedStack,
        logical_id: str,
        attributes: dict[str, dict[str, str]],
        *,
        strict: bool = True,
    ) -> dict[str, Any]:
        """A resource's properties as CloudFormation sends them (no ServiceToken)."""
        refs = {**pseudo_parameters(self.region, self.stack_id), **self.refs}
        try:
            props = stack.properties(logical_id, self.function.arn, refs, attributes)
        except KeyError:
            if strict:
                raise
            # A Delete of a resource whose dependency never answered.
            props = stack.properties(
                logical_id,
                self.function.arn,
                refs,
                attributes={key: _any_attribute() for key in stack.custom_resources()},
            )
        props.pop("ServiceToken", None)
        return props

    def logs(self) -> str:
        return "\n".join(invocation.logs for invocation in self.invocations)

    def log_records(self) -> list[dict[str, Any]]:
        """Every line the function printed, each parsed as the JSON object it must be."""
        return [json.loads(line) for line in self.logs().splitlines() if line.strip()]

    def decisions(self, decision: str | None = None) -> list[dict[str, Any]]:
        """The handler's decision records (``log_decision``), or those of one decision."""
        return [
            record
            for record in self.log_records()
            if "decision" in record and decision in (None, record["decision"])
        ]


def _data(responses: dict[str, Response]) -> dict[str, dict[str, str]]:
    """The Data of each answer, as Fn::GetAtt reads it."""
    return {key: r.data for key, r in responses.items() if isinstance(r.data, dict)}


@dataclass(frozen=True)
class StackArtifact:
    """One stack of a cloud assembly, as manifest.json describes it."""

    name: str
    template_file: str
    region: str
    dependencies: tuple[str, ...]


def stack_artifacts(cdk_out: Path) -> list[StackArtifact]:
    """The assembly's stacks, each after the stacks it depends on (as `cdk deploy --all`)."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    artifacts = {
        name: artifact
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    stacks: dict[str, StackArtifact] = {}
    for name, artifact in artifacts.items():
        region = artifact["environment"].rsplit("/", 1)[-1]
        stacks[name] = StackArtifact(
            name=name,
            template_file=artifact["properties"]["templateFile"],
            region=REGION if region == "unknown-region" else region,
            dependencies=tuple(dep for dep in artifact.get("dependencies", []) if dep in artifacts),
        )
    ordered: list[StackArtifact] = []
    while len(ordered) < len(stacks):
        placed = {stack.name for stack in ordered}
        ready = sorted(
            name
            for name, stack in stacks.items()
            if name not in placed and set(stack.dependencies) <= placed
        )
        if not ready:
            raise ValueError(f"a dependency cycle among {sorted(set(stacks) - placed)}")
        ordered.extend(stacks[name] for name in ready)
    return ordered


@dataclass
class CdkApp:
    """`cdk deploy --all` of a cloud assembly, played against the embedded AWS."""

    aws: EmbeddedAws
    on_event: Callable[[str], None] | None = None
    clock_offset: float = 0.0
    stacks: dict[str, CloudFormation] = field(default_factory=dict)
    templates: dict[str, SynthesizedStack] = field(default_factory=dict)
    deployments: dict[str, Deployment] = field(default_factory=dict)

    def deploy(
        self,
        cdk_out: Path,
        *,
        before_poll: Callable[[int], None] | None = None,
        max_polls: int = 60,
        exclusively: tuple[str, ...] = (),
    ) -> dict[str, Deployment]:
        """Deploy (create or update) each stack, dependencies first; the first that
        fails stops the rest. Returns what each stack's deploy came to.

        ``exclusively``: only these stacks, as `cdk deploy --exclusively NAME`.
        """
        results: dict[str, Deployment] = {}
        for artifact in stack_artifacts(cdk_out):
            if exclusively and artifact.name not in exclusively:
                continue
            template = SynthesizedStack(
                artifact.name,
                cdk_out,
                json.loads((cdk_out / artifact.template_file).read_text()),
            )
            cfn = self._stack(artifact, template)
            cfn.clock_offset = self.clock_offset
            if artifact.name in self.deployments:
                self.aws.update_function_code(
                    cfn.function, template.template, cdk_out, artifact.name
                )
                deployment = cfn.update(
                    self.templates[artifact.name],
                    template,
                    self.deployments[artifact.name],
                    before_poll=before_poll,
                    max_polls=max_polls,
                )
            else:
                deployment = cfn.deploy(template, before_poll=before_poll, max_polls=max_polls)
            self.clock_offset = cfn.clock_offset
            results[artifact.name] = deployment
            if deployment.succeeded:
                self.templates[artifact.name] = template
            if deployment.succeeded or deployment.status == "UPDATE_ROLLBACK_COMPLETE":
                self.deployments[artifact.name] = deployment
            if not deployment.succeeded:
                break
        return results

    def _stack(self, artifact: StackArtifact, template: SynthesizedStack) -> CloudFormation:
        """The stack's CloudFormation, with its function deployed on first use."""
        if artifact.name not in self.stacks:
            function = self.aws.deploy_function(
                template.template, template.cdk_out, artifact.name, region=artifact.region
            )
            cfn = CloudFormation(
                self.aws, function, stack_name=artifact.name, on_event=self.on_event
            )
            self.stacks[artifact.name] = cfn
        cfn = self.stacks[artifact.name]
        cfn.resource_types.update(
            {key: value["Type"] for key, value in template.custom_resources().items()}
        )
        return cfn


# Native resources the rehearsal takes as made (it plays only the custom
# resources and wait conditions): the attributes a template reads from them.
NATIVE_ARNS = {
    "AWS::ImageBuilder::Image": "image/{name}/1.0.0/1",
    "AWS::ImageBuilder::InfrastructureConfiguration": "infrastructure-configuration/{name}",
}


def native_attributes(stack: SynthesizedStack, region: str = REGION) -> dict[str, dict[str, str]]:
    """Fn::GetAtt Arn of the native resources in NATIVE_ARNS, as if CloudFormation made them."""
    found: dict[str, dict[str, str]] = {}
    for logical_id, resource in stack.template["Resources"].items():
        resource_form = NATIVE_ARNS.get(resource["Type"])
        if resource_form:
            name = resource_form.format(name=logical_id.lower())
            found[logical_id] = {"Arn": f"arn:aws:imagebuilder:{region}:{ACCOUNT_ID}:{name}"}
    return found


class _any_attribute(dict[str, str]):
    """Fn::GetAtt of a resource that never answered: an empty string."""

    def __missing__(self, key: str) -> str:
        return ""


# A custom resource answers FAILED; a wait condition's handle is signalled FAILURE.
FAILED = ("FAILED", "FAILURE")


def _type(stack: SynthesizedStack, logical_id: str) -> str:
    return str(stack.template["Resources"][logical_id]["Type"])


def _event_line(stack: SynthesizedStack, action: str, logical_id: str, response: Response) -> str:
    """A stack event as `cdk deploy` prints it."""
    if response.status not in FAILED:
        return f"{action}_COMPLETE     {_type(stack, logical_id)}  {logical_id}"
    return f"{action}_FAILED       {_type(stack, logical_id)}  {logical_id}  {response.reason}"


def _rate_seconds(expression: str) -> float:
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours)\)", expression)
    if not match:
        raise ValueError(f"unexpected schedule {expression!r}")
    amount = int(match.group(1))
    return amount * (3600 if match.group(2).startswith("hour") else 60)
