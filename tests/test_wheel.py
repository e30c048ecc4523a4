"""The wheel, installed into someone else's environment, synthesizes on its own.

Builds the wheel, installs it into a fresh virtual environment that sees the
dependencies (aws-cdk-lib, constructs, crhelper) but not this repo, and
synthesizes a small app from a folder outside the repo.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

APP = """
import aws_cdk as cdk
import cdk_workspace_image
from cdk_workspace_image import WorkspaceImage

app = cdk.App()
stack = cdk.Stack(app, "ConsumerStack")
image = WorkspaceImage(stack, "Golden", workspace_id="ws-abcdef123", image_name="golden-2026-11")
cdk.CfnOutput(stack, "ImageId", value=image.image_id)
app.synth()
print(cdk_workspace_image.__file__)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = dist.glob("cdk_workspace_image-*.whl")
    return built


def test_the_wheel_carries_the_lambda_source(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("index.py", "logic.py", "contract.py", "workspaces.py", "polling_helper.py"):
        assert f"cdk_workspace_image/runtime/{module}" in names
    assert not any(name.startswith(("tests/", "constructs/", "lambda/")) for name in names)


def test_an_app_outside_the_repo_synthesizes_with_only_the_wheel(
    wheel: Path, tmp_path: Path
) -> None:
    # GIVEN a fresh environment with the dependencies and the wheel, not the repo
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # Dependencies come from this environment's site-packages, whose .pth
    # files (this repo's editable install among them) are not processed.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    app_dir = tmp_path / "consumer"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP)

    # WHEN the app synthesizes
    out = app_dir / "cdk.out"
    result = subprocess.run(
        [str(python), "app.py"],
        cwd=app_dir,
        env={**os.environ, "CDK_OUTDIR": str(out), "PYTHONPATH": ""},
        check=True,
        capture_output=True,
        text=True,
    )

    # THEN the library came from the wheel, and the asset holds the handler and crhelper
    assert Path(result.stdout.strip().splitlines()[-1]).is_relative_to(site)
    template = json.loads((out / "ConsumerStack.template.json").read_text())
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {"Custom::WorkspaceImage", "AWS::Lambda::Function"} <= types
    (asset,) = [path for path in out.glob("asset.*") if path.is_dir()]
    assert (asset / "index.py").is_file()
    assert (asset / "crhelper" / "resource_helper.py").is_file()
    assert not (asset / "__init__.py").exists()
