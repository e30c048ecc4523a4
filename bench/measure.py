"""Timing helpers for a noisy 2-core machine: fresh processes, alternation, medians.

Every figure comes from whole processes run side by side, so start-up costs
that a user or Lambda pays are counted, and drift on the machine hits both
sides of a comparison alike.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
RUSAGE = Path(__file__).with_name("rusage.py")


@dataclass
class ProcessRun:
    """One finished process: wall time, CPU time, peak RSS and its output."""

    seconds: float
    cpu_seconds: float
    max_rss_kb: int
    stdout: str
    stderr: str


def run_process(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: str | None = None
) -> ProcessRun:
    """Run ``argv`` to completion under ``rusage.py``; fail loudly if it fails."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        result = Path(tmp) / "rusage.json"
        completed = subprocess.run(
            [sys.executable, "-I", str(RUSAGE), str(result), *argv],
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"{argv[:3]} exited with {completed.returncode}:\n"
                f"{completed.stdout}\n{completed.stderr}"
            )
        usage = json.loads(result.read_text())
    return ProcessRun(
        usage["seconds"],
        usage["cpu_seconds"],
        usage["max_rss_kb"],
        completed.stdout,
        completed.stderr,
    )


def alternate(rounds: int, contenders: Mapping[str, Callable[[], T]]) -> dict[str, list[T]]:
    """Run each contender once per round, reversing the order every other round."""
    names = list(contenders)
    results: dict[str, list[T]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            results[name].append(contenders[name]())
    return results


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def paired_ratio(ours: Sequence[float], baseline: Sequence[float]) -> float:
    """Median of the per-round ratios: each round's pair ran back to back."""
    return median([mine / theirs for mine, theirs in zip(ours, baseline, strict=True)])
