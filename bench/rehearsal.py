"""The embedded AWS of tests/rehearsal, plus a count of the handler's own API calls.

The handler runs in its own process with a User-Agent app id; a wrapper
around moto's WSGI dispatcher counts only requests that carry it, so the
benchmark's own listing of rules and targets is not counted.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from bench.synth_app import STACK_NAME, workspace_id
from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CloudFormation, SynthesizedStack
from tests.rehearsal.embedded_aws import EmbeddedAws

HANDLER_APP_ID = "cdk-wsi-bench-handler"
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")
LAMBDA_POLICY = re.compile(r"^/[^/]+/functions/[^/]+/policy(/[^/]+)?$")
LAMBDA_POLICY_ACTIONS = {"POST": "AddPermission", "DELETE": "RemovePermission", "GET": "GetPolicy"}


class CallLog:
    """API calls made by the handler's processes, as (service, action)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, str]] = Counter()

    def record(self, environ: dict[str, Any]) -> None:
        if HANDLER_APP_ID not in environ.get("HTTP_USER_AGENT", ""):
            return
        scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = scope.group(1) if scope else "unknown"
        with self._lock:
            self._calls[(service, _action(environ))] += 1

    def snapshot(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter(self._calls)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()


def _action(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
    if LAMBDA_POLICY.match(path) and method in LAMBDA_POLICY_ACTIONS:
        return LAMBDA_POLICY_ACTIONS[method]
    return f"{method} {path}"


@contextmanager
def embedded_aws(workdir: Path) -> Iterator[tuple[EmbeddedAws, CallLog]]:
    """The rehearsal's moto server and HTTPS endpoint, counting the handler's calls."""
    log = CallLog()
    original = DomainDispatcherApplication.__call__

    def counting(
        self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any
    ) -> Any:
        log.record(environ)
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = counting  # type: ignore[method-assign]
    aws = EmbeddedAws(workdir).start()
    try:
        yield aws, log
    finally:
        aws.stop()
        DomainDispatcherApplication.__call__ = original  # type: ignore[method-assign]


@dataclass
class Rehearsal:
    """One image of the bench app, its function deployed to a fresh embedded account."""

    aws: EmbeddedAws
    cfn: CloudFormation
    logical_id: str
    properties: dict[str, Any]

    @staticmethod
    def start(aws: EmbeddedAws, cdk_out: Path) -> Rehearsal:
        aws.reset()
        fake_workspaces.seed_workspace(workspace_id(0))
        stack = SynthesizedStack.load(cdk_out, STACK_NAME)
        function = aws.deploy_function(stack.template, cdk_out, STACK_NAME)
        function.environment["AWS_SDK_UA_APP_ID"] = HANDLER_APP_ID
        (logical_id,) = stack.image_resources()
        properties = stack.properties(logical_id, function.arn)
        properties.pop("ServiceToken")
        return Rehearsal(
            aws, CloudFormation(aws, function, stack_name=STACK_NAME), logical_id, properties
        )

    def image_ids(self) -> list[str]:
        """Read from the fake directly: an API call here would be counted."""
        return list(fake_workspaces.backend().workspace_images)
