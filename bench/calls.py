"""API calls per image and detection latency, from one rehearsed Create to AVAILABLE.

The rehearsal moves an injected clock forward by the schedule's rate before
each poll, so the latency figures are in the handler's own (injected) time.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session

from bench.rehearsal import CallLog, Rehearsal
from tests.rehearsal import fake_workspaces
from tests.rehearsal.embedded_aws import EmbeddedAws
from tests.rehearsal.lambda_process import Barrier, Invocation

WORKSPACES = "workspaces"
THROTTLE_CALLS_PER_SECOND = 2.0
THROTTLE_BURST = 5
IMAGES_PER_REGION = 40
IDS_PER_DESCRIBE = 25


@dataclass
class Lifecycle:
    """One image from Create to AVAILABLE: calls per phase and when things happened."""

    interval_minutes: int
    polls: int
    phases: list[Counter[tuple[str, str]]]
    workspaces_calls_by_fake: Counter[str]
    available_at: float
    invocation_windows: list[tuple[float, float]]

    @property
    def total(self) -> Counter[tuple[str, str]]:
        return sum(self.phases, Counter())

    @staticmethod
    def calls(phase: Counter[tuple[str, str]], service: str) -> int:
        return sum(n for (svc, _), n in phase.items() if svc == service)

    @property
    def latency(self) -> float:
        """From AVAILABLE to the end of the invocation that answered CloudFormation."""
        return self.invocation_windows[-1][1] - self.available_at

    @property
    def delivery_seconds(self) -> float:
        """What the played EventBridge took beyond the interval to start the next poll."""
        return self.invocation_windows[-1][0] - self.available_at - self.interval_minutes * 60

    @property
    def answering_poll_seconds(self) -> float:
        start, end = self.invocation_windows[-1]
        return end - start

    @property
    def polls_after_available(self) -> int:
        return sum(1 for start, _ in self.invocation_windows if start > self.available_at)


WORKSPACES_OPERATIONS = frozenset(
    botocore.session.get_session().get_service_model("workspaces").operation_names
)


def create_to_available(
    aws: EmbeddedAws, log: CallLog, cdk_out: Path, *, polls: int, interval_minutes: int
) -> Lifecycle:
    """Create one image; it turns AVAILABLE just after poll ``polls - 1`` ends.

    That is the worst moment: the next poll, the ``polls``-th, is a whole
    interval away.
    """
    rehearsal = Rehearsal.start(aws, cdk_out)
    cfn = rehearsal.cfn
    log.reset()
    fake_workspaces.faults.reset()
    snapshots: list[Counter[tuple[str, str]]] = []
    windows: list[tuple[float, float]] = []
    available_at = math.nan
    invoke = cfn.invoke

    def timed_invoke(
        event: dict[str, Any], barrier: Barrier | None = None, invoked_arn: str = ""
    ) -> Invocation:
        nonlocal available_at
        started = time.time() + cfn.clock_offset
        invocation = invoke(event, barrier, invoked_arn)
        windows.append((started, time.time() + cfn.clock_offset))
        if len(windows) == polls:  # the Create, then polls - 1 polls
            (image_id,) = rehearsal.image_ids()
            fake_workspaces.set_image_state(image_id, "AVAILABLE")
            available_at = time.time() + cfn.clock_offset
        return invocation

    def before_poll(_: int) -> None:
        snapshots.append(log.snapshot())

    cfn.invoke = timed_invoke  # type: ignore[method-assign]
    response = cfn.request(
        "Create",
        rehearsal.logical_id,
        {**rehearsal.properties, "PollIntervalMinutes": str(interval_minutes)},
        before_poll=before_poll,
    )
    if response.status != "SUCCESS" or len(snapshots) != polls:
        raise RuntimeError(f"{response.status} after {len(snapshots)} polls: {response.reason}")
    snapshots.append(log.snapshot())
    phases = [snapshots[0]] + [after - before for before, after in itertools.pairwise(snapshots)]
    return Lifecycle(
        interval_minutes=interval_minutes,
        polls=polls,
        phases=phases,
        # The fake counts EventBridge and Lambda calls too (its fault switches apply to them).
        workspaces_calls_by_fake=Counter(
            {
                action: count
                for action, count in fake_workspaces.faults.calls.items()
                if action in WORKSPACES_OPERATIONS
            }
        ),
        available_at=available_at,
        invocation_windows=windows,
    )


@dataclass
class FleetLoad:
    """WorkSpaces calls per minute while ``images`` images wait at once."""

    images: int
    interval_minutes: int
    calls_per_poll: int

    @property
    def per_minute(self) -> float:
        return self.images * self.calls_per_poll / self.interval_minutes

    @property
    def batched_per_minute(self) -> float:
        return math.ceil(self.images / IDS_PER_DESCRIBE) / self.interval_minutes

    @property
    def throttle_share(self) -> float:
        return self.per_minute / (THROTTLE_CALLS_PER_SECOND * 60)

    @property
    def aligned_burst_drain_seconds(self) -> float:
        """If every rule fires in the same second: time for the token bucket to serve them."""
        return max(0.0, (self.images * self.calls_per_poll - THROTTLE_BURST)) / (
            THROTTLE_CALLS_PER_SECOND
        )
