"""The provider function, as bundled in cdk.out, run in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
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


@dataclass
class Invocation:
    event: dict[str, Any]
    exit_code: int
    logs: str
    # Every AWS call the handler made, as IAM actions ("workspaces:DescribeTags").
    api_calls: list[str]

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

    def invoke(
        self, event: dict[str, Any], *, aws_env: dict[str, str], clock_offset: float = 0
    ) -> Invocation:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(
                {
                    "event": event,
                    "function_name": self.name,
                    "function_arn": self.arn,
                    "memory_mb": self.memory_mb,
                    "timeout_seconds": self.timeout_seconds,
                    "aws_request_id": str(uuid.uuid4()),
                },
                handle,
            )
        api_log = Path(handle.name).with_suffix(".calls")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "REHEARSAL_CLOCK_OFFSET_SECONDS": str(clock_offset),
            "REHEARSAL_API_LOG": str(api_log),
            # Waits in the handler (backoff, IAM patience) pass quickly, at the
            # scale that the embedded AWS's timed faults use too.
            "REHEARSAL_SLEEP_SCALE": str(SLEEP_SCALE),
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
        finally:
            Path(handle.name).unlink()
            api_log.unlink(missing_ok=True)
        return Invocation(
            event=event,
            exit_code=completed.returncode,
            logs=completed.stdout + completed.stderr,
            api_calls=api_calls,
        )
