"""Every source's lifecycle on the Lambda runtime's older boto3, and what the check says.

The runtime's boto3 is whatever AWS bundled (docs/runtime-sdk.md). The handler
brings the WorkSpaces model it needs (sdk.py), so it must work on any botocore
from 1.40.0 on: each source's lifecycle runs here on boto3 1.40.0 and 1.43.0,
each from a folder of its own that `make install` fills (Makefile:
RUNTIME_SDKS), and on the newest, the interpreter's own. The bootstrap
refuses to run if boto3 or botocore came from anywhere else.

Without the shipped model, 1.40.0 has no ImportCustomWorkspaceImage and
1.43.0 no ImageValidationMode: the last tests take the model out of a copy of
the asset and read the check's answer.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import (
    SOURCE_CASES,
    Rehearsal,
    _rehearsal,
    _source_rehearsal,
    assert_nothing_scheduled,
)
from tests.rehearsal.embedded_aws import EmbeddedAws
from tests.rehearsal.lambda_process import runtime_sdk

NEWEST = "newest"
SDK_VERSIONS = ("1.40.0", "1.43.0", NEWEST)
OWNER_TAG = "cdk-workspace-image:logical-id"


@dataclass(frozen=True)
class Source:
    """One way of making an image, for a lifecycle: how to set it up and change it."""

    name: str
    cdk_out_fixture: str
    # Overrides of the resource's properties that every request carries.
    overrides: Callable[[], dict[str, Any]]
    # A change of the source that makes a new image.
    new_source: Callable[[], dict[str, Any]]

    def __str__(self) -> str:
        return self.name

    def rehearsal(self, aws: EmbeddedAws, cdk_out: Path) -> Rehearsal:
        if self.name == "WorkspaceImage":
            rehearsal = _rehearsal(aws, cdk_out)
        else:
            case = next(case for case in SOURCE_CASES if case.construct_id == self.name)
            rehearsal = _source_rehearsal(aws, cdk_out, case)
        rehearsal.overrides.update(self.overrides())
        return rehearsal


def _case(name: str) -> Any:
    return next(case for case in SOURCE_CASES if case.construct_id == name)


SOURCES = (
    Source(
        "WorkspaceImage",
        "example_cdk_out",
        dict,
        lambda: {"WorkspaceId": fake_workspaces.seed_workspace("ws-newsource1")},
    ),
    *(
        Source(name, "sources_cdk_out", dict, _case(name).new_source)
        for name in ("Copy", "Updated", "ByolAmi")
    ),
    # ImageValidationMode is what 1.43.0's own model lacks.
    Source(
        "CustomImport",
        "sources_cdk_out",
        lambda: {"ImageValidationMode": "SERVICE_MANAGED"},
        _case("CustomImport").new_source,
    ),
)


def made(rehearsal: Rehearsal) -> set[str]:
    """The images the resource made, by its owner tag (not the sources a test seeded)."""
    return {
        image_id
        for image_id in rehearsal.aws.images()
        if fake_workspaces.image_tags(image_id).get(OWNER_TAG) == rehearsal.logical_id
    }


def on_sdk(rehearsal: Rehearsal, version: str) -> Rehearsal:
    if version != NEWEST:
        rehearsal.cfn.function.runtime_sdk = runtime_sdk(version)
    return rehearsal


def import_moves_on(n: int) -> None:
    """An import shows progress at the first poll and finishes before the second."""
    if n == 1:
        fake_workspaces.advance_imports(1)
    else:
        fake_workspaces.finish_pending_images()


@pytest.mark.parametrize("version", SDK_VERSIONS)
@pytest.mark.parametrize("source", SOURCES, ids=str)
def test_a_whole_lifecycle_runs_on_the_runtimes_boto3(
    embedded_aws: EmbeddedAws, request: pytest.FixtureRequest, source: Source, version: str
) -> None:
    # GIVEN the provider function on this boto3, and the source's world
    cdk_out: Path = request.getfixturevalue(source.cdk_out_fixture)
    rehearsal = on_sdk(source.rehearsal(embedded_aws, cdk_out), version)
    logical_id = rehearsal.logical_id
    first = rehearsal.properties(Tags=[{"Key": "team", "Value": "euc"}])

    # WHEN it creates the image, polls it to AVAILABLE, ...
    created = rehearsal.cfn.request("Create", logical_id, first, before_poll=import_moves_on)
    assert created.status == "SUCCESS", created.reason
    assert made(rehearsal) == {created.physical_id}
    if source.name == "CustomImport":
        # ... with the import's progress in the poll's log (StateMessage and
        # ProgressPercentage are 1.42.24's) ...
        (waiting,) = rehearsal.cfn.decisions("poll:wait")
        assert waiting["progress_percent"] > 0, waiting

    # ... changes its tags in place, ...
    retagged = rehearsal.properties(Tags=[{"Key": "team", "Value": "vdi"}])
    tagged = rehearsal.cfn.request(
        "Update", logical_id, retagged, physical_id=created.physical_id, old_properties=first
    )
    assert (tagged.status, tagged.physical_id) == ("SUCCESS", created.physical_id), tagged.reason
    assert fake_workspaces.image_tags(created.physical_id)["team"] == "vdi"

    # ... replaces it from a new source, ...
    second = rehearsal.properties(Name="renamed-v2", **source.new_source())
    replaced = rehearsal.cfn.request(
        "Update",
        logical_id,
        second,
        physical_id=created.physical_id,
        old_properties=retagged,
        before_poll=import_moves_on,
    )
    assert replaced.status == "SUCCESS", replaced.reason
    cleanup = rehearsal.cfn.request("Delete", logical_id, retagged, physical_id=created.physical_id)
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert made(rehearsal) == {replaced.physical_id}

    # ... and deletes it
    deleted = rehearsal.cfn.request("Delete", logical_id, second, physical_id=replaced.physical_id)

    # THEN every step succeeded and nothing is left
    assert deleted.status == "SUCCESS", deleted.reason
    assert made(rehearsal) == set()
    assert_nothing_scheduled(rehearsal)


# --- without the shipped model ---------------------------------------------------------


def without_model(rehearsal: Rehearsal, tmp_path: Path) -> Rehearsal:
    """The provider function from a copy of its asset that lacks the WorkSpaces model."""
    asset = tmp_path / "asset-without-model"
    shutil.copytree(rehearsal.cfn.function.asset_dir, asset)
    shutil.rmtree(asset / "models")
    rehearsal.cfn.function.asset_dir = asset
    return rehearsal


@pytest.mark.parametrize(
    ("version", "missing"),
    [
        ("1.40.0", "lacks ImportCustomWorkspaceImage, DescribeCustomWorkspaceImageImport"),
        ("1.43.0", "lacks ImportCustomWorkspaceImage.ImageValidationMode (after 1.43.0)"),
    ],
)
def test_an_old_boto3_without_the_model_fails_the_create_with_what_it_lacks(
    embedded_aws: EmbeddedAws,
    sources_cdk_out: Path,
    tmp_path: Path,
    version: str,
    missing: str,
) -> None:
    # GIVEN an import on an older boto3, from an asset without the shipped model
    source = next(s for s in SOURCES if s.name == "CustomImport")
    rehearsal = without_model(
        on_sdk(source.rehearsal(embedded_aws, sources_cdk_out), version), tmp_path
    )

    # WHEN CloudFormation creates it
    response = rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties())

    # THEN it fails with what botocore lacks and what to do, having made nothing
    assert response.status == "FAILED"
    assert f"the WorkSpaces model of botocore {version} {missing}" in response.reason
    assert "is missing from the function's code; synthesize the stack again" in response.reason
    assert made(rehearsal) == set()
    assert_nothing_scheduled(rehearsal)


def test_the_rollback_of_a_create_that_the_check_failed_succeeds(
    embedded_aws: EmbeddedAws, sources_cdk_out: Path, tmp_path: Path
) -> None:
    source = next(s for s in SOURCES if s.name == "CustomImport")
    rehearsal = without_model(
        on_sdk(source.rehearsal(embedded_aws, sources_cdk_out), "1.40.0"), tmp_path
    )
    failed = rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties())
    assert failed.status == "FAILED"

    deleted = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=failed.physical_id
    )

    assert deleted.status == "SUCCESS", deleted.reason
    assert_nothing_scheduled(rehearsal)
