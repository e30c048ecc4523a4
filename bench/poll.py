"""Cost of one poll: the bundled handler in a fresh process against a bare boto3 call."""

from __future__ import annotations

import json
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.measure import ProcessRun, alternate, median, paired_ratio, run_process
from bench.rehearsal import Rehearsal
from tests.rehearsal.lambda_process import BOOTSTRAP

HANDLER, LAZY, BARE = "handler poll", "handler poll, lazy crhelper clients", "bare boto3 call"
LAZY_BOOTSTRAP = Path(__file__).with_name("lazy_clients.py")
BARE_CALL = (
    "import sys, boto3; "
    "boto3.client('workspaces').describe_workspace_images(ImageIds=[sys.argv[1]])"
)
WAITING = "poll:wait"


@dataclass
class PollCost:
    runs: dict[str, list[ProcessRun]]

    def seconds(self, name: str) -> float:
        return median([run.seconds for run in self.runs[name]])

    def rss_mb(self, name: str) -> float:
        return median([run.max_rss_kb / 1024 for run in self.runs[name]])

    def time_ratio(self, name: str) -> float:
        return paired_ratio(
            [run.seconds for run in self.runs[name]], [run.seconds for run in self.runs[BARE]]
        )

    def rss_ratio(self, name: str) -> float:
        return paired_ratio(
            [run.max_rss_kb for run in self.runs[name]],
            [run.max_rss_kb for run in self.runs[BARE]],
        )


def _poll_event(rehearsal: Rehearsal) -> dict[str, object]:
    """Send the Create, then take the poll event from the rule's target, as EventBridge would."""
    _, event = rehearsal.cfn.event("Create", rehearsal.logical_id, rehearsal.properties)
    rehearsal.cfn.invoke(event)
    (rule,) = rehearsal.aws.poll_rules()
    events = rehearsal.aws.client("events")
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    return dict(json.loads(target["Input"]))


def measure(rehearsal: Rehearsal, workdir: Path, rounds: int) -> PollCost:
    """Polls of a PENDING image, so every one keeps waiting and costs the same."""
    function = rehearsal.cfn.function
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
    handler_args = [str(function.asset_dir), function.handler, str(invocation)]
    (image_id,) = rehearsal.image_ids()

    def handler(bootstrap: Path) -> ProcessRun:
        run = run_process([sys.executable, "-I", str(bootstrap), *handler_args], env=lambda_env)
        if WAITING not in run.stdout:
            raise RuntimeError(f"the poll did not keep waiting:\n{run.stdout}{run.stderr}")
        return run

    def bare() -> ProcessRun:
        return run_process([sys.executable, "-I", "-c", BARE_CALL, image_id], env=aws_env)

    return PollCost(
        alternate(
            rounds,
            {
                HANDLER: lambda: handler(BOOTSTRAP),
                LAZY: lambda: handler(LAZY_BOOTSTRAP),
                BARE: bare,
            },
        )
    )
