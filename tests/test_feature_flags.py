"""cdk.json sets every feature flag that the pinned CDK CLI recommends.

`cdk init app --language python` writes the recommended flags into cdk.json,
and users start from an example app like that one. This runs the pinned CLI's
own report (`cdk flags`, which synthesizes app.py), so a CLI upgrade that
recommends a new flag fails here until cdk.json sets it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REHEARSAL_WORKSPACE_ID, ROOT

CDK = ROOT / "node_modules" / ".bin" / "cdk"
# A row of the "Unconfigured feature flags" table: │   <flag> │ <recommended> │ ...
UNCONFIGURED_ROW = re.compile(r"^│\s+(@\S+)\s+│\s*([^│]*?)\s*│", re.MULTILINE)
ALL_SET = "All feature flags are already set to their recommended values"


def test_cdk_json_sets_every_flag_the_pinned_cli_recommends(tmp_path: Path) -> None:
    # GIVEN the pinned CLI, offline, running app.py with this environment's Python
    env = {
        **os.environ,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }

    # WHEN it reports the flags that cdk.json leaves unset
    result = subprocess.run(
        [
            str(CDK),
            "flags",
            "--unstable=flags",
            "--no-notices",
            "--output",
            str(tmp_path / "cdk.out"),
            "-c",
            f"workspace_id={REHEARSAL_WORKSPACE_ID}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    # THEN there are none
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    missing = [f"{flag} (recommended: {value})" for flag, value in UNCONFIGURED_ROW.findall(report)]
    assert missing == [], (
        "cdk.json lacks flags that the pinned CDK CLI recommends; add them to its "
        "context (`cdk flags --unstable=flags --set --unconfigured --recommended` "
        "sets the boolean ones):\n  " + "\n  ".join(missing)
    )
    # A report in another format must not pass for an empty one.
    assert ALL_SET in report, report
