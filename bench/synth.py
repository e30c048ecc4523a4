"""Synth time: WorkspaceImage against AwsCustomResource, cold and with the asset cached."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.measure import ProcessRun, alternate, median, paired_ratio, run_process

ROOT = Path(__file__).resolve().parent.parent
APP = Path(__file__).with_name("synth_app.py")
OURS, BASELINE = "workspace-image", "aws-custom-resource"
BUNDLING_LINE = "Bundling asset"


@dataclass
class SynthSample:
    """A cold synth into a fresh outdir, then a second synth into the same one."""

    cold: ProcessRun
    warm: ProcessRun
    rebundled: bool
    staged_untouched: bool
    source_changed: bool


@dataclass
class SynthComparison:
    images: int
    ours: list[SynthSample]
    baseline: list[SynthSample]

    def median(self, which: str, phase: str) -> float:
        samples = self.ours if which == OURS else self.baseline
        return median([getattr(sample, phase).seconds for sample in samples])

    def spread(self, which: str, phase: str) -> tuple[float, float]:
        """Fastest and slowest wall time of identical runs: how noisy the machine was."""
        samples = self.ours if which == OURS else self.baseline
        seconds = [getattr(sample, phase).seconds for sample in samples]
        return min(seconds), max(seconds)

    def ratio(self, phase: str, *, cpu: bool = False) -> float:
        """Ours over the baseline, ``phase`` "cold" or "warm", wall time or CPU time."""
        metric = "cpu_seconds" if cpu else "seconds"

        def values(samples: list[SynthSample]) -> list[float]:
            return [getattr(getattr(sample, phase), metric) for sample in samples]

        return paired_ratio(values(self.ours), values(self.baseline))


def synth(kind: str, images: int, outdir: Path) -> ProcessRun:
    """Synthesize in a fresh process, as `cdk synth` runs the app."""
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": "{}"}
    return run_process([sys.executable, str(APP), kind, str(images)], env=env, cwd=str(ROOT))


def _staged(outdir: Path) -> dict[str, int]:
    """mtime of every staged asset file: a re-bundle or re-copy rewrites them."""
    return {
        str(path.relative_to(outdir)): path.stat().st_mtime_ns
        for path in sorted(outdir.glob("asset.*/**/*"))
        if path.is_file()
    }


def synth_twice(kind: str, images: int) -> SynthSample:
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        outdir = Path(tmp)
        cold = synth(kind, images, outdir)
        before = _staged(outdir)
        warm = synth(kind, images, outdir)
        after = _staged(outdir)
    dirs = {name.split("/")[0] for name in before}
    return SynthSample(
        cold=cold,
        warm=warm,
        rebundled=BUNDLING_LINE in warm.stderr,
        staged_untouched=all(after.get(name) == mtime for name, mtime in before.items()),
        # Someone edited the handler between the two synths: a new hash, a new asset.
        source_changed={name.split("/")[0] for name in after} != dirs,
    )


def compare(images: int, rounds: int) -> SynthComparison:
    runs = alternate(
        rounds,
        {OURS: lambda: synth_twice(OURS, images), BASELINE: lambda: synth_twice(BASELINE, images)},
    )
    return SynthComparison(images, runs[OURS], runs[BASELINE])
