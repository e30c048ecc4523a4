"""Cost of one poll: the bundled handler in a fresh process against a bare boto3 call.

Four processes run side by side, alternated round by round:

- the poll, from the bundled asset, by the rehearsal's Lambda bootstrap;
- the same poll with its state given instead of read from SSM
  (``given_state.py``): the difference is what the state read costs a poll;
- the same poll from a copy of the asset without the trimmed SSM model it
  ships, so that its SSM client loads botocore's own;
- the same poll from a copy of the asset with every module compiled ahead for
  this Python: what shipping ``.pyc`` files would save a cold start;
- the baseline: a handler that only makes the bare call (``bare_handler/``),
  run by the same bootstrap with the same environment, so that the runtime's
  logging set-up and the session's start are on both sides;
- the bare call as ``python -I -c``, the baseline before, kept to compare.
"""

from __future__ import annotations

import compileall
import json
import os
import py_compile
import re
import shutil
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.measure import ProcessRun, alternate, median, paired_ratio, run_process
from bench.rehearsal import Rehearsal
from bench.scale import handler_module
from tests.rehearsal.lambda_process import BOOTSTRAP

HANDLER = "handler poll"
GIVEN_STATE = "handler poll, state given (no SSM read)"
FULL_SSM_MODEL = "handler poll, botocore's own SSM model"
PRECOMPILED = "handler poll, modules compiled ahead (.pyc)"
BARE_BOOTSTRAP = "bare boto3 call, same bootstrap"
BARE = "bare boto3 call, python -I -c"
# The baseline the poll target is set against; BARE is the baseline before.
BASELINE = BARE_BOOTSTRAP
BARE_HANDLER_DIR = Path(__file__).with_name("bare_handler")
BARE_HANDLER = "bare.handler"
GIVEN_STATE_BOOTSTRAP = Path(__file__).with_name("given_state.py")
BARE_CALL = (
    "import sys, boto3; "
    "boto3.client('workspaces').describe_workspace_images(ImageIds=[sys.argv[1]])"
)
WAITING = "poll:wait"
IMPORT_TIME = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)$")


@dataclass
class PollCost:
    runs: dict[str, list[ProcessRun]]
    compile_seconds: float
    # Self time of each module the asset holds, when a poll imports it (-X importtime).
    import_seconds: dict[str, float]
    import_runs: int

    def seconds(self, name: str) -> float:
        return median([run.seconds for run in self.runs[name]])

    def rss_mb(self, name: str) -> float:
        return median([run.max_rss_kb / 1024 for run in self.runs[name]])

    def ratio(self, name: str, metric: str, baseline: str = BASELINE) -> float:
        """``name`` over ``baseline``; ``metric`` is a ProcessRun field."""
        return paired_ratio(
            [getattr(run, metric) for run in self.runs[name]],
            [getattr(run, metric) for run in self.runs[baseline]],
        )

    def difference(self, name: str, other: str, metric: str = "seconds") -> float:
        """Median of the per-round differences ``name`` - ``other``."""
        return median(
            [
                getattr(mine, metric) - getattr(theirs, metric)
                for mine, theirs in zip(self.runs[name], self.runs[other], strict=True)
            ]
        )


def _poll_event(rehearsal: Rehearsal) -> dict[str, object]:
    """Send the Create, then take the poll event from the rule's target, as EventBridge would."""
    _, event = rehearsal.cfn.event("Create", rehearsal.logical_id, rehearsal.properties)
    rehearsal.cfn.invoke(event)
    (rule,) = rehearsal.aws.poll_rules()
    events = rehearsal.aws.client("events")
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    return dict(json.loads(target["Input"]))


def _stored_state(rehearsal: Rehearsal) -> dict[str, object]:
    """What the state store holds for the resource, read as the handler reads it."""
    contract, state = handler_module("contract"), handler_module("state")
    stack_id = rehearsal.cfn.function.environment[contract.ENV_STACK_ID]
    store = state.StateStore(lambda: rehearsal.aws.client("ssm"), lambda: stack_id)
    schedule = store.get(rehearsal.logical_id)
    assert schedule is not None, "the Create left no poll state"
    return {"Kind": schedule.kind, "Body": schedule.body}


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


def asset_import_seconds(runs: list[ProcessRun], asset_dir: Path) -> dict[str, float]:
    """Median self import time of each of the asset's modules, from -X importtime output."""
    ours = {path.stem for path in asset_dir.glob("*.py")} | {"crhelper"}
    found: dict[str, list[float]] = {}
    for run in runs:
        for line in run.stderr.splitlines():
            matched = IMPORT_TIME.match(line)
            if matched and matched[2].split(".")[0] in ours:
                found.setdefault(matched[2], []).append(int(matched[1]) / 1e6)
    return {name: median(times) for name, times in found.items()}


def _invocation(
    path: Path, rehearsal: Rehearsal, event: Mapping[str, object], invoked_arn: str = ""
) -> Path:
    """An invocation as Lambda hands it over; ``invoked_arn`` is the ARN the caller named."""
    function = rehearsal.cfn.function
    path.write_text(
        json.dumps(
            {
                "event": event,
                "function_name": function.name,
                "function_arn": function.arn,
                "invoked_function_arn": invoked_arn or function.arn,
                "memory_mb": function.memory_mb,
                "timeout_seconds": function.timeout_seconds,
                "aws_request_id": str(uuid.uuid4()),
            }
        )
    )
    return path


def measure(rehearsal: Rehearsal, workdir: Path, rounds: int, import_runs: int = 5) -> PollCost:
    """Polls of a PENDING image, so every one keeps waiting and costs the same.

    Lambda's code directory is read-only, so every cold start compiles the
    handler and crhelper: no process here may leave .pyc files in the asset.
    """
    function = rehearsal.cfn.function
    function.environment["PYTHONDONTWRITEBYTECODE"] = "1"
    contract = handler_module("contract")
    # EventBridge invokes the poll alias: the handler refuses a schedule named any other way.
    poll = _invocation(
        workdir / "poll-invocation.json",
        rehearsal,
        _poll_event(rehearsal),
        invoked_arn=f"{function.arn}:{contract.POLL_ALIAS}",
    )
    (image_id,) = rehearsal.image_ids()
    bare_call = _invocation(workdir / "bare-invocation.json", rehearsal, {"ImageId": image_id})
    given = workdir / "poll-state.json"
    given.write_text(json.dumps(_stored_state(rehearsal)))
    full_ssm_model = workdir / "asset-full-ssm-model"
    shutil.copytree(function.asset_dir, full_ssm_model)
    shutil.rmtree(full_ssm_model / "models" / handler_module("sdk").STATE_SERVICE)
    precompiled = workdir / "asset-precompiled"
    shutil.copytree(function.asset_dir, precompiled)
    # Unchecked: the CDK CLI zips every file with one fixed date, not the mtime a .pyc records.
    compileall.compile_dir(
        precompiled, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    aws_env = rehearsal.aws.env
    lambda_env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        **function.environment,
        **aws_env,
    }

    def lambda_process(
        bootstrap: Path, code: Path, handler: str, invocation: Path, *options: str, **env: str
    ) -> ProcessRun:
        # -B: no .pyc in the asset (-I ignores PYTHONDONTWRITEBYTECODE).
        argv = [sys.executable, "-I", "-B", *options, str(bootstrap), str(code), handler]
        return run_process([*argv, str(invocation)], env={**lambda_env, **env})

    def handler(
        bootstrap: Path = BOOTSTRAP, *options: str, code: Path = function.asset_dir, **env: str
    ) -> ProcessRun:
        run = lambda_process(bootstrap, code, function.handler, poll, *options, **env)
        if WAITING not in run.stdout:
            raise RuntimeError(f"the poll did not keep waiting:\n{run.stdout}{run.stderr}")
        return run

    def bare() -> ProcessRun:
        return run_process([sys.executable, "-I", "-c", BARE_CALL, image_id], env=aws_env)

    runs = alternate(
        rounds,
        {
            HANDLER: handler,
            GIVEN_STATE: lambda: handler(GIVEN_STATE_BOOTSTRAP, BENCH_GIVEN_STATE=str(given)),
            FULL_SSM_MODEL: lambda: handler(code=full_ssm_model),
            PRECOMPILED: lambda: handler(code=precompiled),
            BARE_BOOTSTRAP: lambda: lambda_process(
                BOOTSTRAP, BARE_HANDLER_DIR, BARE_HANDLER, bare_call
            ),
            BARE: bare,
        },
    )
    profiled = [handler(BOOTSTRAP, "-X", "importtime") for _ in range(import_runs)]
    return PollCost(
        runs=runs,
        compile_seconds=compile_seconds(function.asset_dir),
        import_seconds=asset_import_seconds(profiled, function.asset_dir),
        import_runs=import_runs,
    )
