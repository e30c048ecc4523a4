"""The provider function, as bundled in cdk.out, run in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdk_workspace_image.runtime.contract import SCHEDULE_EVENT_KEY
from tests.rehearsal.fake_workspaces import REGION, SLEEP_SCALE

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
ROOT = Path(__file__).resolve().parent.parent.parent
# boto3 versions that `make install` puts in folders of their own (Makefile: RUNTIME_SDKS).
RUNTIME_SDKS = ROOT / ".venv" / "runtime-sdk"


def runtime_sdk(version: str) -> Path:
    """The folder with boto3 and botocore ``version`` and their dependencies."""
    folder = RUNTIME_SDKS / version
    if not (folder / "botocore").is_dir():
        raise FileNotFoundError(f"{folder} is missing: run `make install`")
    return folder


class Barrier:
    """Holds ``parties`` Lambda processes until all are ready, then lets them go.

    Each process writes ``<pid>.ready`` into the directory when it is ready and
    waits for ``go``; ``release_when_ready`` (run in a thread beside the
    invocations) writes ``go`` once every party is ready, or after ``patience``
    seconds, so that a process that crashed on start holds nobody for ever.
    """

    def __init__(self, parties: int, patience: float = 120.0) -> None:
        self.parties = parties
        self.patience = patience
        self._tmp = tempfile.TemporaryDirectory(prefix="rehearsal-barrier-")
        self.directory = Path(self._tmp.name)

    def release_when_ready(self) -> None:
        deadline = time.monotonic() + self.patience
        while time.monotonic() < deadline:
            if len(list(self.directory.glob("*.ready"))) >= self.parties:
                break
            time.sleep(0.01)
        (self.directory / "go").touch()

    def close(self) -> None:
        self._tmp.cleanup()


@dataclass
class Invocation:
    event: dict[str, Any]
    exit_code: int
    logs: str
    # Every AWS call the handler made, as IAM actions ("workspaces:DescribeTags").
    api_calls: list[str]
    # Every HTTP attempt of those calls with its answer, retries included
    # ("workspaces:DescribeWorkspaceImages ThrottlingException", "... OK").
    attempts: list[str] = field(default_factory=list)
    # The handler's time as Lambda would bill it: sleeps at their full length.
    handler_seconds: float | None = None
    # Of which, sleeping (botocore's backoff, waiting for IAM).
    slept_seconds: float | None = None

    @property
    def scheduled(self) -> bool:
        """Whether EventBridge made this invocation (a poll or a long wait's watcher)."""
        return SCHEDULE_EVENT_KEY in self.event


@dataclass
class LambdaFunction:
    """One function from the synthesized template, deployed to the embedded AWS."""

    name: str
    arn: str
    asset_dir: Path
    handler: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str]
    # The stack the function belongs to: its template gives it this StackId.
    stack_id: str = ""
    # A folder holding the boto3 and botocore that the runtime would bring
    # (runtime_sdk()); None runs on this interpreter's own, the newest.
    runtime_sdk: Path | None = None
    # The Region it is deployed in, which its AWS calls default to.
    region: str = REGION
    # Real seconds per second the handler sleeps (see fake_workspaces.SLEEP_SCALE).
    sleep_scale: float = SLEEP_SCALE

    def invoke(
        self,
        event: dict[str, Any],
        *,
        aws_env: dict[str, str],
        clock_offset: float = 0,
        barrier: Barrier | None = None,
        invoked_arn: str = "",
    ) -> Invocation:
        """Run one invocation in a process of its own (``invoked_arn``: the ARN the
        caller named, the poll alias for EventBridge; the function's own by default).

        With a ``barrier``, the process gets ready (imports the handler and loads
        the service models) and then waits until every process of the barrier
        is ready, so that their handlers start together, as Lambda's execution
        environments do on machines of their own.
        """
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(
                {
                    "event": event,
                    "function_name": self.name,
                    "function_arn": self.arn,
                    # The ARN the caller named: EventBridge names the poll alias.
                    "invoked_function_arn": invoked_arn or self.arn,
                    "memory_mb": self.memory_mb,
                    "timeout_seconds": self.timeout_seconds,
                    "aws_request_id": str(uuid.uuid4()),
                },
                handle,
            )
        api_log = Path(handle.name).with_suffix(".calls")
        attempt_log = Path(handle.name).with_suffix(".attempts")
        timing = Path(handle.name).with_suffix(".timing")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "REHEARSAL_CLOCK_OFFSET_SECONDS": str(clock_offset),
            "REHEARSAL_API_LOG": str(api_log),
            "REHEARSAL_ATTEMPT_LOG": str(attempt_log),
            "REHEARSAL_TIMING": str(timing),
            # Waits in the handler (backoff, IAM patience) pass quickly, at the
            # scale that the embedded AWS's timed faults use too.
            "REHEARSAL_SLEEP_SCALE": str(self.sleep_scale),
            **({"REHEARSAL_BARRIER": str(barrier.directory)} if barrier else {}),
            **self.environment,
            **aws_env,
        }
        if self.runtime_sdk is not None:
            env["REHEARSAL_RUNTIME_SDK"] = str(self.runtime_sdk)
        try:
            completed = subprocess.run(
                [
                    sys.executable,
                    "-I",
                    # No __pycache__ in the staged asset, whose hash would not see
                    # it (-I ignores PYTHONDONTWRITEBYTECODE).
                    "-B",
                    # No site-packages when the runtime's SDK is a folder of its own.
                    *(["-S"] if self.runtime_sdk is not None else []),
                    str(BOOTSTRAP),
                    str(self.asset_dir),
                    self.handler,
                    handle.name,
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout_seconds + 30,
                check=False,
            )
            api_calls = api_log.read_text().split() if api_log.exists() else []
            attempts = attempt_log.read_text().splitlines() if attempt_log.exists() else []
            times = json.loads(timing.read_text()) if timing.exists() else {}
        finally:
            Path(handle.name).unlink()
            for path in (api_log, attempt_log, timing):
                path.unlink(missing_ok=True)
        return Invocation(
            event=event,
            exit_code=completed.returncode,
            logs=completed.stdout + completed.stderr,
            api_calls=api_calls,
            attempts=attempts,
            handler_seconds=times.get("handler_seconds"),
            slept_seconds=times.get("slept_seconds"),
        )
