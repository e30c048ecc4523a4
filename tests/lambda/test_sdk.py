"""The API models the handler ships (WorkSpaces, SSM), and the check of the runtime's botocore."""

from __future__ import annotations

import ast
import copy
import json
import os
from pathlib import Path
from typing import Any

import botocore
import pytest
import sdk
import state
import workspaces
from botocore.loaders import create_loader
from botocore.model import ServiceModel

from tools import workspaces_model

SHIPPED: dict[str, Any] = json.loads(sdk.MODEL_FILE.read_text())
WORKSPACES_PY = Path(workspaces.__file__)
STATE_PY = Path(state.__file__)


def service_model(model: dict[str, Any] = SHIPPED) -> ServiceModel:
    return ServiceModel(model, service_name=sdk.SERVICE)


def without_member(operation: str, direction: str, member: str) -> dict[str, Any]:
    model = copy.deepcopy(SHIPPED)
    shape = model["operations"][operation][direction]["shape"]
    del model["shapes"][shape]["members"][member]
    return model


# --- where botocore looks ------------------------------------------------------------


def test_the_models_folder_goes_first_in_an_empty_data_path() -> None:
    assert sdk.data_path(None) == str(sdk.MODELS_DIR)


def test_the_models_folder_goes_before_what_the_data_path_had() -> None:
    result = sdk.data_path(os.pathsep.join(["/opt/models", "/more"]))

    assert result.split(os.pathsep) == [str(sdk.MODELS_DIR), "/opt/models", "/more"]


def test_setting_the_data_path_twice_keeps_one_entry() -> None:
    once = sdk.data_path("/opt/models")

    assert sdk.data_path(once) == once


def test_botocore_loads_the_shipped_model_through_the_data_path() -> None:
    loader = create_loader(sdk.data_path("/nowhere"))

    model, path = loader.load_data_with_path(f"{sdk.SERVICE}/{sdk.API_VERSION}/service-2")

    assert Path(path).parent == sdk.MODEL_FILE.parent
    assert sorted(model["operations"]) == sorted(sdk.OPERATIONS)


# --- the model's content -------------------------------------------------------------


def test_the_shipped_model_is_what_the_script_makes_from_the_installed_botocore() -> None:
    # A botocore upgrade changes it on purpose: run `make model` and read the diff.
    assert sdk.MODEL_FILE.read_text() == workspaces_model.expected(), "run `make model`"


def test_the_shipped_model_has_the_calls_of_workspaces_py_and_no_other() -> None:
    tree = ast.parse(WORKSPACES_PY.read_text())
    called = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "client"
        and node.func.attr != "get_paginator"
    }
    paginated = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_paginator"
        and isinstance(node.args[0], ast.Constant)
    }

    assert called | paginated == {botocore.xform_name(name) for name in sdk.OPERATIONS}


def test_the_shipped_model_has_the_members_that_arrived_late() -> None:
    model = service_model()

    for operation, direction, member, _since in sdk.LATE_MEMBERS:
        shape = getattr(model.operation_model(operation), f"{direction}_shape")
        assert member in shape.members, (operation, member)


def test_the_shipped_model_answers_in_json_which_botocore_1_40_speaks() -> None:
    # botocore 1.44 lists smithy-rpc-v2-cbor first; older ones pick from "protocols".
    assert "json" in SHIPPED["metadata"]["protocols"]


# --- the state store's SSM model -------------------------------------------------------


def state_calls() -> set[str]:
    """The SSM calls in state.py: what it calls on ``self._client()`` or on a
    ``client`` it is handed, and paginates."""
    found = set()
    for node in ast.walk(ast.parse(STATE_PY.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target = node.func.value
        handed = isinstance(target, ast.Name) and target.id == "client"
        if not handed and not (
            isinstance(target, ast.Call)
            and isinstance(target.func, ast.Attribute)
            and target.func.attr == "_client"
        ):
            continue
        if node.func.attr == "get_paginator":
            assert isinstance(node.args[0], ast.Constant)
            found.add(str(node.args[0].value))
        else:
            found.add(node.func.attr)
    return found


def test_botocore_loads_the_state_stores_ssm_model_through_the_data_path() -> None:
    loader = create_loader(sdk.data_path("/nowhere"))

    model, path = loader.load_data_with_path(
        f"{sdk.STATE_SERVICE}/{sdk.STATE_API_VERSION}/service-2"
    )

    assert Path(path).parent == sdk.STATE_MODEL_FILE.parent
    assert sorted(model["operations"]) == sorted(sdk.STATE_OPERATIONS)


def test_the_shipped_ssm_model_is_what_the_script_makes_from_the_installed_botocore() -> None:
    assert sdk.STATE_MODEL_FILE.read_text() == workspaces_model.expected_state(), "run `make model`"


def test_the_shipped_ssm_model_has_the_calls_of_state_py_and_no_other() -> None:
    assert state_calls() == {botocore.xform_name(name) for name in sdk.STATE_OPERATIONS}


# --- the check -----------------------------------------------------------------------


def test_the_shipped_model_on_the_pinned_botocore_passes_the_check() -> None:
    assert sdk.problem(service_model(), botocore.__version__) is None


def test_a_botocore_older_than_1_40_is_refused_by_name() -> None:
    found = sdk.problem(service_model(), "1.39.17")

    assert found is not None
    assert "botocore 1.39.17 is older than 1.40.0" in found


def test_a_model_without_a_call_names_the_call_and_the_shipped_file() -> None:
    model = copy.deepcopy(SHIPPED)
    del model["operations"]["ImportCustomWorkspaceImage"]

    found = sdk.problem(service_model(model), "1.40.0")

    assert found is not None
    assert "botocore 1.40.0 lacks ImportCustomWorkspaceImage" in found
    assert "did not load models/workspaces/2015-04-08/service-2.json" in found


def test_a_model_without_a_late_member_names_it_and_when_it_arrived() -> None:
    model = without_member("ImportCustomWorkspaceImage", "input", "ImageValidationMode")

    found = sdk.problem(service_model(model), "1.43.0")

    assert found is not None
    assert "lacks ImportCustomWorkspaceImage.ImageValidationMode (after 1.43.0)" in found


def test_a_model_missing_from_the_code_says_to_synthesize_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sdk, "MODEL_FILE", tmp_path / "models" / "service-2.json")
    model = copy.deepcopy(SHIPPED)
    del model["operations"]["DescribeCustomWorkspaceImageImport"]

    found = sdk.problem(service_model(model), "1.40.0")

    assert found is not None
    assert "is missing from the function's code; synthesize the stack again" in found


def test_the_reason_fits_cloudformation_when_every_call_is_missing() -> None:
    model = copy.deepcopy(SHIPPED)
    model["operations"] = {}

    found = sdk.problem(service_model(model), "1.40.0")

    assert found is not None
    assert f"and {len(sdk.OPERATIONS) - sdk.NAMED_AT_MOST} more" in found
    assert len(found) <= 256


def test_each_late_gap_refuses_only_the_call_that_needs_it() -> None:
    model = without_member("DescribeCustomWorkspaceImageImport", "output", "StateMessage")

    assert sdk.gaps(service_model(model), "1.42.0") == {
        "DescribeCustomWorkspaceImageImport": "DescribeCustomWorkspaceImageImport.StateMessage "
        "(1.42.24)"
    }


def test_below_the_oldest_botocore_every_call_is_refused() -> None:
    assert set(sdk.gaps(service_model(), "1.39.17")) == set(sdk.OPERATIONS)


class FakeClient:
    """A client as far as the check sees it, with one call of its own."""

    def __init__(self, model: ServiceModel) -> None:
        self.meta = type("Meta", (), {"service_model": model})()

    def describe_workspace_images(self, **_: Any) -> dict[str, Any]:
        return {"Images": []}


def client_with(monkeypatch: pytest.MonkeyPatch, model: dict[str, Any]) -> Any:
    """The handler's WorkSpaces client when boto3 makes one with ``model``."""
    made = FakeClient(service_model(model))
    monkeypatch.setattr(workspaces.boto3, "client", lambda *a, **k: made)
    return workspaces.WorkSpacesImages().client


def test_a_call_the_runtimes_model_lacks_fails_with_the_checks_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = copy.deepcopy(SHIPPED)
    del model["operations"]["ImportCustomWorkspaceImage"]
    client = client_with(monkeypatch, model)

    with pytest.raises(sdk.UnsupportedSdk, match="lacks ImportCustomWorkspaceImage: botocore"):
        client.import_custom_workspace_image(ImageName="golden")


def test_the_calls_the_runtimes_model_has_still_run_beside_a_refused_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = copy.deepcopy(SHIPPED)
    del model["operations"]["ImportCustomWorkspaceImage"]
    client = client_with(monkeypatch, model)

    assert client.describe_workspace_images(ImageIds=["wsi-123456789"]) == {"Images": []}


def test_a_client_whose_model_has_everything_is_used_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = client_with(monkeypatch, SHIPPED)

    assert isinstance(client, FakeClient)
