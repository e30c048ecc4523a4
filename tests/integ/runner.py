"""integ-runner for this repository: check or refresh the snapshots offline, or deploy for real.

    python tests/integ/runner.py verify      # make test: do the snapshots match the apps?
    python tests/integ/runner.py snapshots   # make integ-snapshots: rewrite the stale ones
    python tests/integ/runner.py deploy [integ_x.py ...]   # make integ: a real account

``verify`` and ``snapshots`` never reach AWS: the apps synthesize with the
placeholders of real_account.py. ``deploy`` first checks what a real run needs;
when something is missing it says what, deploys nothing and exits 0. It runs the
apps from a scratch copy, so that the snapshots integ-runner writes after a real
deploy (with real ids) never land in tests/integ.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import real_account

INTEG_DIR = Path(__file__).resolve().parent
ROOT = INTEG_DIR.parents[1]
INTEG_RUNNER = ROOT / "node_modules" / ".bin" / "integ-runner"
# integ-runner runs each app from the repository root, with the file's path.
APP = f"python {(INTEG_DIR / 'run_app.py').relative_to(ROOT)} {{filePath}}"
TEST_REGEX = r"^integ_.*\.py$"
# Snapshots are region-agnostic (the stacks have no env); a dry run still names one.
OFFLINE_REGION = "us-east-1"
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
MIN_BOOTSTRAP_VERSION = 6
SETTINGS = (real_account.WORKSPACE_ID, real_account.SHARE_ACCOUNT, real_account.RUN)


def runner_env(base: Mapping[str, str], *, offline: bool) -> dict[str, str]:
    """The environment integ-runner and the apps run in."""
    env = dict(base)
    # `python` in APP is this interpreter's (the project's venv).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    # `make install` has said once that this Node is older than jsii supports.
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = node.stdout.strip("v\n").split(".")[0]
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    if offline:
        for name in SETTINGS:
            env.pop(name, None)
        # Nothing offline needs credentials: never ask the instance metadata service.
        env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


def integ_runner(
    directory: Path, *options: str, env: Mapping[str, str], tests: Sequence[str] = ()
) -> int:
    command = [
        str(INTEG_RUNNER),
        # First: array options (--parallel-regions, --profiles) take every word after them.
        *tests,
        "--directory",
        str(directory),
        "--app",
        APP,
        "--test-regex",
        TEST_REGEX,
        *options,
    ]
    return subprocess.run(command, cwd=ROOT, env=dict(env), check=False).returncode


def verify() -> int:
    """Compare each app's templates with its committed snapshot (asset hashes ignored)."""
    code = integ_runner(
        INTEG_DIR,
        "--parallel-regions",
        OFFLINE_REGION,
        "--max-workers",
        "2",
        env=runner_env(os.environ, offline=True),
    )
    if code:
        print(
            "\nThe integration test snapshots (tests/integ/*.snapshot) are stale: what the "
            "integ_*.py apps synthesize has changed.\nIf the change is intended, run "
            "`make integ-snapshots`, review `git diff tests/integ`, and commit the snapshots.",
            file=sys.stderr,
        )
    return code


def refresh_snapshots() -> int:
    """Rewrite the snapshots that differ from what the apps synthesize, without deploying.

    integ-runner's dry run writes a snapshot only for a test that fails the
    comparison, so unchanged tests keep theirs byte for byte (the assertion
    stacks carry a per-synth salt that the comparison ignores).
    """
    for snapshot in INTEG_DIR.glob("*.snapshot"):
        if not (INTEG_DIR / snapshot.name.removesuffix(".snapshot")).exists():
            shutil.rmtree(snapshot)
    env = runner_env(os.environ, offline=True)
    code = integ_runner(
        INTEG_DIR,
        "--update-on-failed",
        "--dry-run",
        "--parallel-regions",
        OFFLINE_REGION,
        "--max-workers",
        "2",
        env=env,
    )
    # The Lambda bundles are not compared (asset hashes are ignored) and the update
    # workflow, which would deploy them, is off: keep only templates and manifests.
    for asset in INTEG_DIR.glob("*.snapshot/asset.*"):
        if asset.is_dir():
            shutil.rmtree(asset)
        else:
            asset.unlink()
    if code:
        # Destructive changes (a replaced resource) also exit 1 after writing the
        # snapshots: only a comparison says whether they are current now.
        print("Checking the rewritten snapshots...", file=sys.stderr)
        code = verify()
    return code


def local_findings(environ: Mapping[str, str]) -> list[str]:
    """What a real run lacks that can be seen without calling AWS."""
    findings = []
    workspace_id = environ.get(real_account.WORKSPACE_ID, "")
    if not workspace_id:
        findings.append(f"{real_account.WORKSPACE_ID} is not set")
    elif not re.fullmatch(r"ws-[0-9a-z]{8,63}", workspace_id):
        findings.append(
            f"{real_account.WORKSPACE_ID}={workspace_id!r} is not a WorkSpace id (ws-...)"
        )
    share_account = environ.get(real_account.SHARE_ACCOUNT, "")
    if share_account and not re.fullmatch(r"\d{12}", share_account):
        findings.append(
            f"{real_account.SHARE_ACCOUNT}={share_account!r} is not a 12-digit account id"
        )
    return findings


def account_findings(workspace_id: str) -> tuple[list[str], str | None]:
    """What the account lacks, asked of AWS in order; and the Region to deploy to."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    # AWS_REGION is what the CDK toolkit reads; botocore reads AWS_DEFAULT_REGION.
    session = boto3.Session(region_name=os.environ.get("AWS_REGION") or None)
    region = session.region_name
    if not region:
        return ["no Region: set AWS_REGION (or a profile with a region)"], None
    if session.get_credentials() is None:
        return ["no AWS credentials: `aws sts get-caller-identity` must work"], region
    try:
        account = session.client("sts").get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as error:
        return [f"`aws sts get-caller-identity` fails: {error}"], region
    try:
        version = session.client("ssm").get_parameter(Name=BOOTSTRAP_VERSION_PARAMETER)
        if int(version["Parameter"]["Value"]) < MIN_BOOTSTRAP_VERSION:
            raise ValueError(version["Parameter"]["Value"])
    except (BotoCoreError, ClientError, ValueError):
        return [
            f"aws://{account}/{region} is not bootstrapped for CDK (version "
            f"{MIN_BOOTSTRAP_VERSION} or later): run `npx cdk bootstrap aws://{account}/{region}`"
        ], region
    try:
        found = session.client("workspaces").describe_workspaces(WorkspaceIds=[workspace_id])
    except (BotoCoreError, ClientError) as error:
        return [f"DescribeWorkspaces {workspace_id} fails: {error}"], region
    workspaces = found.get("Workspaces", [])
    if not workspaces:
        return [f"no WorkSpace {workspace_id} in aws://{account}/{region}"], region
    (workspace,) = workspaces
    if workspace.get("State") != "AVAILABLE":
        return [
            f"WorkSpace {workspace_id} is {workspace.get('State')}: it must be AVAILABLE "
            "(start a stopped AutoStop WorkSpace: aws workspaces start-workspaces)"
        ], region
    if workspace.get("RootVolumeEncryptionEnabled") or workspace.get("UserVolumeEncryptionEnabled"):
        return [
            f"WorkSpace {workspace_id} is encrypted: encrypted WorkSpaces cannot be imaged"
        ], region
    return [], region


NEEDS = f"""\
A real-account run (docs/integ.md) needs:
  - {real_account.WORKSPACE_ID}: a prepared WorkSpace to image, AVAILABLE and not encrypted,
      export {real_account.WORKSPACE_ID}=ws-0123456789
    (list them: aws workspaces describe-workspaces --query 'Workspaces[].[WorkspaceId,State]')
  - credentials and a Region: `aws sts get-caller-identity` works (AWS_PROFILE or keys),
    and AWS_REGION (or the profile's region) names the WorkSpace's Region
  - that account and Region bootstrapped for CDK: npx cdk bootstrap aws://ACCOUNT/REGION
Optional:
  - {real_account.SHARE_ACCOUNT}=111122223333: also share the image with that account
  - INTEG_TESTS="integ_image_bundle.py": run only these tests (default: every integ_*.py)
Each test makes a real image (45 minutes or more, one at a time); see docs/integ.md for the cost.
"""


def deploy(tests: Sequence[str]) -> int:
    """Deploy the tests to the account of the current credentials, assert, destroy."""
    findings = local_findings(os.environ)
    region = None
    if not findings:
        findings, region = account_findings(os.environ[real_account.WORKSPACE_ID])
    if findings or region is None:
        print("make integ: skipped, nothing was deployed.")
        for finding in findings:
            print(f"  missing: {finding}")
        print(NEEDS, end="")
        return 0
    env = runner_env(os.environ, offline=False)
    env.setdefault(real_account.RUN, time.strftime("%m%d%H%M", time.gmtime()))
    scratch = Path(tempfile.mkdtemp(prefix="cdk-wsi-integ-"))
    for app in INTEG_DIR.glob("integ_*.py"):
        shutil.copy2(app, scratch / app.name)
    options = ["--force", "--parallel-regions", region, "--inspect-failures", "--verbose"]
    if os.environ.get("AWS_PROFILE"):
        options += ["--profiles", os.environ["AWS_PROFILE"]]
    print(f"make integ: deploying to {region} (run {env[real_account.RUN]}); this takes hours.")
    code = integ_runner(scratch, *options, env=env, tests=tests)
    if code:
        print(f"make integ: failed; the apps and any failed assembly are kept in {scratch}")
    else:
        shutil.rmtree(scratch)
    return code


if __name__ == "__main__":
    command, *arguments = sys.argv[1:] or ["verify"]
    if command == "verify":
        sys.exit(verify())
    if command == "snapshots":
        sys.exit(refresh_snapshots())
    if command == "deploy":
        sys.exit(deploy(arguments))
    sys.exit(f"usage: {sys.argv[0]} verify | snapshots | deploy [integ_x.py ...]")
