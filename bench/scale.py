"""A Region's worth at once: 40 images and 10 bundles created and then deleted
together, every WorkSpaces action throttled at 1 call/s (bursts of 2).

The same stack and setting as the rehearsal test
(tests/rehearsal/test_throttling.py): each level's invocations start together
(a start barrier), and the handler's sleeps and the throttle's clock run at
SCALE_TIME_SCALE. Figures are per resource (every invocation of its Create,
polls and Delete) and per invocation.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from cdk_workspace_image import runtime
from cdk_workspace_image.runtime import contract
from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import (
    SCALE_BUNDLES,
    SCALE_IMAGES,
    _synth_scale,
    finish_everything_at,
    scale_rehearsal,
    throttle_every_action,
)
from tests.rehearsal.embedded_aws import EmbeddedAws
from tests.rehearsal.lambda_process import Invocation


def handler_module(name: str) -> ModuleType:
    """One of the handler's modules, imported as Lambda imports it (top-level)."""
    runtime_dir = str(Path(runtime.__file__).resolve().parent)
    if runtime_dir not in sys.path:
        sys.path.insert(0, runtime_dir)
    return importlib.import_module(name)


retries = handler_module("retries")
IMAGE, BUNDLE = "image", "bundle"
PHASES = ("create", "poll", "delete")
WORKSPACES_PREFIX = "workspaces:"


def _throttled(attempt: str) -> bool:
    return attempt.startswith(WORKSPACES_PREFIX) and retries.is_throttling(attempt.split(" ")[-1])


@dataclass
class ScaleRun:
    """What the played deploy and destroy came to."""

    seconds: float
    created_ok: int
    deleted_ok: int
    failures: dict[str, str]
    invocations: list[Invocation]
    throttled_by_fake: Counter[str]
    decisions: Counter[str]
    left: dict[str, int] = field(default_factory=dict)

    def resolved(self) -> list[tuple[Invocation, str, str, str]]:
        """Each invocation with its resource's logical id, kind and phase.

        A scheduled invocation carries only its resource's logical id (the rest
        is in the state store): its kind is that resource's, and its phase is
        "delete" once the resource's latest request is a Delete, "poll" before.
        """
        kinds: dict[str, str] = {}
        latest: dict[str, str] = {}
        found = []
        for invocation in self.invocations:
            event = invocation.event
            if contract.SCHEDULE_EVENT_KEY in event:
                logical_id = str(event[contract.SCHEDULE_EVENT_KEY])
                phase = "delete" if latest.get(logical_id) == "Delete" else "poll"
            else:
                logical_id = str(event["LogicalResourceId"])
                resource_type = event.get("ResourceType")
                kinds[logical_id] = (
                    BUNDLE if resource_type == contract.BUNDLE_RESOURCE_TYPE else IMAGE
                )
                latest[logical_id] = str(event.get("RequestType"))
                phase = "delete" if latest[logical_id] == "Delete" else "create"
            found.append((invocation, logical_id, kinds.get(logical_id, IMAGE), phase))
        return found

    def per_resource(self, kind: str) -> dict[str, Counter[str]]:
        """For each resource of ``kind``: its WorkSpaces calls, HTTP attempts, throttled
        answers and invocations, over its whole life."""
        found: dict[str, Counter[str]] = {}
        for invocation, logical_id, its_kind, _ in self.resolved():
            if its_kind != kind:
                continue
            counts = found.setdefault(logical_id, Counter())
            counts["calls"] += sum(1 for c in invocation.api_calls if c.startswith("workspaces:"))
            counts["attempts"] += sum(
                1 for a in invocation.attempts if a.startswith(WORKSPACES_PREFIX)
            )
            counts["throttled"] += sum(1 for a in invocation.attempts if _throttled(a))
            counts["invocations"] += 1
        return found

    def handler_seconds(self, kind: str | None = None, phase: str | None = None) -> list[float]:
        return [
            invocation.handler_seconds or 0.0
            for invocation, _, its_kind, its_phase in self.resolved()
            if kind in (None, its_kind) and phase in (None, its_phase)
        ]


def run(workdir: Path) -> ScaleRun:
    """Synthesize the stack, then play its deploy and destroy against a fresh embedded AWS."""
    cdk_out = _synth_scale(workdir / "cdk.out.scale")
    (workdir / "aws-scale").mkdir(exist_ok=True)
    aws = EmbeddedAws(workdir / "aws-scale").start()
    try:
        rehearsal = scale_rehearsal(aws, cdk_out)
        cfn, stack = rehearsal.cfn, rehearsal.stack
        throttle_every_action()
        fake_workspaces.faults.pending_bundles = True
        started = time.monotonic()
        deployment = cfn.deploy(stack, before_poll=finish_everything_at(2))
        deleted = cfn.destroy(stack, deployment)
        seconds = time.monotonic() - started
        throttled_by_fake = Counter(fake_workspaces.faults.throttled)
        fake_workspaces.faults.unthrottle()
        failures = {
            f"{phase} {key}": response.reason
            for phase, responses in (("create", deployment.responses), ("delete", deleted))
            for key, response in responses.items()
            if response.status != "SUCCESS"
        }
        left = {
            # The golden images the bundles used were there before the stack.
            "images": len(aws.images()) - SCALE_BUNDLES,
            "bundles": len(aws.client("workspaces").describe_workspace_bundles()["Bundles"]),
            "rules": len(aws.poll_rules()),
        }
        decisions = Counter(
            str(record["decision"])
            for record in cfn.decisions()
            if str(record["decision"]).endswith(":throttled")
            or record["decision"] == "discard:wait"
        )
        return ScaleRun(
            seconds=seconds,
            created_ok=sum(1 for r in deployment.responses.values() if r.status == "SUCCESS"),
            deleted_ok=sum(1 for r in deleted.values() if r.status == "SUCCESS"),
            failures=failures,
            invocations=list(cfn.invocations),
            throttled_by_fake=throttled_by_fake,
            decisions=decisions,
            left=left,
        )
    finally:
        aws.stop()


RESOURCES = SCALE_IMAGES + SCALE_BUNDLES


def median_max(values: list[float]) -> tuple[float, float]:
    return (statistics.median(values), max(values)) if values else (0.0, 0.0)
