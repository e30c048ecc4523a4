"""The WorkSpaces API model that the function brings, and the check that botocore uses it.

The Lambda runtime's boto3 is whatever AWS bundled, and it changes without
notice. The handler needs calls and members that older botocore models lack
(botocore CHANGELOG): ImportCustomWorkspaceImage and
DescribeCustomWorkspaceImageImport arrived in 1.40.10, StateMessage and
ProgressPercentage in 1.42.24, ImageValidationMode after 1.43.0. An older model
fails the call with AttributeError or ParamValidationError, or silently
drops the progress.

So the asset carries botocore's WorkSpaces model, trimmed to ``OPERATIONS``
and the shapes they reach (``make model`` writes it from the pinned botocore:
tools/workspaces_model.py). Its folder goes first in ``AWS_DATA_PATH``
(``data_path``): botocore's Loader searches those folders
(``<service>/<api-version>/service-2.json``) before its own data. A session
reads the variable once, when it is made, so index.py sets it before
anything else runs.

The asset also carries SSM's model, trimmed to ``STATE_OPERATIONS`` (the state
store's calls, state.py), for time rather than for an old runtime: every poll
makes an SSM client first, and loading botocore's full SSM model (nearly 1 MB
of JSON, some 150 operations) was a large part of what a cold poll costs
over a bare call (bench/RESULTS.md). Its endpoint rules and paginators still come from the
runtime's botocore.

``checked`` looks at the first WorkSpaces client of an execution environment.
When the runtime's botocore is older than the rehearsal proves, or its model
lacks something the handler needs, the calls that need it fail the request
with a plain message that names what is missing; the others still run, so
that the rollback of a failed Create can still clean up (docs/runtime-sdk.md).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import botocore

logger = logging.getLogger(__name__)

SERVICE = "workspaces"
API_VERSION = "2015-04-08"
# A folder for AWS_DATA_PATH: <service>/<api-version>/service-2.json.
MODELS_DIR = Path(__file__).resolve().with_name("models")
SHIPPED_AS = f"{MODELS_DIR.name}/{SERVICE}/{API_VERSION}/service-2.json"
MODEL_FILE = MODELS_DIR.parent / SHIPPED_AS
DATA_PATH_VARIABLE = "AWS_DATA_PATH"

# The oldest botocore that the rehearsal runs the handler on (docs/runtime-sdk.md).
OLDEST_BOTOCORE = "1.40.0"

# Every WorkSpaces operation the handler calls (workspaces.py, the one place
# that calls WorkSpaces). The shipped model has these and nothing else; a
# test keeps this list equal to the calls in workspaces.py.
OPERATIONS = (
    "CreateWorkspaceImage",
    "CopyWorkspaceImage",
    "CreateUpdatedWorkspaceImage",
    "ImportWorkspaceImage",
    "ImportCustomWorkspaceImage",
    "DescribeCustomWorkspaceImageImport",
    "DescribeWorkspaceImages",
    "DescribeWorkspaceImagePermissions",
    "UpdateWorkspaceImagePermission",
    "DeleteWorkspaceImage",
    "DescribeTags",
    "CreateTags",
    "DeleteTags",
    "CreateWorkspaceBundle",
    "DescribeWorkspaceBundles",
    "UpdateWorkspaceBundle",
    "DeleteWorkspaceBundle",
)

# The state store's calls (state.py), and SSM's model trimmed to them: every
# poll reads its state first. A test keeps this list equal to state.py's calls.
STATE_SERVICE = "ssm"
STATE_API_VERSION = "2014-11-06"
STATE_OPERATIONS = ("GetParameter", "PutParameter", "DeleteParameter", "GetParametersByPath")
STATE_MODEL_FILE = MODELS_DIR / STATE_SERVICE / STATE_API_VERSION / "service-2.json"

# Members the handler sends ("input") or reads ("output") that arrived late,
# and when (botocore CHANGELOG).
LATE_MEMBERS = (
    ("ImportCustomWorkspaceImage", "input", "ImageValidationMode", "after 1.43.0"),
    ("DescribeCustomWorkspaceImageImport", "output", "StateMessage", "1.42.24"),
    ("DescribeCustomWorkspaceImageImport", "output", "ProgressPercentage", "1.42.24"),
)
# Named in a message before "and N more": a reason must fit in 256 characters.
NAMED_AT_MOST = 3


class UnsupportedSdk(Exception):
    """The runtime's botocore cannot make the handler's WorkSpaces calls; the
    message says what is missing."""


def data_path(current: str | None) -> str:
    """AWS_DATA_PATH with the shipped model's folder first, keeping what was there."""
    folder = str(MODELS_DIR)
    others = [path for path in (current or "").split(os.pathsep) if path and path != folder]
    return os.pathsep.join([folder, *others])


def version_tuple(version: str) -> tuple[int, ...]:
    """``"1.40.0"`` as ``(1, 40, 0)``; anything after the numbers is ignored."""
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def _has_member(service_model: Any, operation: str, direction: str, member: str) -> bool:
    shape = getattr(service_model.operation_model(operation), f"{direction}_shape")
    return shape is not None and member in shape.members


def gaps(service_model: Any, botocore_version: str = botocore.__version__) -> dict[str, str]:
    """The handler's operations that this model cannot serve, each with what it lacks.

    Below OLDEST_BOTOCORE, every operation: the rehearsal proves nothing there.
    """
    if version_tuple(botocore_version) < version_tuple(OLDEST_BOTOCORE):
        return dict.fromkeys(OPERATIONS, f"botocore {OLDEST_BOTOCORE}")
    known = set(service_model.operation_names)
    found = {operation: operation for operation in OPERATIONS if operation not in known}
    for operation, direction, member, since in LATE_MEMBERS:
        if operation not in found and not _has_member(service_model, operation, direction, member):
            found[operation] = f"{operation}.{member} ({since})"
    return found


def problem(service_model: Any, botocore_version: str = botocore.__version__) -> str | None:
    """What keeps the handler from some of its WorkSpaces calls with this model, or None."""
    if version_tuple(botocore_version) < version_tuple(OLDEST_BOTOCORE):
        return (
            f"the Lambda runtime's botocore {botocore_version} is older than {OLDEST_BOTOCORE}, "
            "the oldest this provider runs on; choose a newer Lambda runtime"
        )
    missing = list(dict.fromkeys(gaps(service_model, botocore_version).values()))
    if not missing:
        return None
    named = ", ".join(missing[:NAMED_AT_MOST])
    if len(missing) > NAMED_AT_MOST:
        named += f" and {len(missing) - NAMED_AT_MOST} more"
    why = (
        f"botocore did not load {SHIPPED_AS} from the function's code"
        if MODEL_FILE.is_file()
        else f"{SHIPPED_AS} is missing from the function's code; synthesize the stack again"
    )
    return f"the WorkSpaces model of botocore {botocore_version} lacks {named}: {why}"


class RefusingClient:
    """A WorkSpaces client whose model cannot serve some calls: those raise UnsupportedSdk
    with the check's message, instead of AttributeError or ParamValidationError (or
    a response without the members the handler reads); every other call goes through,
    so that a Delete can still clean up on the runtime's own model."""

    def __init__(self, client: Any, refused: set[str], message: str) -> None:
        self._client = client
        self._refused = refused
        self._message = message

    def __getattr__(self, name: str) -> Any:
        if name in self._refused:
            raise UnsupportedSdk(self._message)
        return getattr(self._client, name)


def checked(client: Any, botocore_version: str = botocore.__version__) -> Any:
    """``client`` itself when its model serves every call the handler makes; otherwise
    a RefusingClient, and one warning in the log that says what is missing."""
    model = client.meta.service_model
    message = problem(model, botocore_version)
    if message is None:
        return client
    refused = gaps(model, botocore_version)
    logger.warning("sdk:incomplete", extra={"problem": message, "refused": sorted(refused)})
    return RefusingClient(client, {botocore.xform_name(name) for name in refused}, message)
