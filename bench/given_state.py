"""Run the rehearsal's Lambda bootstrap with the poll's state given, not read from SSM.

Usage: python -I -B bench/given_state.py ASSET_DIR HANDLER INVOCATION_JSON

BENCH_GIVEN_STATE names a JSON file with what the state store holds for the
resource (``{"Kind": ..., "Body": ...}``). The poll runs as in Lambda, but
``state.StateStore.get`` returns that schedule without an SSM client or a
GetParameter call: set beside a plain run, the difference is what reading
its state costs a poll (issue #16).
"""

import importlib
import json
import os
import runpy
import sys
from pathlib import Path

BOOTSTRAP = Path(__file__).resolve().parents[1] / "tests" / "rehearsal" / "lambda_bootstrap.py"

sys.path.insert(0, sys.argv[1])
state = importlib.import_module("state")
given = json.loads(Path(os.environ["BENCH_GIVEN_STATE"]).read_text())
schedule = state.Schedule(given["Kind"], given["Body"])
state.StateStore.get = lambda self, logical_id: schedule
sys.argv = [str(BOOTSTRAP), *sys.argv[1:]]
runpy.run_path(str(BOOTSTRAP), run_name="__main__")
