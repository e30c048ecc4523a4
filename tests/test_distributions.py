"""The sdist and the wheel, installed into someone else's environment, synthesize on their own.

Builds both as `make dist` does (the wheel from the sdist), checks their
metadata with twine, installs each into a fresh virtual environment that sees
the dependencies (aws-cdk-lib, constructs, crhelper) but not this repo, and
synthesizes a small app from a folder outside the repo.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HANDLER_MODULES = (
    "index.py",
    "images.py",
    "sources.py",
    "updated.py",
    "bundles.py",
    "actions.py",
    "properties.py",
    "updates.py",
    "polls.py",
    "discard.py",
    "tagging.py",
    "retries.py",
    "reasons.py",
    "source_updates.py",
    "bundle_decisions.py",
    "contract.py",
    "workspaces.py",
    "polling_helper.py",
    "sdk.py",
)
# What the asset needs beside the modules: the WorkSpaces and SSM models the
# handler ships, and crhelper's hashes for bundling in Docker.
RUNTIME_DATA = (
    "models/workspaces/2015-04-08/service-2.json",
    "models/ssm/2014-11-06/service-2.json",
    "requirements.txt",
)

APP = """
import aws_cdk as cdk
import cdk_workspace_image
from cdk_workspace_image import (
    ByolImageSource, ByolWorkspaceImage, UpdatedWorkspaceImage, WorkspaceImage, WorkspaceImageCopy,
)

app = cdk.App()
stack = cdk.Stack(app, "ConsumerStack")
image = WorkspaceImage(stack, "Golden", workspace_id="ws-abcdef123", image_name="golden-2026-11")
cdk.CfnOutput(stack, "ImageId", value=image.image_id)
UpdatedWorkspaceImage(stack, "Updated", source_image=image, image_name="golden-updated")
WorkspaceImageCopy(
    stack, "Copy", source_image_id="wsi-abcdef123", source_region="us-west-2",
    image_name="golden-copy",
)
ByolWorkspaceImage(
    stack, "Byol", source=ByolImageSource.from_ami("ami-0123456789abcdef0"),
    ingestion_process="BYOL_REGULAR_WSP", image_name="golden-byol",
)
app.synth()
print(cdk_workspace_image.__file__)
"""


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built offline with this environment's setuptools."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (sdist,) = out.glob("cdk_workspace_image-*.tar.gz")
    (wheel,) = out.glob("cdk_workspace_image-*.whl")
    return {"sdist": sdist, "wheel": wheel}


def consumer_environment(tmp_path: Path) -> tuple[Path, Path]:
    """A fresh venv that sees this environment's dependencies, not this repo: (python, site)."""
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
    return python, site


def test_the_wheel_carries_the_lambda_source(dists: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(dists["wheel"]).namelist())
    for module in (*HANDLER_MODULES, *RUNTIME_DATA):
        assert f"cdk_workspace_image/runtime/{module}" in names
    assert not any(name.startswith(("tests/", "constructs/", "lambda/")) for name in names)


def test_the_sdist_carries_the_construct_and_the_lambda_source(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert "constructs/cdk_workspace_image/workspace_image.py" in names
    for module in (*HANDLER_MODULES, *RUNTIME_DATA):
        assert f"lambda/workspace_image/{module}" in names


def test_both_carry_the_apache_license_that_pyproject_declares(dists: dict[str, Path]) -> None:
    license_text = (ROOT / "LICENSE").read_text()
    wheel = zipfile.ZipFile(dists["wheel"])
    (wheel_license,) = [n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    with tarfile.open(dists["sdist"]) as archive:
        (sdist_license,) = [
            m
            for m in archive.getmembers()
            if m.name.count("/") == 1 and m.name.endswith("/LICENSE")
        ]
        sdist_text = archive.extractfile(sdist_license).read().decode()  # type: ignore[union-attr]

    assert "Apache License\n                           Version 2.0" in license_text
    assert wheel.read(wheel_license).decode() == license_text == sdist_text


def test_twine_finds_the_metadata_of_both_valid(dists: dict[str, Path]) -> None:
    result = subprocess.run(
        [str(BIN / "twine"), "check", "--strict", *map(str, dists.values())],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_an_app_outside_the_repo_synthesizes_with_only_the_distribution(
    dists: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    # GIVEN a fresh environment with the dependencies and the sdist or wheel, not the repo
    python, site = consumer_environment(tmp_path)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            # An sdist is built here, offline, with this environment's setuptools.
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(site),
            str(dists[kind]),
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

    # THEN the library came from the distribution, and the asset holds the handler and crhelper
    assert Path(result.stdout.strip().splitlines()[-1]).is_relative_to(site)
    template = json.loads((out / "ConsumerStack.template.json").read_text())
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {
        "Custom::WorkspaceImage",
        "Custom::WorkspaceImageUpdate",
        "Custom::WorkspaceImageCopy",
        "Custom::WorkspaceImageImport",
        "AWS::Lambda::Function",
    } <= types
    (asset,) = [path for path in out.glob("asset.*") if path.is_dir()]
    for module in HANDLER_MODULES:
        assert (asset / module).is_file(), module
    assert (asset / RUNTIME_DATA[0]).is_file()
    assert (asset / "crhelper" / "resource_helper.py").is_file()
    assert not (asset / "__init__.py").exists()
