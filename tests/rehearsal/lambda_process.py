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

from tests.rehearsal.fake_workspaces import REGION, SLEEP_SCALE

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")


@dataclass
class Invocation:
    event: dict[str, Any]
    exit_code: int
    logs: str
    # Every AWS call the handler made, as IAM actions ("workspaces:DescribeTags").
    api_calls: list[str]


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
        try:
            completed = subprocess.run(
                [
                    sys.executable,
                    "-I",
                    # No __pycache__ in the staged asset, whose hash would not see
                    # it (-I ignores PYTHONDONTWRITEBYTECODE).
                    "-B",
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
