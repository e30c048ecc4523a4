"""Run the rehearsal's Lambda bootstrap with crhelper's boto3 clients made lazily.

Usage: python -I bench/lazy_clients.py ASSET_DIR HANDLER INVOCATION_JSON

This measures the handler change proposed in RESULTS.md without making it:
crhelper 2.0.12 creates lambda, events and logs clients when ``CfnResource()``
is constructed, yet a poll that keeps waiting uses none of them and nothing
ever uses the logs client.
"""

import importlib
import runpy
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3

BOOTSTRAP = Path(__file__).resolve().parents[1] / "tests" / "rehearsal" / "lambda_bootstrap.py"


class LazyClient:
    """Stands in for ``boto3.client(...)`` until an attribute is first used."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args, self._kwargs, self._client = args, kwargs, None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = boto3.client(*self._args, **self._kwargs)
        return getattr(self._client, name)


sys.path.insert(0, sys.argv[1])
resource_helper: Any = importlib.import_module("crhelper.resource_helper")
resource_helper.boto3 = SimpleNamespace(client=LazyClient)
sys.argv = [str(BOOTSTRAP), *sys.argv[1:]]
runpy.run_path(str(BOOTSTRAP), run_name="__main__")
