"""Cost of one poll: the bundled handler in a fresh process against a bare boto3 call."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.measure import ProcessRun, alternate, median, paired_ratio, run_process
from bench.rehearsal import Rehearsal
from tests.rehearsal.lambda_process import BOOTSTRAP

HANDLER = "handler poll"
LAZY = "handler poll, lazy crhelper clients"
BARE = "bare boto3 call"
LAZY_BOOTSTRAP = Path(__file__).with_name("lazy_clients.py")
BARE_CALL = (
    "import sys, boto3; "
    "boto3.client('workspaces').describe_workspace_images(ImageIds=[sys.argv[1]])"
)
WAITING = "poll:wait"


@dataclass
class PollCost:
    runs: dict[str, list[ProcessRun]]
    compile_seconds: float

    def seconds(self, name: str) -> float:
        return median([run.seconds for run in self.runs[name]])

    def rss_mb(self, name: str) -> float:
        return median([run.max_rss_kb / 1024 for run in self.runs[name]])

    def ratio(self, name: str, metric: str) -> float:
        """``name`` over the bare call; ``metric`` is a ProcessRun field."""
        return paired_ratio(
            [getattr(run, metric) for run in self.runs[name]],
            [getattr(run, metric) for run in self.runs[BARE]],
        )


def _poll_event(rehearsal: Rehearsal) -> dict[str, object]:
    """Send the Create, then take the poll event from the rule's target, as EventBridge would."""
    _, event = rehearsal.cfn.event("Create", rehearsal.logical_id, rehearsal.properties)
    rehearsal.cfn.invoke(event)
    (rule,) = rehearsal.aws.poll_rules()
    events = rehearsal.aws.client("events")
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    return dict(json.loads(target["Input"]))


def compile_seconds(asset_dir: Path, repeats: int = 5) -> float:
    """What compiling the asset's Python source costs, which each cold start pays."""
    sources = [(path.read_text(), str(path)) for path in sorted(asset_dir.rglob("*.py"))]
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        for source, name in sources:
            compile(source, name, "exec")
        timings.append(time.perf_counter() - started)
    return median(timings)


def measure(rehearsal: Rehearsal, workdir: Path, rounds: int) -> PollCost:
    """Polls of a PENDING image, so every one keeps waiting and costs the same.

    Lambda's code directory is read-only, so every cold start compiles the
    handler and crhelper: no process here may leave .pyc files in the asset.
    """
    function = rehearsal.cfn.function
    function.environment["PYTHONDONTWRITEBYTECODE"] = "1"
    invocation = workdir / "poll-invocation.json"
    invocation.write_text(
        json.dumps(
            {
                "event": _poll_event(rehearsal),
                "function_name": function.name,
                "function_arn": function.arn,
                "memory_mb": function.memory_mb,
                "timeout_seconds": function.timeout_seconds,
                "aws_request_id": str(uuid.uuid4()),
            }
        )
    )
    aws_env = rehearsal.aws.env
    lambda_env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        **function.environment,
        **aws_env,
    }
    (image_id,) = rehearsal.image_ids()

    def handler(bootstrap: Path) -> ProcessRun:
        args = [str(bootstrap), str(function.asset_dir), function.handler, str(invocation)]
        # -B: no .pyc in the asset (-I ignores PYTHONDONTWRITEBYTECODE).
        run = run_process([sys.executable, "-I", "-B", *args], env=lambda_env)
        if WAITING not in run.stdout:
            raise RuntimeError(f"the poll did not keep waiting:\n{run.stdout}{run.stderr}")
        return run

    def bare() -> ProcessRun:
        return run_process([sys.executable, "-I", "-c", BARE_CALL, image_id], env=aws_env)

    return PollCost(
        runs=alternate(
            rounds,
            {
                HANDLER: lambda: handler(BOOTSTRAP),
                LAZY: lambda: handler(LAZY_BOOTSTRAP),
                BARE: bare,
            },
        ),
        compile_seconds=compile_seconds(function.asset_dir),
    )
