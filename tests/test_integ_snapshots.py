"""The integration tests (tests/integ) as `make test` checks them: offline, without an account."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

INTEG_DIR = ROOT / "tests" / "integ"
RUNNER = INTEG_DIR / "runner.py"


def run_runner(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUNNER), *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def without_aws(**extra: str) -> dict[str, str]:
    """This environment with no AWS settings, no credentials reachable, and no integ ids."""
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "INTEG_"))
    }
    return {
        **env,
        # No credentials file, no profile, and never the instance metadata service.
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra,
    }


def test_the_committed_snapshots_match_what_the_integ_apps_synthesize() -> None:
    # GIVEN the integ_*.py apps and their committed snapshots
    # WHEN integ-runner compares them, offline (asset hashes are not compared)
    result = run_runner("verify", env=dict(os.environ))

    # THEN every test is unchanged
    output = result.stdout + result.stderr
    assert result.returncode == 0, (
        "tests/integ/*.snapshot are stale: run `make integ-snapshots`, review "
        f"`git diff tests/integ` and commit.\n{output}"
    )
    for app in INTEG_DIR.glob("integ_*.py"):
        assert f"UNCHANGED  {app.stem} " in output, output


def test_without_a_workspace_id_make_integ_says_what_it_needs_and_deploys_nothing() -> None:
    # GIVEN no INTEG_WORKSPACE_ID and no AWS settings
    # WHEN `make integ` runs
    result = run_runner("deploy", env=without_aws())

    # THEN it exits cleanly, deploys nothing and names everything a real run needs
    assert result.returncode == 0, result.stderr
    assert "make integ: skipped, nothing was deployed." in result.stdout
    assert "missing: INTEG_WORKSPACE_ID is not set" in result.stdout
    assert "aws sts get-caller-identity" in result.stdout
    assert "cdk bootstrap aws://ACCOUNT/REGION" in result.stdout
    assert "deploying" not in result.stdout


def test_without_credentials_make_integ_says_so_and_deploys_nothing() -> None:
    # GIVEN a WorkSpace id and a Region, but no credentials anywhere
    env = without_aws(INTEG_WORKSPACE_ID="ws-0123456789", AWS_REGION="eu-west-1")

    # WHEN `make integ` runs
    result = run_runner("deploy", env=env)

    # THEN it stops before calling AWS, and says so
    assert result.returncode == 0, result.stderr
    assert "missing: no AWS credentials: `aws sts get-caller-identity` must work" in result.stdout
    assert "deploying" not in result.stdout


def test_a_malformed_workspace_id_is_named_before_anything_is_asked_of_aws() -> None:
    env = without_aws(INTEG_WORKSPACE_ID="workspace-1", INTEG_SHARE_ACCOUNT="12345")

    result = run_runner("deploy", env=env)

    assert result.returncode == 0, result.stderr
    assert "INTEG_WORKSPACE_ID='workspace-1' is not a WorkSpace id (ws-...)" in result.stdout
    assert "INTEG_SHARE_ACCOUNT='12345' is not a 12-digit account id" in result.stdout
