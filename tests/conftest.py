"""Fixtures shared by every test folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The handler's modules are top-level in Lambda; the unit tests import them so.
sys.path.insert(0, str(ROOT / "lambda" / "workspace_image"))

REHEARSAL_WORKSPACE_ID = "ws-rehearsal01"
# The feature flags of cdk.json, which the CDK CLI passes to every app it runs:
# the tests synthesize with them too (tests/test_feature_flags.py keeps them current).
FEATURE_FLAGS: dict[str, object] = json.loads((ROOT / "cdk.json").read_text())["context"]


def synth_example_app(outdir: Path, **context: str) -> Path:
    """Synthesize app.py the way the CDK CLI runs it (cdk.json's flags), into ``outdir``."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps({**FEATURE_FLAGS, **context}),
    }
    subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, check=True, cwd=ROOT)
    return outdir


@pytest.fixture(scope="session")
def example_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # 55 minutes: the custom resource itself waits (long_wait_cdk_out rehearses
    # the WaitCondition that the default timeout uses).
    yield synth_example_app(
        tmp_path_factory.mktemp("cdk.out"),
        workspace_id=REHEARSAL_WORKSPACE_ID,
        removal_policy="destroy",
        timeout_minutes="55",
    )


@pytest.fixture(scope="session")
def example_next_version_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """example_cdk_out's next version: a new image_name, everything else the same."""
    yield synth_example_app(
        tmp_path_factory.mktemp("cdk.out.next"),
        workspace_id=REHEARSAL_WORKSPACE_ID,
        removal_policy="destroy",
        timeout_minutes="55",
        image_name="golden-example-2",
    )


@pytest.fixture(scope="session")
def long_wait_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example app with an 8-hour timeout: a WaitCondition waits for the image."""
    yield synth_example_app(
        tmp_path_factory.mktemp("cdk.out.long"),
        workspace_id=REHEARSAL_WORKSPACE_ID,
        removal_policy="destroy",
        timeout_minutes="480",
    )


@pytest.fixture(scope="session")
def recipe_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example app's recipe -> Image Builder -> BYOL image -> bundle stack."""
    yield synth_example_app(
        tmp_path_factory.mktemp("cdk.out.recipe"),
        parent_ami="ami-0123456789abcdef0",
        image_name="golden-recipe",
        removal_policy="destroy",
    )
