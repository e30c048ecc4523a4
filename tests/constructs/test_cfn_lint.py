"""cfn-lint finds no error, and no warning but CDK's own W3005, in our templates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest

from cdk_workspace_image import WorkspaceBundle, WorkspaceImage
from tests.conftest import FEATURE_FLAGS

# W3005 (DependsOn already enforced by a GetAtt) comes from CDK's function role.
ALLOWED = {"W3005"}


def lint(template: Path) -> list[dict[str, object]]:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "json", str(template)],
        capture_output=True,
        text=True,
        check=False,
    )
    return list(json.loads(result.stdout or "[]"))


def test_the_example_app_template_is_clean(example_cdk_out: Path, long_wait_cdk_out: Path) -> None:
    for out in (example_cdk_out, long_wait_cdk_out):
        findings = lint(out / "WorkspaceImageExample.template.json")
        assert [f for f in findings if f["Rule"]["Id"] not in ALLOWED] == []


# Without flags (the library's defaults in any app) and with cdk.json's recommended ones.
@pytest.mark.parametrize("flags", [{}, FEATURE_FLAGS], ids=["no-flags", "recommended-flags"])
@pytest.mark.parametrize("timeout", [cdk.Duration.minutes(30), cdk.Duration.hours(12)])
def test_a_stack_of_several_images_is_clean(
    tmp_path: Path, timeout: cdk.Duration, flags: dict[str, object]
) -> None:
    app = cdk.App(outdir=str(tmp_path), context=flags)
    stack = cdk.Stack(app, "Lint")
    for n in range(3):
        image = WorkspaceImage(
            stack,
            f"Image{n}",
            workspace_id=f"ws-abcdef12{n}",
            image_name=f"image-{n}",
            tags={"team": "euc"},
            share_with_accounts=["111122223333"],
            timeout=timeout,
        )
        WorkspaceBundle(
            stack,
            f"Bundle{n}",
            image=image,
            bundle_name=f"bundle-{n}",
            compute_type="STANDARD",
            user_storage_gib=50,
            root_storage_gib=80,
        )
    app.synth()

    findings = lint(tmp_path / "Lint.template.json")
    assert [f for f in findings if f["Rule"]["Id"] not in ALLOWED] == []


def test_the_recipe_example_and_every_source_are_clean(
    recipe_cdk_out: Path, tmp_path: Path
) -> None:
    from tests.rehearsal.conftest import SOURCES_STACK, _synth_sources

    sources = _synth_sources(tmp_path, 480)
    for template in (
        recipe_cdk_out / "WorkspaceImageFromRecipe.template.json",
        sources / f"{SOURCES_STACK}.template.json",
    ):
        findings = lint(template)
        assert [f for f in findings if f["Rule"]["Id"] not in ALLOWED] == [], template.name
