"""What a cold start imports: a poll, the most frequent invocation, compiles only
the modules it runs (Lambda's code directory keeps no .pyc; bench/RESULTS.md)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

RUNTIME_DIR = ROOT / "lambda" / "workspace_image"
# Read only by a Create, an Update or a Delete, or by another resource type.
NOT_FOR_A_POLL = (
    "properties",
    "updates",
    "source_updates",
    "bundle_decisions",
    "sources",
    "bundles",
    "updated",
)


def imported_by_index() -> set[str]:
    """The handler's modules that importing index imports, in a fresh interpreter."""
    script = (
        "import json, sys; "
        f"sys.path.insert(0, {str(RUNTIME_DIR)!r}); "
        "import index; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-B", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"AWS_REGION": "us-east-1"},
    )
    handler_modules = {path.stem for path in RUNTIME_DIR.glob("*.py")}
    return set(json.loads(result.stdout)) & handler_modules


def test_a_cold_start_imports_none_of_the_decisions_a_poll_does_not_run() -> None:
    # GIVEN the handler's folder as Lambda's code directory
    # WHEN a cold start imports index
    imported = imported_by_index()

    # THEN the poll's modules are there, and none of what only other requests read
    assert {"index", "images", "polls", "discard", "polling_helper", "state"} <= imported
    assert imported.isdisjoint(NOT_FOR_A_POLL), sorted(imported & set(NOT_FOR_A_POLL))
