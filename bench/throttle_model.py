"""A model of N calls of one action made at once against a throttled API.

The service: a token bucket (``rate`` calls/s, bursts of ``burst``), as
``faults.throttle`` plays it. The callers: botocore's standard retry mode,
which sleeps rand(0, 1) * min(2 ** (i - 1), 20) s before retry i and gives up
after ``attempts`` attempts (botocore/retries/standard.py). The calls start
within ``spread`` seconds of each other, as Lambda starts a level's
invocations. Seeded, so each run of the bench gives the same figures.

workspaces.TOTAL_ATTEMPTS was chosen from this table; the scale rehearsal
(bench/scale.py) checks the choice against the handler itself.
"""

from __future__ import annotations

import heapq
import random
import statistics
from dataclasses import dataclass

RATE_PER_SECOND = 1.0
BURST = 2
SPREAD_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 20.0
CALLERS = (40, 50)
ATTEMPTS = (9, 10, 11, 12, 13)
RUNS = 2000


@dataclass(frozen=True)
class Outcome:
    """What became of the calls of one run: the waits of those served, how many failed."""

    waits: list[float]
    failed: int


def run_once(
    callers: int,
    attempts: int,
    seed: int,
    *,
    rate: float = RATE_PER_SECOND,
    burst: int = BURST,
    spread: float = SPREAD_SECONDS,
) -> Outcome:
    rng = random.Random(seed)
    tokens, refilled_at = float(burst), 0.0
    queue = [(rng.uniform(0, spread), caller, 1) for caller in range(callers)]
    started = {caller: at for at, caller, _ in queue}
    heapq.heapify(queue)
    waits: list[float] = []
    failed = 0
    while queue:
        at, caller, attempt = heapq.heappop(queue)
        tokens = min(float(burst), tokens + (at - refilled_at) * rate)
        refilled_at = at
        if tokens >= 1:
            tokens -= 1
            waits.append(at - started[caller])
        elif attempt >= attempts:
            failed += 1
        else:
            backoff = rng.random() * min(2 ** (attempt - 1), BACKOFF_CAP_SECONDS)
            heapq.heappush(queue, (at + backoff, caller, attempt + 1))
    return Outcome(waits, failed)


@dataclass(frozen=True)
class Row:
    callers: int
    attempts: int
    runs: int
    failed: int
    wait_median: float
    wait_p99: float
    wait_max: float

    @property
    def call_failure_rate(self) -> float:
        return self.failed / (self.callers * self.runs)

    @property
    def run_failure_rate(self) -> float:
        """The chance that at least one of the run's calls fails."""
        return 1 - (1 - self.call_failure_rate) ** self.callers


def table(
    callers: tuple[int, ...] = CALLERS, attempts: tuple[int, ...] = ATTEMPTS, runs: int = RUNS
) -> list[Row]:
    rows = []
    for n in callers:
        for a in attempts:
            waits: list[float] = []
            failed = 0
            for seed in range(runs):
                outcome = run_once(n, a, seed)
                waits += outcome.waits
                failed += outcome.failed
            waits.sort()
            rows.append(
                Row(
                    callers=n,
                    attempts=a,
                    runs=runs,
                    failed=failed,
                    wait_median=statistics.median(waits),
                    wait_p99=waits[int(0.99 * len(waits))],
                    wait_max=waits[-1],
                )
            )
    return rows
