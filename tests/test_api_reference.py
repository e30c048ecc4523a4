"""docs/API.md is what griffe2md makes of the docstrings today (`make docs`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cdk_workspace_image
from tests.conftest import ROOT

API_MD = ROOT / "docs" / "API.md"


def render(output: Path) -> str:
    """Generate the reference as `make docs` does (its settings: pyproject.toml)."""
    subprocess.run(
        [
            str(Path(sys.executable).parent / "griffe2md"),
            "cdk_workspace_image",
            "--format-md",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return output.read_text()


def test_the_api_reference_is_up_to_date(tmp_path: Path) -> None:
    fresh = render(tmp_path / "API.md")

    assert API_MD.read_text() == fresh, "docs/API.md is stale: run make docs"


def test_the_api_reference_covers_everything_the_package_exports(tmp_path: Path) -> None:
    reference = render(tmp_path / "API.md")

    for name in cdk_workspace_image.__all__:
        assert f"\n## `{name}`\n" in reference, f"{name} is exported but not documented"
