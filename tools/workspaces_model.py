"""Write the API models that the Lambda asset carries (``make model``): WorkSpaces',
and SSM's for the state store.

Each is botocore's own model, from the botocore installed here (pinned in
requirements-dev.lock), trimmed to the operations the handler calls
(``sdk.OPERATIONS``, ``sdk.STATE_OPERATIONS``) and the shapes they reach,
without documentation, which botocore does not need to make calls.
tests/lambda/test_sdk.py fails when a committed file is not what this
writes, so a botocore upgrade changes the shipped models on purpose, in a
diff someone reads.

Usage: python -m tools.workspaces_model
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from botocore.loaders import Loader

# The handler's modules are top-level in Lambda; importing them through the
# cdk_workspace_image package would start the CDK for nothing.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambda" / "workspace_image"))
import sdk


def builtin_model(service: str = sdk.SERVICE, api_version: str = sdk.API_VERSION) -> dict[str, Any]:
    """botocore's own model of ``service``: its data folder only, never AWS_DATA_PATH or ~/.aws."""
    loader = Loader(
        extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False
    )
    return dict(loader.load_service_model(service, "service-2", api_version))


def _refs(shape: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The references a shape holds: members, list member, map key and value."""
    yield from shape.get("members", {}).values()
    for key in ("member", "key", "value"):
        if key in shape:
            yield shape[key]


def _undocumented(definition: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in definition.items() if key != "documentation"}


def reachable_shapes(model: dict[str, Any], operations: Iterable[str]) -> set[str]:
    """Every shape that the operations' input, output and errors lead to."""
    todo: list[str] = []
    for name in operations:
        operation = model["operations"][name]
        todo += [operation[key]["shape"] for key in ("input", "output") if key in operation]
        todo += [error["shape"] for error in operation.get("errors", [])]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [ref["shape"] for ref in _refs(model["shapes"][name])]
    return seen


def trimmed(model: dict[str, Any], operations: Iterable[str]) -> dict[str, Any]:
    """``model`` with only ``operations`` and the shapes they reach, in botocore's order."""
    wanted = set(operations)
    missing = wanted - set(model["operations"])
    if missing:
        service = model["metadata"]["serviceId"]
        raise SystemExit(f"botocore's {service} model has no {', '.join(sorted(missing))}")
    keep = reachable_shapes(model, wanted)
    operations_out = {}
    for name, operation in model["operations"].items():
        if name in wanted:
            operation = _undocumented(operation)
            if "errors" in operation:
                operation["errors"] = [_undocumented(error) for error in operation["errors"]]
            operations_out[name] = operation
    shapes_out = {}
    for name, shape in model["shapes"].items():
        if name in keep:
            shape = _undocumented(shape)
            if "members" in shape:
                shape["members"] = {
                    member: _undocumented(ref) for member, ref in shape["members"].items()
                }
            for key in ("member", "key", "value"):
                if key in shape:
                    shape[key] = _undocumented(shape[key])
            shapes_out[name] = shape
    return {
        "version": model["version"],
        "metadata": model["metadata"],
        "operations": operations_out,
        "shapes": shapes_out,
    }


def render(model: dict[str, Any]) -> str:
    """The file's text: one key a line, so that an upgrade's diff can be read."""
    return json.dumps(model, indent=1, ensure_ascii=False) + "\n"


def expected() -> str:
    """What the committed WorkSpaces model must be, from the botocore installed here."""
    return render(trimmed(builtin_model(), sdk.OPERATIONS))


def expected_state() -> str:
    """What the committed SSM model (the state store's) must be."""
    model = builtin_model(sdk.STATE_SERVICE, sdk.STATE_API_VERSION)
    return render(trimmed(model, sdk.STATE_OPERATIONS))


def main() -> int:
    for path, text, operations in (
        (sdk.MODEL_FILE, expected(), sdk.OPERATIONS),
        (sdk.STATE_MODEL_FILE, expected_state(), sdk.STATE_OPERATIONS),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path} ({len(operations)} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
