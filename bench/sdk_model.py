"""The WorkSpaces model the handler ships: asset size and client creation, full against trimmed.

Usage: python -m bench.sdk_model [ROUNDS]   (docs/runtime-sdk.md keeps the figures)

Each way of bringing the model is a folder for AWS_DATA_PATH, put into a copy
of the staged asset in place of the shipped one, and zipped as the CDK CLI
zips it. Client creation is ``boto3.client("workspaces")`` timed inside a
fresh ``python -I -S`` process whose only boto3 is the newest (this venv's)
or 1.40.0 (.venv/runtime-sdk), alternated round by round; medians.
A vendored botocore is sized from this venv's copy: its code and the data
files the handler's three services need.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from botocore.loaders import Loader

from bench import poll
from bench.measure import alternate, median, paired_ratio, run_process
from bench.rehearsal import Rehearsal, embedded_aws
from bench.synth import OURS, synth
from tests.rehearsal.lambda_process import BOOTSTRAP, runtime_sdk
from tools import workspaces_model

ROOT = Path(__file__).resolve().parent.parent
# The handler modules that this change touched, as they were before it.
BEFORE_COMMIT = "c985dbb"

RELATIVE = Path("workspaces") / "2015-04-08"
CREATE = (
    "import sys, time\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "import boto3\n"
    "started = time.perf_counter()\n"
    "client = boto3.client('workspaces', region_name='us-east-1')\n"
    "operations = client.meta.service_model.operation_names\n"
    "print((time.perf_counter() - started) * 1000, len(operations))\n"
)


def zipped_size(folder: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return len(buffer.getvalue())


def variants(work: Path) -> dict[str, Path | None]:
    """Each way of bringing the model, as an AWS_DATA_PATH folder (None: botocore's own)."""
    builtin = Path(Loader.BUILTIN_DATA_PATH) / RELATIVE / "service-2.json.gz"
    full = json.loads(gzip.decompress(builtin.read_bytes()))
    shipped = Path(__file__).resolve().parent.parent / "lambda" / "workspace_image" / "models"
    trimmed = workspaces_model.trimmed(full, workspaces_model.sdk.OPERATIONS)
    files: dict[str, Callable[[Path], None]] = {
        "full model, .json.gz as botocore ships it": lambda d: shutil.copy(builtin, d),
        "full model, .json": lambda d: (d / "service-2.json").write_text(json.dumps(full)),
        "trimmed model, one line": lambda d: (d / "service-2.json").write_text(json.dumps(trimmed)),
    }
    found: dict[str, Path | None] = {"no model (botocore's own)": None}
    for name, write in files.items():
        folder = work / name.replace(" ", "-").replace(",", "").replace("'", "")
        (folder / RELATIVE).mkdir(parents=True)
        write(folder / RELATIVE)
        found[name] = folder
    found["trimmed model, shipped (indented)"] = shipped
    return found


def asset_sizes(asset_dir: Path, models: dict[str, Path | None], work: Path) -> dict[str, int]:
    sizes = {}
    for name, folder in models.items():
        copy = work / "asset-copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(asset_dir, copy, ignore=shutil.ignore_patterns("__pycache__", "models"))
        if folder is not None:
            shutil.copytree(folder, copy / "models")
        sizes[name] = zipped_size(copy)
    return sizes


def vendored_botocore_size() -> int:
    """botocore's and boto3's code, and the data the handler's services need, zipped."""
    site = Path(sysconfig.get_paths()["purelib"])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for package in ("botocore", "boto3"):
            shutil.copytree(
                site / package,
                out / package,
                ignore=shutil.ignore_patterns("__pycache__", "data", "examples", "docs"),
            )
        data = site / "botocore" / "data"
        for path in data.glob("*.json*"):
            shutil.copy(path, out / "botocore" / path.name)
        for service in ("workspaces", "events", "lambda"):
            shutil.copytree(data / service, out / "botocore" / "data" / service)
        return zipped_size(out)


def creation_ms(
    sdk_path: str, models: dict[str, Path | None], rounds: int
) -> dict[str, tuple[float, int]]:
    def run(folder: Path | None) -> tuple[float, int]:
        env = {"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": "x"}
        env["AWS_SECRET_ACCESS_KEY"] = "y"
        if folder is not None:
            env["AWS_DATA_PATH"] = str(folder)
        completed = subprocess.run(
            [sys.executable, "-I", "-S", "-c", CREATE, sdk_path],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        ms, operations = completed.stdout.split()
        return float(ms), int(operations)

    runs = alternate(rounds, {name: (lambda f=folder: run(f)) for name, folder in models.items()})
    return {name: (median([r[0] for r in found]), found[0][1]) for name, found in runs.items()}


def asset_before(asset_dir: Path, work: Path) -> Path:
    """The staged asset as it was before the model shipped: no model, no check."""
    before = work / "asset-before"
    shutil.copytree(asset_dir, before, ignore=shutil.ignore_patterns("__pycache__", "models"))
    (before / "sdk.py").unlink()
    for name in ("index.py", "workspaces.py"):
        source = subprocess.run(
            ["git", "show", f"{BEFORE_COMMIT}:lambda/workspace_image/{name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (before / name).write_text(source)
    return before


def poll_ms(rehearsal: Rehearsal, before: Path, work: Path, rounds: int) -> dict[str, float]:
    """A cold poll of a PENDING image: the shipped model, the asset before, a bare call."""
    function = rehearsal.cfn.function
    invocation = work / "poll.json"
    invocation.write_text(
        json.dumps(
            {
                "event": poll._poll_event(rehearsal),
                "function_name": function.name,
                "function_arn": function.arn,
                "memory_mb": function.memory_mb,
                "timeout_seconds": function.timeout_seconds,
                "aws_request_id": "bench",
            }
        )
    )
    env = {"PATH": os.environ.get("PATH", ""), "AWS_LAMBDA_FUNCTION_NAME": function.name}
    env.update({**function.environment, **rehearsal.aws.env})
    (image_id,) = rehearsal.image_ids()

    def handler(asset: Path) -> float:
        args = [str(BOOTSTRAP), str(asset), function.handler, str(invocation)]
        run = run_process([sys.executable, "-I", "-B", *args], env=env)
        assert poll.WAITING in run.stdout, run.stdout + run.stderr
        return run.seconds

    def bare() -> float:
        argv = [sys.executable, "-I", "-c", poll.BARE_CALL, image_id]
        return run_process(argv, env=rehearsal.aws.env).seconds

    runs = alternate(
        rounds,
        {
            "poll, shipped model": lambda: handler(function.asset_dir),
            "poll, before": lambda: handler(before),
            "bare boto3 call": bare,
        },
    )
    found = {name: median(times) * 1000 for name, times in runs.items()}
    for name in ("poll, shipped model", "poll, before"):
        found[f"{name} / bare"] = paired_ratio(runs[name], runs["bare boto3 call"])
    return found


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory(prefix="bench-sdk-") as tmp:
        work = Path(tmp)
        cdk_out = work / "cdk.out"
        synth(OURS, 1, cdk_out)
        (asset_dir,) = (path for path in cdk_out.glob("asset.*") if path.is_dir())
        models = variants(work)
        sizes = asset_sizes(asset_dir, models, work)
        before = asset_before(asset_dir, work)
        sizes["before this change (no model, no check)"] = zipped_size(before)
        newest = creation_ms(sysconfig.get_paths()["purelib"], models, rounds)
        oldest = creation_ms(str(runtime_sdk("1.40.0")), models, rounds)
        with embedded_aws(work) as (aws, _log):
            polls = poll_ms(Rehearsal.start(aws, cdk_out), before, work, rounds)
    before_size = sizes.pop("before this change (no model, no check)")
    print(f"Asset before this change (no model, no check): {before_size:,} B\n")
    print(f"Client creation: median of {rounds} fresh processes each.\n")
    print("| Model | Asset, zipped | Operations | Client creation, boto3 1.44.8 | Same, 1.40.0 |")
    print("|---|---|---|---|---|")
    for name in models:
        print(
            f"| {name} | {sizes[name]:,} B | {newest[name][1]} | {newest[name][0]:.1f} ms "
            f"| {oldest[name][0]:.1f} ms ({oldest[name][1]} operations) |"
        )
    print(
        f"\nA vendored botocore and boto3 (code, data of 3 services): "
        f"{vendored_botocore_size():,} B zipped."
    )
    print(f"\nOne cold poll, median of {rounds} alternated rounds:")
    for name, value in polls.items():
        print(f"- {name}: " + (f"{value:.2f}x" if "/" in name else f"{value:.0f} ms"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
