"""cdk-nag's AwsSolutions pack finds nothing unacknowledged, in both majors.

Each major runs in its own process (two jsii assemblies of cdk-nag cannot
share one), importing it from the folder `make install` put it in. A control
run shows that each pack does check this stack: a finding it does report.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FEATURE_FLAGS, ROOT

NAG_DIRS = {2: ROOT / ".venv" / "cdk-nag-2", 3: ROOT / ".venv" / "cdk-nag-3"}

STACK = """
import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from cdk_workspace_image import (
    ByolImageSource, ByolWorkspaceImage, UpdatedWorkspaceImage, WorkspaceBundle, WorkspaceImage,
    WorkspaceImageCopy,
)

app = cdk.App()
stack = cdk.Stack(app, "NagStack")
golden = WorkspaceImage(
    stack, "Golden", workspace_id="ws-abcdef123", image_name="golden",
    share_with_accounts=["111122223333"],
)
WorkspaceImage(
    stack, "Long", workspace_id="ws-abcdef124", image_name="long", timeout=cdk.Duration.hours(8)
)
WorkspaceBundle(
    stack, "Bundle", image=golden, bundle_name="golden-standard", compute_type="STANDARD",
    user_storage_gib=50, root_storage_gib=80,
)
WorkspaceBundle(
    stack, "Imported", image=WorkspaceImage.from_image_id(stack, "Shared", "wsi-abcdef123"),
    bundle_name="shared-power", compute_type="POWER", user_storage_gib=100, root_storage_gib=175,
)
WorkspaceImageCopy(
    stack, "Copy", source_image_id="wsi-abcdef124", source_region="eu-west-1", image_name="copy"
)
UpdatedWorkspaceImage(stack, "Updated", source_image=golden, image_name="updated")
ByolWorkspaceImage(
    stack, "Byol", source=ByolImageSource.from_ami("ami-0123456789abcdef0"),
    ingestion_process="BYOL_REGULAR_WSP", image_name="byol",
)
ByolWorkspaceImage(
    stack, "Custom", image_name="custom", os_version="Windows_11",
    source=ByolImageSource.from_image_version_arn(
        "arn:aws:imagebuilder:us-east-1:123456789012:image/golden/1.0.0/1"
    ),
    infrastructure_configuration_arn=(
        "arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/ws"
    ),
)
"""

REGISTER = {
    2: "cdk.Aspects.of(app).add(AwsSolutionsChecks(reports=True))\n",
    3: "cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))\n",
}
# Something the pack must flag, to show it ran over this stack.
CONTROL = (
    'cdk.aws_sqs.Queue(stack, "Unencrypted", encryption=cdk.aws_sqs.QueueEncryption.UNENCRYPTED)\n'
)


def synth(major: int, tmp_path: Path, *, control: bool = False) -> subprocess.CompletedProcess[str]:
    if not (NAG_DIRS[major] / "cdk_nag").is_dir():
        pytest.fail(f"cdk-nag {major}.x is not installed in {NAG_DIRS[major]}: run make install")
    app = tmp_path / "app.py"
    app.write_text(STACK + (CONTROL if control else "") + REGISTER[major] + "app.synth()\n")
    return subprocess.run(
        [sys.executable, str(app)],
        env={
            **os.environ,
            "CDK_OUTDIR": str(tmp_path / "out"),
            # With cdk.json's recommended flags, as a new `cdk init` app has them.
            "CDK_CONTEXT_JSON": json.dumps(FEATURE_FLAGS),
            "PYTHONPATH": str(NAG_DIRS[major]),
        },
        capture_output=True,
        text=True,
        check=False,
    )


def nag2_rows(tmp_path: Path) -> list[dict[str, str]]:
    (report,) = (tmp_path / "out").glob("*NagReport.csv")
    return list(csv.DictReader(report.open()))


def test_cdk_nag_2_reports_no_unsuppressed_finding(tmp_path: Path) -> None:
    result = synth(2, tmp_path)

    assert result.returncode == 0, result.stderr
    rows = nag2_rows(tmp_path)
    assert [row for row in rows if row["Compliance"] == "Non-Compliant"] == []
    suppressed = [row for row in rows if row["Compliance"] == "Suppressed"]
    assert {row["Rule ID"] for row in suppressed} == {"AwsSolutions-IAM5"}
    assert all(
        "CdkWorkspaceImageProvider/Role/DefaultPolicy" in row["Resource ID"] for row in suppressed
    )
    assert all(
        "Service Authorization Reference" in row["Exception Reason"]
        or "at deploy time" in row["Exception Reason"]
        for row in suppressed
    )


def test_cdk_nag_2_control_finding_is_reported(tmp_path: Path) -> None:
    synth(2, tmp_path, control=True)

    flagged = {
        row["Rule ID"] for row in nag2_rows(tmp_path) if row["Compliance"] == "Non-Compliant"
    }
    assert "AwsSolutions-SQS2" in flagged


def test_cdk_nag_3_validation_passes(tmp_path: Path) -> None:
    result = synth(3, tmp_path)

    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "validation-report.json").read_text())
    violations = [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])]
    assert violations == []


def test_cdk_nag_3_control_finding_fails_the_synth(tmp_path: Path) -> None:
    result = synth(3, tmp_path, control=True)

    assert result.returncode != 0
    report = json.loads((tmp_path / "out" / "validation-report.json").read_text())
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert "AwsSolutions-SQS2" in rules
    paths = {
        c["constructPath"]
        for plugin in report["pluginReports"]
        for v in plugin["violations"]
        for c in v["violatingConstructs"]
    }
    assert not any("CdkWorkspaceImageProvider" in path for path in paths)
