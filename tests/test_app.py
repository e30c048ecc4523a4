"""The example app, as `cdk synth` runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def test_without_a_workspace_id_the_app_says_how_to_pass_one(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        env={**os.environ, "CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": "{}"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "cdk deploy -c workspace_id=ws-" in result.stderr
    assert "cdk deploy -c parent_ami=ami-" in result.stderr


def test_the_recipe_example_imports_the_built_image(recipe_cdk_out) -> None:
    template = json.loads((recipe_cdk_out / "WorkspaceImageFromRecipe.template.json").read_text())

    resources = template["Resources"]
    (built,) = [
        key for key, value in resources.items() if value["Type"] == "AWS::ImageBuilder::Image"
    ]
    (imported,) = [
        value for value in resources.values() if value["Type"] == "Custom::WorkspaceImageImport"
    ]
    assert imported["Properties"]["ImageBuildVersionArn"] == {"Fn::GetAtt": [built, "Arn"]}
    assert "Custom::WorkspaceBundle" in {value["Type"] for value in resources.values()}


def test_the_example_outputs_the_image_id(example_cdk_out) -> None:
    template = json.loads((example_cdk_out / "WorkspaceImageExample.template.json").read_text())

    (logical_id,) = [
        key
        for key, value in template["Resources"].items()
        if value["Type"] == "Custom::WorkspaceImage"
    ]
    assert template["Outputs"]["ImageId"]["Value"] == {"Fn::GetAtt": [logical_id, "ImageId"]}
