"""moto's WorkSpaces, extended with what the service does and moto lacks.

moto 5.2 creates images already AVAILABLE, has no DeleteWorkspaceImage,
DeleteTags or bundle calls, and drops CreateTags on image ids (see
../shared/FACTS.md). This
module registers the missing behaviour on moto's own response and backend
classes, so that the handler, running unmodified in its own process against
moto's server, meets an API that behaves like the real one:

- CreateWorkspaceImage checks that the source WorkSpace is AVAILABLE and
  makes a PENDING image; tests then move it to AVAILABLE or ERROR.
- DeleteWorkspaceImage refuses while a bundle uses the image
  (ResourceAssociatedException), while it is shared or while it is PENDING
  (InvalidResourceStateException), and is a no-op for unknown ids.
- UpdateWorkspaceImagePermission refuses to revoke a share that does not
  exist (ResourceNotFoundException) and an unknown image
  (ResourceNotFoundException, where moto would answer 500).
- Create, Update, Delete and DescribeWorkspaceBundles exist, so that an image
  can be put in a bundle and its delete refused for that. Bundles have a
  State (AVAILABLE, or PENDING/ERROR through the switches below).
- CreateTags, DeleteTags and DescribeTags work on images and bundles.
- The other ways to make an image exist, each checked against botocore's
  model of its request (InvalidParameterValuesException) and each making a
  PENDING image of the account that records its source (``image_source()``):
  ImportWorkspaceImage (a BYOL image of an AMI of the account, see
  ``seed_ami``), ImportCustomWorkspaceImage with
  DescribeCustomWorkspaceImageImport (an import record whose stages
  ``advance_imports`` and ``fail_import`` move on), CopyWorkspaceImage (from
  this or another Region, SECOND_REGION, or an image another account shared
  with this one, see ``seed_image``) and CreateUpdatedWorkspaceImage (when
  DescribeWorkspaceImages' ``Updates`` says one is available, see
  ``set_update_available``). ``finish_pending_images()`` completes imports too.
- Every call of a WorkSpaces action in ACTIONS, an EventBridge action in
  EVENTS_ACTIONS and a Lambda action in LAMBDA_ACTIONS is counted in
  ``faults.calls`` and can be given faults.

One Lambda gap is closed too: AddPermission with a statement id that is
already there fails with ResourceConflictException (HTTP 409), as Lambda does.

Fault switches, all OFF until set and all cleared by ``faults.reset()``
(which EmbeddedAws.reset calls):

- ``faults.inject(action, error_type, message, times=1)``: the next ``times``
  calls of ``action`` answer HTTP 400 ``error_type``. Any wrapped action of
  the three services.
- ``faults.deny(action, seconds, resource=None)``: IAM not yet propagated.
  For ``seconds`` of virtual time (``seconds * SLEEP_SCALE`` real seconds;
  ``float("inf")`` for ever) ``action`` answers AccessDeniedException in
  AWS's words (HTTP 400; 403 for Lambda, as Lambda does). With ``resource``,
  only requests that name it are denied (CreateWorkspaceImage: its
  WorkspaceId; otherwise any request value, Lambda's function name or ARN
  and statement id included). A denial is decided before an injected fault,
  and does not use one up.
- ``faults.fail_entries(action, times=1, error_code=..., error_message=None)``:
  PutTargets / RemoveTargets answer HTTP 200 with every entry in
  ``FailedEntries`` and change nothing, ``times`` times.
- ``faults.policy_conflicts(seconds)``: Lambda's overlapping-update
  ResourceConflictException for an AddPermission / RemovePermission on a
  function whose policy changed less than ``seconds`` real seconds ago.
- ``faults.pending_bundles = True``: new bundles are born PENDING, and
  UpdateWorkspaceBundle puts a bundle back to PENDING; ``finish_pending_bundles()``
  and ``set_bundle_state()`` move them on.
- ``faults.hide_new_bundles(times)``: eventual consistency; the next
  ``times`` DescribeWorkspaceBundles calls with BundleIds leave out bundles
  created after the switch was set.
- ``faults.throttle(rate, burst, actions=None, scale=SLEEP_SCALE)``: the
  service's request rate limit, a token bucket per action (every WorkSpaces
  action in ACTIONS when ``actions`` is None). Each bucket holds ``burst``
  calls and refills at ``rate`` calls per virtual second (``rate / scale``
  per real second; ``scale`` must be the handler's sleep scale, so that its
  backoff meets the bucket as it would in AWS); a call that finds its bucket
  empty answers
  ThrottlingException "Rate exceeded" (HTTP 400), as WorkSpaces does, and
  is counted in ``faults.throttled``. A throttled call uses no token and no
  injected fault; a denial is decided first.
- ``faults.hold_bundle_names(seconds=7200)``: the Administration Guide's "Wait
  at least 2 hours after deleting a bundle before creating a new bundle with
  the same name". A bundle deleted while the switch is on holds its name for
  ``seconds`` of the fake's virtual clock, which only ``faults.advance(seconds)``
  moves: CreateWorkspaceBundle of that name answers
  ResourceAlreadyExistsException, in the words it uses for a bundle that
  exists. The real error is not documented (docs/assumptions.md).

Modelled behaviours, ON until switched off (and back on by ``reset()``):

- ``faults.allow_pending_image_delete = True`` lets DeleteWorkspaceImage
  delete a PENDING image.
- ``faults.allow_unshare_of_unshared = True`` makes revoking a share that
  does not exist a silent no-op, as moto does.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import botocore.session
from moto.awslambda.policy import Policy
from moto.awslambda.responses import LambdaResponse
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import unix_time
from moto.events.responses import EventsHandler
from moto.moto_api._internal import mock_random
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.workspaces import models as ws_models
from moto.workspaces.exceptions import ResourceAlreadyExistsException, ResourceNotFoundException
from moto.workspaces.models import Workspace, WorkSpacesBackend
from moto.workspaces.responses import WorkSpacesResponse

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# A second Region, for CopyWorkspaceImage; a client signed for it reaches its backend.
SECOND_REGION = "us-west-2"
REGIONS = (REGION, SECOND_REGION)
# The Lambda process under test sleeps SLEEP_SCALE real seconds per virtual second.
SLEEP_SCALE = 0.02
# Who a denial names as the caller: the provider function's assumed role.
DENIED_PRINCIPAL = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/provider-role/fn"


class ServiceError(JsonRESTError):
    code = 400

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(error_type, message)
        self.code = status


@dataclass(frozen=True)
class Request:
    """What a fault needs to know about one call."""

    service: str  # IAM service prefix: workspaces, events, lambda
    action: str
    params: dict[str, Any]
    # Lambda only: the function named in the path, as a bare name.
    function_name: str = ""
    # The Region the request was signed for.
    region: str = REGION

    def values(self) -> set[str]:
        """Every scalar value in the request, for ``deny(..., resource=...)``."""
        found = {str(value) for value in _scalars(self.params)}
        if self.function_name:
            found |= {self.function_name, _function_arn(self.function_name)}
        return found

    def names(self, resource: str) -> bool:
        if self.action == "CreateWorkspaceImage":
            return bool(self.params.get("WorkspaceId") == resource)
        return resource in self.values()

    def resource_arn(self) -> str:
        """The resource a denial names; best effort, "*" when IAM has none."""
        prefix = f"arn:aws:{self.service}:{self.region}:{ACCOUNT_ID}"
        params = self.params
        if self.action in NO_RESOURCE_ACTIONS:
            return "*"
        if self.action == "CopyWorkspaceImage" and params.get("SourceImageId"):
            source_prefix = f"arn:aws:workspaces:{params.get('SourceRegion') or self.region}"
            return f"{source_prefix}:{ACCOUNT_ID}:workspaceimage/{params['SourceImageId']}"
        if self.action == "CreateUpdatedWorkspaceImage" and params.get("SourceImageId"):
            return f"{prefix}:workspaceimage/{params['SourceImageId']}"
        if self.service == "lambda":
            return _function_arn(self.function_name) if self.function_name else "*"
        if self.service == "events":
            rule = params.get("Rule") or params.get("Name")
            if not rule:
                return "*"
            bus = str(params.get("EventBusName") or "default").split("/")[-1]
            return f"{prefix}:rule/{rule}" if bus == "default" else f"{prefix}:rule/{bus}/{rule}"
        if self.action == "CreateWorkspaceImage" and params.get("WorkspaceId"):
            return f"{prefix}:workspace/{params['WorkspaceId']}"
        if params.get("BundleId"):
            return f"{prefix}:workspacebundle/{params['BundleId']}"
        if params.get("ImageId"):
            return f"{prefix}:workspaceimage/{params['ImageId']}"
        return "*"


def _scalars(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    elif value is not None:
        yield value


def _function_name(name_or_arn: str) -> str:
    """A function's bare name from a name, partial ARN or ARN (qualifier dropped)."""
    name_or_arn = unquote(name_or_arn)
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":")[6]
    return name_or_arn.split(":")[0]


def _function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"


@dataclass
class _Bucket:
    """A token bucket: ``burst`` calls at once, refilled at ``rate`` per virtual second."""

    rate: float
    burst: int
    # real seconds per virtual second
    scale: float
    tokens: float
    # time.monotonic() of the last refill
    at: float

    def take(self, now: float) -> bool:
        """Take one token if there is one; False means the call is throttled."""
        refill = (now - self.at) / self.scale * self.rate
        self.tokens = min(float(self.burst), self.tokens + refill)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class _Denial:
    action: str
    seconds: float  # virtual seconds; math.inf for ever
    resource: str | None
    # time.monotonic() of the first call denied, which starts the clock
    since: float | None = None


class Faults:
    """Errors to return instead of serving an action, and a log of calls."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.calls: Counter[str] = Counter()
        self._pending: dict[str, list[tuple[str, str]]] = {}
        self._denials: list[_Denial] = []
        self._entry_failures: dict[str, list[tuple[str, str | None]]] = {}
        self._conflict_window: float | None = None
        self._policy_changed: dict[str, float] = {}
        self._hide_after = 0
        self._hide_times = 0
        self._buckets: dict[str, _Bucket] = {}
        # Calls answered ThrottlingException by ``throttle``, by action.
        self.throttled: Counter[str] = Counter()
        self._name_hold: float | None = None
        self._held_names: dict[str, float] = {}
        self.clock = 0.0
        # Switches a test sets directly (see the module docstring).
        self.pending_bundles = False
        self.allow_pending_image_delete = False
        self.allow_unshare_of_unshared = False

    # --- injected errors ------------------------------------------------------

    def inject(self, action: str, error_type: str, message: str, times: int = 1) -> None:
        with self._lock:
            self._pending.setdefault(action, []).extend([(error_type, message)] * times)

    def take(self, action: str) -> tuple[str, str] | None:
        """Count a call of ``action`` and hand out its next injected error, if any."""
        with self._lock:
            self.calls[action] += 1
            return self._pop(action)

    def _pop(self, action: str) -> tuple[str, str] | None:
        with self._lock:
            queue = self._pending.get(action)
            return queue.pop(0) if queue else None

    # --- IAM propagation ------------------------------------------------------

    def deny(self, action: str, seconds: float, resource: str | None = None) -> None:
        """Deny ``action`` (on ``resource`` only, if given) for ``seconds`` virtual seconds.

        The time counts from the first call that is denied, so that it is
        measured in the handler's (scaled) time, not in how long its process
        took to start.
        """
        with self._lock:
            self._denials.append(_Denial(action, seconds, resource))

    def denial(self, request: Request) -> ServiceError | None:
        """The AccessDeniedException that ``request`` gets now, if IAM denies it."""
        now = time.monotonic()
        with self._lock:
            denied = False
            for denial in self._denials:
                if denial.action != request.action or not (
                    denial.resource is None or request.names(denial.resource)
                ):
                    continue
                if denial.since is None:
                    denial.since = now
                if now - denial.since < denial.seconds * SLEEP_SCALE:
                    denied = True
        if not denied:
            return None
        permission = f"{request.service}:{request.action}"
        return ServiceError(
            "AccessDeniedException",
            f"User: {DENIED_PRINCIPAL} is not authorized to perform: {permission} "
            f"on resource: {request.resource_arn()} "
            f"because no identity-based policy allows the {permission} action",
            status=403 if request.service == "lambda" else 400,
        )

    # --- request rate -----------------------------------------------------------

    def throttle(
        self,
        rate: float,
        burst: int,
        actions: Iterable[str] | None = None,
        scale: float = SLEEP_SCALE,
    ) -> None:
        """Limit each action (every WorkSpaces action if None) to ``rate`` calls per
        virtual second (``scale`` real seconds), with bursts of ``burst``; each
        bucket starts full."""
        if rate <= 0 or burst < 1:
            raise ValueError(f"throttle needs rate > 0 and burst >= 1, not {rate} and {burst}")
        now = time.monotonic()
        with self._lock:
            for action in ACTIONS if actions is None else actions:
                self._buckets[action] = _Bucket(rate, burst, scale, float(burst), now)

    def unthrottle(self) -> None:
        """Serve every call again (the counts in ``throttled`` stay)."""
        with self._lock:
            self._buckets = {}

    def _throttled(self, request: Request) -> ServiceError | None:
        """The ThrottlingException that ``request`` gets now, if its bucket is empty."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(request.action)
            if bucket is None or bucket.take(now):
                return None
            self.throttled[request.action] += 1
        return ServiceError("ThrottlingException", "Rate exceeded")

    # --- EventBridge partial failures -----------------------------------------

    def fail_entries(
        self,
        action: str,
        times: int = 1,
        error_code: str = "ConcurrentModificationException",
        error_message: str | None = None,
    ) -> None:
        """The next ``times`` PutTargets/RemoveTargets fail every entry, with HTTP 200.

        ``error_message`` defaults to "Rule <the rule's name> is being modified."
        """
        if action not in ("PutTargets", "RemoveTargets"):
            raise ValueError(f"fail_entries is for PutTargets or RemoveTargets, not {action}")
        with self._lock:
            self._entry_failures.setdefault(action, []).extend(
                [(error_code, error_message)] * times
            )

    def _has_entry_failure(self, action: str) -> bool:
        with self._lock:
            return bool(self._entry_failures.get(action))

    def _take_entry_failure(self, action: str) -> tuple[str, str | None] | None:
        with self._lock:
            queue = self._entry_failures.get(action)
            return queue.pop(0) if queue else None

    # --- Lambda resource-policy conflicts -------------------------------------

    def policy_conflicts(self, seconds: float) -> None:
        """Policy changes less than ``seconds`` (real) apart conflict, per function."""
        with self._lock:
            self._conflict_window = seconds

    def _begin_policy_change(self, function_name: str) -> float | None:
        """Mark a policy change as started; raise the conflict if one is in progress.

        Returns the previous change's time, to restore if this change fails.
        """
        now = time.monotonic()
        with self._lock:
            previous = self._policy_changed.get(function_name)
            window = self._conflict_window
            if window is not None and previous is not None and now - previous < window:
                raise ServiceError(
                    "ResourceConflictException",
                    "The operation cannot be performed at this time. An update is in "
                    f"progress for resource: {_function_arn(function_name)}",
                    status=409,
                )
            self._policy_changed[function_name] = now
            return previous

    def _abandon_policy_change(self, function_name: str, previous: float | None) -> None:
        with self._lock:
            if previous is None:
                self._policy_changed.pop(function_name, None)
            else:
                self._policy_changed[function_name] = previous

    # --- bundles --------------------------------------------------------------

    def hide_new_bundles(self, times: int) -> None:
        """The next ``times`` DescribeWorkspaceBundles by id miss bundles made from now on."""
        with self._lock:
            self._hide_after = next(_bundle_serials)
            self._hide_times = times

    def _hidden_after(self) -> int | None:
        """Use up one hiding describe: bundles with a larger serial are left out."""
        with self._lock:
            if self._hide_times <= 0:
                return None
            self._hide_times -= 1
            return self._hide_after

    # --- all of them ----------------------------------------------------------

    # --- bundle names after a delete ------------------------------------------

    def hold_bundle_names(self, seconds: float = 2 * 3600) -> None:
        """A deleted bundle's name cannot be reused for ``seconds`` of virtual time."""
        with self._lock:
            self._name_hold = seconds

    def advance(self, seconds: float) -> None:
        """Move the fake's virtual clock (what ``hold_bundle_names`` counts in)."""
        with self._lock:
            self.clock += seconds

    def _bundle_deleted(self, name: str) -> None:
        with self._lock:
            if self._name_hold is not None:
                self._held_names[name] = self.clock

    def _name_held(self, name: str) -> bool:
        with self._lock:
            deleted_at = self._held_names.get(name)
            return (
                deleted_at is not None
                and self._name_hold is not None
                and self.clock - deleted_at < self._name_hold
            )

    def reset(self) -> None:
        with self._lock:
            self._pending = {}
            self.calls.clear()
            self._denials = []
            self._entry_failures = {}
            self._conflict_window = None
            self._policy_changed = {}
            self._hide_after = 0
            self._hide_times = 0
            self._buckets = {}
            self.throttled.clear()
            self._name_hold = None
            self._held_names = {}
            self.clock = 0.0
            self.pending_bundles = False
            self.allow_pending_image_delete = False
            self.allow_unshare_of_unshared = False


_bundle_serials = itertools.count(1)
faults = Faults()

# Image ids that a (pretend) bundle uses.
images_in_use: set[str] = set()
# Bundle ids that (pretend) WorkSpaces were launched from.
bundles_in_use: set[str] = set()


def backend(region: str = REGION) -> WorkSpacesBackend:
    return ws_models.workspaces_backends[ACCOUNT_ID][region]


def _find_image(image_id: str) -> tuple[WorkSpacesBackend, Any]:
    """The account's image with this id, in whichever of REGIONS holds it (KeyError if none)."""
    for region in REGIONS:
        images = backend(region).workspace_images
        if image_id in images:
            return backend(region), images[image_id]
    raise KeyError(image_id)


def seed_workspace(workspace_id: str | None = None, state: str = "AVAILABLE") -> str:
    """Put a source WorkSpace in the fake, as an administrator would have prepared it."""
    workspace = Workspace(
        workspace={
            "DirectoryId": "d-0123456789",
            "BundleId": "wsb-0123456789",
            "UserName": "golden",
        },
        running_mode="AUTO_STOP",
        error_code="",
        error_msg="",
    )
    workspace.state = state
    if workspace_id:
        workspace.workspace_id = workspace_id
    backend().workspaces[workspace.workspace_id] = workspace
    return workspace.workspace_id


def set_image_state(
    image_id: str,
    state: str,
    *,
    error_code: str = "",
    error_message: str = "",
    error_details: list[dict[str, str]] | None = None,
) -> None:
    owner_backend, image = _find_image(image_id)
    image.state = state
    if state != "PENDING":
        _release_source(owner_backend, image)
    image.error_code = error_code
    image.error_message = error_message
    image.error_details = error_details or []


def finish_pending_images() -> None:
    """Every PENDING image becomes AVAILABLE, as when the service is done building.

    Every unfinished custom image import (ImportCustomWorkspaceImage) is
    COMPLETED first; both of REGIONS are served.
    """
    _advance_imports(len(IMPORT_STAGES))
    for region in REGIONS:
        for image_id, image in list(backend(region).workspace_images.items()):
            if image.state == "PENDING":
                set_image_state(image_id, "AVAILABLE")


def image_tags(image_id: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in _find_image(image_id)[1].tags}


def set_bundle_state(bundle_id: str, state: str) -> None:
    """Move a bundle to PENDING, AVAILABLE or ERROR (the API model's three states)."""
    if state not in BUNDLE_STATES:
        raise ValueError(f"a bundle's state is one of {BUNDLE_STATES}, not {state}")
    _bundles(backend())[bundle_id].state = state


def finish_pending_bundles() -> None:
    """Every PENDING bundle becomes AVAILABLE."""
    for bundle in _bundles(backend()).values():
        if bundle.state == "PENDING":
            bundle.state = "AVAILABLE"


# --- backend behaviour -------------------------------------------------------

_original_create_image = WorkSpacesBackend.create_workspace_image


def _create_workspace_image(
    self: WorkSpacesBackend,
    name: str,
    description: str,
    workspace_id: str,
    tags: list[dict[str, str]],
) -> dict[str, Any]:
    workspace = self.workspaces.get(workspace_id)
    if workspace is not None and workspace.state != "AVAILABLE":
        raise ServiceError(
            "InvalidResourceStateException",
            f"The WorkSpace {workspace_id} must be AVAILABLE to create an image; "
            f"it is {workspace.state}.",
        )
    result = _original_create_image(self, name, description, workspace_id, list(tags or []))
    image = self.workspace_images[result["ImageId"]]
    image.state = "PENDING"
    image.operating_system = {"Type": "WINDOWS"}
    # The source WorkSpace is unavailable while it is imaged (modelled as UPDATING).
    image.source_workspace_id = workspace_id
    if workspace is not None:
        workspace.state = "UPDATING"
    return {**result, "State": "PENDING", "OperatingSystem": image.operating_system}


def _delete_workspace_image(self: WorkSpacesBackend, image_id: str) -> None:
    image = self.workspace_images.get(image_id)
    if image is None:
        return
    if image.state == "PENDING" and not faults.allow_pending_image_delete:
        raise ServiceError(
            "InvalidResourceStateException",
            f"The image {image_id} is PENDING; it can be deleted once it is AVAILABLE or ERROR.",
        )
    if image_id in images_in_use or any(
        bundle.image_id == image_id for bundle in _bundles(self).values()
    ):
        raise ServiceError(
            "ResourceAssociatedException", f"The image {image_id} is associated with a bundle."
        )
    if image.image_permissions:
        raise ServiceError(
            "InvalidResourceStateException", f"The image {image_id} is shared with other accounts."
        )
    del self.workspace_images[image_id]
    _imports(self).pop(image_id, None)
    _release_source(self, image)


_original_update_permission = WorkSpacesBackend.update_workspace_image_permission


def _update_workspace_image_permission(
    self: WorkSpacesBackend, image_id: str, allow_copy_image: bool, shared_account_id: str
) -> None:
    """Share or unshare; unsharing what is not shared is refused, as the API reference says.

    "This permission can be revoked only after an image has been shared." The
    error is not documented; ResourceNotFoundException is in the call's model.
    moto itself ignores such a revoke, and answers 500 for an unknown image.
    """
    image = self.workspace_images.get(image_id)
    if image is None:
        raise ResourceNotFoundException(f"The image {image_id} could not be found.")
    shared = {"SharedAccountId": shared_account_id} in image.image_permissions
    if not allow_copy_image and not shared and not faults.allow_unshare_of_unshared:
        raise ResourceNotFoundException(
            f"The image {image_id} is not shared with account {shared_account_id}."
        )
    _original_update_permission(self, image_id, allow_copy_image, shared_account_id)


def _release_source(self: WorkSpacesBackend, image: Any) -> None:
    """An image that is done (or deleted) gives its source WorkSpace back."""
    workspace = self.workspaces.get(getattr(image, "source_workspace_id", ""))
    if workspace is not None and workspace.state == "UPDATING":
        workspace.state = "AVAILABLE"


BUNDLE_STATES = ("PENDING", "AVAILABLE", "ERROR")


class WorkspaceBundle:
    """A custom bundle: an image with a compute type and volume sizes.

    botocore's WorkspaceBundle has a State but, unlike an image, no error
    fields: an ERROR bundle says nothing about why.
    """

    def __init__(
        self,
        *,
        name: str,
        description: str,
        image_id: str,
        compute_type: dict[str, str],
        user_storage: dict[str, str],
        root_storage: dict[str, str] | None,
        tags: list[dict[str, str]],
        owner: str,
    ) -> None:
        self.bundle_id = f"wsb-{mock_random.get_random_hex(9)}"
        self.name = name
        self.description = description
        self.image_id = image_id
        self.compute_type = compute_type
        self.user_storage = user_storage
        self.root_storage = root_storage
        self.tags = tags
        self.owner = owner
        self.creation_time = self.last_updated_time = unix_time()
        self.state = "PENDING" if faults.pending_bundles else "AVAILABLE"
        # Creation order, for hide_new_bundles.
        self.serial = next(_bundle_serials)

    def to_dict(self) -> dict[str, Any]:
        dct = {
            "BundleId": self.bundle_id,
            "Name": self.name,
            "Owner": self.owner,
            "Description": self.description,
            "ImageId": self.image_id,
            "RootStorage": self.root_storage,
            "UserStorage": self.user_storage,
            "ComputeType": self.compute_type,
            "LastUpdatedTime": self.last_updated_time,
            "CreationTime": self.creation_time,
            "State": self.state,
            "BundleType": "REGULAR",
        }
        return {key: value for key, value in dct.items() if value}


def _bundles(self: WorkSpacesBackend) -> dict[str, WorkspaceBundle]:
    """Bundles live on the backend, so moto's reset (which re-inits it) forgets them."""
    bundles: dict[str, WorkspaceBundle] | None = getattr(self, "workspace_bundles", None)
    if bundles is None:
        bundles = self.workspace_bundles = {}  # type: ignore[attr-defined]
    return bundles


def _check_bundle_image(self: WorkSpacesBackend, image_id: str) -> None:
    """A bundle needs an image that exists and is done.

    Assumption: the service answers ResourceUnavailableException for an image
    that is PENDING or ERROR; the documentation does not say which error it is.
    """
    image = self.workspace_images.get(image_id)
    if image is None:
        raise ResourceNotFoundException(f"The image {image_id} could not be found.")
    if image.state != "AVAILABLE":
        raise ServiceError(
            "ResourceUnavailableException",
            f"The image {image_id} is {image.state}; a bundle needs an AVAILABLE image.",
        )


def _create_workspace_bundle(
    self: WorkSpacesBackend,
    name: str,
    description: str,
    image_id: str,
    compute_type: dict[str, str],
    user_storage: dict[str, str],
    root_storage: dict[str, str] | None,
    tags: list[dict[str, str]],
) -> dict[str, Any]:
    _check_bundle_image(self, image_id)
    if any(bundle.name == name for bundle in _bundles(self).values()) or faults._name_held(name):
        raise ResourceAlreadyExistsException(f"A bundle named {name} already exists.")
    bundle = WorkspaceBundle(
        name=name,
        description=description,
        image_id=image_id,
        compute_type=compute_type,
        user_storage=user_storage,
        root_storage=root_storage,
        tags=list(tags or []),
        owner=self.account_id,
    )
    _bundles(self)[bundle.bundle_id] = bundle
    return bundle.to_dict()


def _bundle(self: WorkSpacesBackend, bundle_id: str) -> WorkspaceBundle:
    bundle = _bundles(self).get(bundle_id)
    if bundle is None:
        raise ResourceNotFoundException(f"The bundle {bundle_id} could not be found.")
    return bundle


def _update_workspace_bundle(self: WorkSpacesBackend, bundle_id: str, image_id: str) -> None:
    """Swap the bundle's image; WorkSpaces already launched keep the old one.

    With ``faults.pending_bundles`` the bundle is PENDING again while the
    service applies the new image (an assumption: the API reference does not
    say what State an updated bundle shows).
    """
    bundle = _bundle(self, bundle_id)
    _check_bundle_image(self, image_id)
    bundle.image_id = image_id
    bundle.last_updated_time = unix_time()
    if faults.pending_bundles:
        bundle.state = "PENDING"


def _delete_workspace_bundle(self: WorkSpacesBackend, bundle_id: str) -> None:
    _bundle(self, bundle_id)
    if bundle_id in bundles_in_use:
        raise ServiceError(
            "ResourceAssociatedException", f"The bundle {bundle_id} is used by WorkSpaces."
        )
    faults._bundle_deleted(_bundles(self).pop(bundle_id).name)


def _describe_workspace_bundles(
    self: WorkSpacesBackend, bundle_ids: list[str] | None, owner: str | None
) -> list[dict[str, Any]]:
    """The account's bundles, all on one page.

    Amazon's public bundles (Owner AMAZON) are not modelled, so that filter
    finds none; any owner other than the account finds none either.
    """
    if bundle_ids and owner:
        raise ServiceError(
            "InvalidParameterValuesException", "BundleIds cannot be combined with Owner."
        )
    if owner not in (None, self.account_id):
        return []
    hidden_after = faults._hidden_after() if bundle_ids else None
    return [
        bundle.to_dict()
        for bundle in _bundles(self).values()
        if (bundle_ids is None or bundle.bundle_id in bundle_ids)
        and (hidden_after is None or bundle.serial <= hidden_after)
    ]


def _tag_list(self: WorkSpacesBackend, resource_id: str) -> list[dict[str, str]]:
    registries = (
        self.workspace_images,
        _bundles(self),
        self.workspaces,
        self.workspace_directories,
    )
    for registry in registries:
        if resource_id in registry:
            return registry[resource_id].tags
    raise ResourceNotFoundException(f"The resource {resource_id} could not be found.")


def _create_tags(self: WorkSpacesBackend, resource_id: str, tags: list[dict[str, str]]) -> None:
    tag_list = _tag_list(self, resource_id)
    new_keys = {tag["Key"] for tag in tags}
    tag_list[:] = [tag for tag in tag_list if tag["Key"] not in new_keys] + list(tags)


def _delete_tags(self: WorkSpacesBackend, resource_id: str, keys: list[str]) -> None:
    tag_list = _tag_list(self, resource_id)
    tag_list[:] = [tag for tag in tag_list if tag["Key"] not in set(keys)]


def _describe_tags(self: WorkSpacesBackend, resource_id: str) -> list[dict[str, str]]:
    return list(_tag_list(self, resource_id))


# --- response side -------------------------------------------------------------


def _delete_workspace_image_response(self: WorkSpacesResponse) -> str:
    self.workspaces_backend.delete_workspace_image(json.loads(self.body)["ImageId"])
    return "{}"


def _delete_tags_response(self: WorkSpacesResponse) -> str:
    params = json.loads(self.body)
    self.workspaces_backend.delete_tags(params["ResourceId"], params["TagKeys"])
    return "{}"


def _create_workspace_bundle_response(self: WorkSpacesResponse) -> str:
    params = json.loads(self.body)
    bundle = self.workspaces_backend.create_workspace_bundle(
        params["BundleName"],
        params["BundleDescription"],
        params["ImageId"],
        params["ComputeType"],
        params["UserStorage"],
        params.get("RootStorage"),
        params.get("Tags", []),
    )
    return json.dumps({"WorkspaceBundle": bundle})


def _update_workspace_bundle_response(self: WorkSpacesResponse) -> str:
    params = json.loads(self.body)
    self.workspaces_backend.update_workspace_bundle(params.get("BundleId"), params.get("ImageId"))
    return "{}"


def _delete_workspace_bundle_response(self: WorkSpacesResponse) -> str:
    self.workspaces_backend.delete_workspace_bundle(json.loads(self.body).get("BundleId"))
    return "{}"


def _describe_workspace_bundles_response(self: WorkSpacesResponse) -> str:
    params = json.loads(self.body)
    bundles = self.workspaces_backend.describe_workspace_bundles(
        params.get("BundleIds"), params.get("Owner")
    )
    return json.dumps({"Bundles": bundles})


# --- other sources of an image: copy, update, BYOL imports ---------------------
#
# botocore's service model is the reference for these calls: each request is
# checked against its input shape (required members, lengths, patterns, enums,
# exactly one member of a union), as the service does and botocore does not.

_MODEL = botocore.session.get_session().get_service_model("workspaces")

# The stages of an ImportCustomWorkspaceImage, in the model's (and the workflow's) order.
IMPORT_STAGES = (
    "PENDING",
    "IN_PROGRESS",
    "PROCESSING_SOURCE_IMAGE",
    "IMAGE_TESTING_START",
    "UPDATING_OPERATING_SYSTEM",
    "IMAGE_COMPATIBILITY_CHECKING",
    "IMAGE_TESTING_GENERALIZATION",
    "CREATING_TEST_INSTANCE",
    "INSTALLING_COMPONENTS",
    "GENERALIZING",
    "VALIDATING",
    "PUBLISHING",
    "COMPLETED",
)
IMPORT_DONE = ("COMPLETED", "ERROR")
# StateMessage per stage. The service's own wording is not documented; these are made up.
_STAGE_MESSAGES = {
    "PENDING": "The image import is waiting to start.",
    "IN_PROGRESS": "The image import has started.",
    "PROCESSING_SOURCE_IMAGE": "Processing the source image.",
    "IMAGE_TESTING_START": "Testing the image.",
    "UPDATING_OPERATING_SYSTEM": "Updating the operating system.",
    "IMAGE_COMPATIBILITY_CHECKING": "Checking that the image is compatible with WorkSpaces.",
    "IMAGE_TESTING_GENERALIZATION": "Testing that the image can be generalized.",
    "CREATING_TEST_INSTANCE": "Creating a test instance.",
    "INSTALLING_COMPONENTS": "Installing the WorkSpaces components.",
    "GENERALIZING": "Generalizing the image.",
    "VALIDATING": "Validating the image.",
    "PUBLISHING": "Publishing the image.",
    "COMPLETED": "The image import is complete.",
}
# ErrorDetails of an image take only these codes; an import's ErrorDetails take any.
IMAGE_ERROR_DETAIL_CODES = tuple(_MODEL.shape_for("ErrorDetails").members["ErrorCode"].enum)
NO_UPDATE_DESCRIPTION = "This WorkSpace image does not have updates available"
MAX_TAGS = 50
# Actions that IAM authorizes on "*" (no resource types), so a denial names "*".
NO_RESOURCE_ACTIONS = frozenset(
    {"ImportWorkspaceImage", "ImportCustomWorkspaceImage", "DescribeCustomWorkspaceImageImport"}
)


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValuesException", message)


def validate_request(action: str, params: dict[str, Any]) -> None:
    """Refuse ``params`` that break the input shape of ``action`` in botocore's model.

    InvalidParameterValuesException, in the words of AWS's validation errors.
    """
    _check_value(_MODEL.operation_model(action).input_shape, params, "")


def _check_value(shape: Any, value: Any, path: str) -> None:
    where = path or "the request"
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise _invalid(f"Value at '{where}' must be a structure.")
        for required in shape.required_members:
            if value.get(required) is None:
                raise _invalid(
                    f"Value null at '{_join(path, required)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        if shape.is_tagged_union:
            chosen = sorted(key for key, item in value.items() if item is not None)
            if len(chosen) != 1:
                raise _invalid(
                    f"Value at '{where}' must set exactly one of "
                    f"{', '.join(shape.members)}; it sets {len(chosen)}"
                    + (f" ({', '.join(chosen)})" if chosen else "")
                    + "."
                )
        for key, item in value.items():
            if key in shape.members and item is not None:
                _check_value(shape.members[key], item, _join(path, key))
        return
    metadata = shape.metadata
    if kind == "list":
        if not isinstance(value, list):
            raise _invalid(f"Value at '{where}' must be a list.")
        _check_length(len(value), metadata, where, "length")
        for index, item in enumerate(value):
            _check_value(shape.member, item, f"{where}.{index + 1}")
    elif kind == "string":
        if not isinstance(value, str):
            raise _invalid(f"Value at '{where}' must be a string.")
        _check_length(len(value), metadata, where, "length", value)
        if shape.enum and value not in shape.enum:
            raise _invalid(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"
            )
        pattern = metadata.get("pattern")
        if pattern and not re.search(pattern, value):
            raise _invalid(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _invalid(f"Value at '{where}' must be an integer.")
        _check_length(value, metadata, where, "value")


def _check_length(
    size: int, metadata: dict[str, Any], where: str, what: str, value: Any = None
) -> None:
    shown = f"Value '{value}'" if value is not None else "Value"
    if "min" in metadata and size < metadata["min"]:
        raise _invalid(
            f"{shown} at '{where}' failed to satisfy constraint: "
            f"Member must have {what} greater than or equal to {metadata['min']}"
        )
    if "max" in metadata and size > metadata["max"]:
        raise _invalid(
            f"{shown} at '{where}' failed to satisfy constraint: "
            f"Member must have {what} less than or equal to {metadata['max']}"
        )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class CustomImageImport:
    """An ImportCustomWorkspaceImage workflow: its stage, progress and errors."""

    def __init__(
        self, image_id: str, infrastructure_configuration_arn: str, image_source: dict[str, str]
    ) -> None:
        self.image_id = image_id
        self.infrastructure_configuration_arn = infrastructure_configuration_arn
        self.image_source = image_source
        self.state = "PENDING"
        self.state_message = _STAGE_MESSAGES["PENDING"]
        self.progress = 0
        self.created = self.last_updated_time = unix_time()
        # The Image Builder instance, once the workflow has started one.
        self.image_builder_instance_id = ""
        self.error_details: list[dict[str, str]] = []

    def move_to(self, state: str) -> None:
        self.state = state
        self.state_message = _STAGE_MESSAGES[state]
        self.progress = round(IMPORT_STAGES.index(state) * 100 / (len(IMPORT_STAGES) - 1))
        self.last_updated_time = unix_time()
        if state != "PENDING" and not self.image_builder_instance_id:
            self.image_builder_instance_id = f"i-{mock_random.get_random_hex(17)}"

    def fail(self, error_code: str, error_message: str) -> None:
        self.state = "ERROR"
        self.state_message = error_message
        self.error_details = [{"ErrorCode": error_code, "ErrorMessage": error_message}]
        self.last_updated_time = unix_time()

    def to_dict(self) -> dict[str, Any]:
        dct = {
            "ImageId": self.image_id,
            "InfrastructureConfigurationArn": self.infrastructure_configuration_arn,
            "State": self.state,
            "StateMessage": self.state_message,
            "ProgressPercentage": self.progress,
            "Created": self.created,
            "LastUpdatedTime": self.last_updated_time,
            "ImageSource": self.image_source,
            "ImageBuilderInstanceId": self.image_builder_instance_id,
            "ErrorDetails": self.error_details,
        }
        return {key: value for key, value in dct.items() if value or key == "ProgressPercentage"}


def _imports(self: WorkSpacesBackend) -> dict[str, CustomImageImport]:
    """Imports live on the backend, so moto's reset (which re-inits it) forgets them."""
    imports: dict[str, CustomImageImport] | None = getattr(self, "custom_image_imports", None)
    if imports is None:
        imports = self.custom_image_imports = {}  # type: ignore[attr-defined]
    return imports


# --- helpers for tests: what an administrator would have prepared, and the service's progress


def seed_ami(
    region: str = REGION,
    owner: str = ACCOUNT_ID,
    name: str = "golden-byol",
    platform: str = "windows",
) -> str:
    """Register an AMI in moto's EC2 backend of this account in ``region``; its id.

    With another ``owner`` the AMI is one this account can see but does not
    own (moto keeps public and shared AMIs in the viewer's backend too).
    """
    from moto.ec2.models import ec2_backends

    ami = ec2_backends[ACCOUNT_ID][region].register_image(
        name=name, description=f"{name}, a licensed Windows image"
    )
    ami.owner_id = owner
    ami.platform = platform
    return str(ami.id)


def seed_image(
    region: str = REGION,
    owner: str = ACCOUNT_ID,
    state: str = "AVAILABLE",
    name: str = "golden-source",
    shared_with: Iterable[str] = (),
    *,
    description: str = "golden source image",
    operating_system: str = "WINDOWS",
    required_tenancy: str = "DEFAULT",
    image_id: str | None = None,
) -> str:
    """Put an image in this account's view of ``region``, as an administrator would have.

    ``image_id`` fixes its id, for a template synthesized before the image exists.

    An image of another ``owner`` is one that account shared (moto's model,
    and what DescribeWorkspaceImages with ImageType SHARED lists). It is only
    copyable when ``shared_with`` names this account: the owner's
    UpdateWorkspaceImagePermission, kept in its ``image_permissions``.
    """
    image = ws_models.WorkspaceImage(name=name, description=description, tags=[], account_id=owner)
    image.state = state
    image.operating_system = {"Type": operating_system}
    image.required_tenancy = required_tenancy
    image.image_permissions = [{"SharedAccountId": account} for account in shared_with]
    if image_id:
        image.image_id = image_id
    backend(region).workspace_images[image.image_id] = image
    return str(image.image_id)


def set_update_available(
    image_id: str,
    description: str = "Updated drivers and WorkSpaces components are available",
    *,
    available: bool = True,
) -> None:
    """DescribeWorkspaceImages reports ``Updates`` for the image: an update, or (False) none."""
    pattern = _MODEL.shape_for("UpdateResult").members["Description"].metadata["pattern"]
    if available and not re.search(pattern, description):
        raise ValueError(f"an update's description must match {pattern}: {description!r}")
    _find_image(image_id)[1].updates = {
        "UpdateAvailable": available,
        "Description": description if available else NO_UPDATE_DESCRIPTION,
    }


def image_source(image_id: str) -> dict[str, Any]:
    """What the image was made from, as the call that made it recorded it."""
    image = _find_image(image_id)[1]
    source: dict[str, Any] = dict(getattr(image, "source", {}))
    if getattr(image, "source_workspace_id", ""):
        source.setdefault("WorkspaceId", image.source_workspace_id)
    return source


def advance_imports(steps: int = 1) -> None:
    """Each unfinished custom image import moves ``steps`` stages on.

    ProgressPercentage rises with each stage and is 100 at COMPLETED, when the
    import's image becomes AVAILABLE.
    """
    _advance_imports(steps)


def _advance_imports(steps: int) -> None:
    last = len(IMPORT_STAGES) - 1
    for region in REGIONS:
        owner_backend = backend(region)
        for record in _imports(owner_backend).values():
            if record.state in IMPORT_DONE:
                continue
            record.move_to(IMPORT_STAGES[min(IMPORT_STAGES.index(record.state) + steps, last)])
            image = owner_backend.workspace_images.get(record.image_id)
            if record.state == "COMPLETED" and image is not None and image.state == "PENDING":
                set_image_state(record.image_id, "AVAILABLE")


def fail_import(image_id: str, error_code: str, error_message: str) -> None:
    """The custom image import fails: the import is ERROR with ErrorDetails, and so is its image.

    The image's ErrorDetails carry the code only if the model's enum for images
    has it; its ErrorCode and ErrorMessage always do.
    """
    owner_backend, _ = _find_image(image_id)
    record = _imports(owner_backend)[image_id]
    if record.state in IMPORT_DONE:
        raise ValueError(f"the import of {image_id} is {record.state} already")
    record.fail(error_code, error_message)
    details = [{"ErrorCode": error_code, "ErrorMessage": error_message}]
    set_image_state(
        image_id,
        "ERROR",
        error_code=error_code,
        error_message=error_message,
        error_details=details if error_code in IMAGE_ERROR_DETAIL_CODES else [],
    )


# --- backend behaviour of the sources -------------------------------------------


def _new_image(
    self: WorkSpacesBackend,
    name: str,
    description: str | None,
    tags: list[dict[str, str]] | None,
    *,
    operating_system: dict[str, str],
    required_tenancy: str,
    source: dict[str, Any],
) -> Any:
    """A PENDING image of this account, made from ``source`` (recorded on the image)."""
    if len(tags or []) > MAX_TAGS:
        raise ServiceError(
            "ResourceLimitExceededException",
            f"Each WorkSpaces resource can have a maximum of {MAX_TAGS} tags.",
        )
    if any(
        image.name == name and image.owner_account == self.account_id
        for image in self.workspace_images.values()
    ):
        raise ResourceAlreadyExistsException(
            "A WorkSpace image with the same name exists in the destination Region. "
            "Provide a unique destination image name, and try again."
        )
    image = ws_models.WorkspaceImage(
        name=name, description=description or "", tags=list(tags or []), account_id=self.account_id
    )
    image.state = "PENDING"
    image.operating_system = dict(operating_system)
    image.required_tenancy = required_tenancy
    image.source = source  # type: ignore[attr-defined]
    self.workspace_images[image.image_id] = image
    return image


def _owned_ami(self: WorkSpacesBackend, ami_id: str) -> None:
    """The AMI must be in this account's EC2 backend of this Region.

    ResourceNotFoundException, as the call's errors list it for a resource
    that could not be found. moto's EC2 keeps an account's AMIs and Amazon's
    public ones in one backend; one of another owner is refused with
    InvalidParameterValuesException ("you must own the image", says the API
    reference).
    """
    from moto.ec2.models import ec2_backends

    ami = ec2_backends[self.account_id][self.region_name].amis.get(ami_id)
    if ami is None:
        raise ResourceNotFoundException(
            f"The EC2 image {ami_id} could not be found in {self.region_name}."
        )
    if ami.owner_id != self.account_id:
        raise _invalid(
            f"The EC2 image {ami_id} is owned by account {ami.owner_id}; "
            "you must own the image that you import."
        )


def _import_workspace_image(
    self: WorkSpacesBackend,
    ec2_image_id: str,
    ingestion_process: str,
    image_name: str,
    image_description: str,
    tags: list[dict[str, str]] | None,
    applications: list[str] | None,
) -> str:
    """A BYOL image of an AMI: PENDING, Windows, on dedicated hardware (BYOL)."""
    if applications and len(applications) > 1:
        raise _invalid("Only one application can be specified at this time.")
    _owned_ami(self, ec2_image_id)
    image = _new_image(
        self,
        image_name,
        image_description,
        tags,
        operating_system={"Type": "WINDOWS"},
        required_tenancy="DEDICATED",
        source={
            "Ec2ImageId": ec2_image_id,
            "IngestionProcess": ingestion_process,
            **({"Applications": list(applications)} if applications else {}),
        },
    )
    return str(image.image_id)


def _import_custom_workspace_image(
    self: WorkSpacesBackend, params: dict[str, Any]
) -> dict[str, str]:
    """A BYOL image that EC2 Image Builder makes: a PENDING image and a PENDING import.

    Image Builder ARNs and VM import task ids are taken as given (moto has no
    Image Builder); an AMI source must be this account's, as for ImportWorkspaceImage.
    """
    if params["OsVersion"] == "Windows_11" and params["Protocol"] == "PCOIP":
        raise _invalid("Windows 11 does not support the PCOIP protocol.")
    image_source = {key: value for key, value in params["ImageSource"].items() if value}
    if "Ec2ImageId" in image_source:
        _owned_ami(self, image_source["Ec2ImageId"])
    image = _new_image(
        self,
        params["ImageName"],
        params["ImageDescription"],
        params.get("Tags"),
        operating_system={"Type": "WINDOWS"},
        required_tenancy="DEDICATED",
        source={
            "ImageSource": image_source,
            "InfrastructureConfigurationArn": params["InfrastructureConfigurationArn"],
            "ComputeType": params["ComputeType"],
            "Protocol": params["Protocol"],
            "Platform": params["Platform"],
            "OsVersion": params["OsVersion"],
            **(
                {"ImageValidationMode": params["ImageValidationMode"]}
                if params.get("ImageValidationMode")
                else {}
            ),
        },
    )
    record = CustomImageImport(
        image.image_id, params["InfrastructureConfigurationArn"], image_source
    )
    _imports(self)[image.image_id] = record
    return {"ImageId": str(image.image_id), "State": record.state}


def _describe_custom_workspace_image_import(
    self: WorkSpacesBackend, image_id: str
) -> dict[str, Any]:
    record = _imports(self).get(image_id)
    if record is None:
        raise ResourceNotFoundException(
            f"No custom image import of the image {image_id} could be found."
        )
    return record.to_dict()


def _copy_workspace_image(
    self: WorkSpacesBackend,
    name: str,
    description: str | None,
    source_image_id: str,
    source_region: str,
    tags: list[dict[str, str]] | None,
) -> str:
    """A PENDING copy, in this Region, of an image of ``source_region`` (this account's view).

    An image of another account must be shared with this one, else it is not
    found: it is not this account's to see. The source must be AVAILABLE:
    ResourceUnavailableException (InvalidResourceStateException is not among
    this call's errors).
    """
    if source_region not in ws_models.workspaces_backends[self.account_id]:
        raise _invalid(f"The source Region {source_region} is not valid.")
    source_backend = ws_models.workspaces_backends[self.account_id][source_region]
    source = source_backend.workspace_images.get(source_image_id)
    shared = source is not None and {"SharedAccountId": self.account_id} in source.image_permissions
    if source is not None and source.owner_account != self.account_id and not shared:
        source = None
    if source is None:
        raise ResourceNotFoundException(
            f"The image {source_image_id} could not be found in {source_region}."
        )
    if source.state != "AVAILABLE":
        raise ServiceError(
            "ResourceUnavailableException",
            f"The image {source_image_id} is {source.state}; only an AVAILABLE image "
            "can be copied.",
        )
    image = _new_image(
        self,
        name,
        description,
        tags,
        operating_system=source.operating_system,
        required_tenancy=source.required_tenancy,
        source={
            "SourceImageId": source_image_id,
            "SourceRegion": source_region,
            "SourceOwnerAccountId": source.owner_account,
        },
    )
    return str(image.image_id)


def _create_updated_workspace_image(
    self: WorkSpacesBackend,
    name: str,
    description: str,
    source_image_id: str,
    tags: list[dict[str, str]] | None,
) -> str:
    """A PENDING image of this account's AVAILABLE image that has an update available.

    Which error the service gives for each refusal is not documented; from the
    call's errors in the model: an image shared by another account,
    OperationNotSupportedException (only the owner can update; copy it first);
    a Linux image, OperationNotSupportedException ("Only Windows ... images can
    be programmatically updated"); not AVAILABLE or no update available,
    InvalidResourceStateException (both are the image's state, as
    DescribeWorkspaceImages reports it).
    """
    source = self.workspace_images.get(source_image_id)
    if source is None:
        raise ResourceNotFoundException(f"The image {source_image_id} could not be found.")
    if source.owner_account != self.account_id:
        raise ServiceError(
            "OperationNotSupportedException",
            f"The image {source_image_id} belongs to account {source.owner_account}; "
            "only an image that this account owns can be updated. Copy it first.",
        )
    if source.operating_system.get("Type") == "LINUX":
        raise ServiceError(
            "OperationNotSupportedException",
            f"The image {source_image_id} runs Linux; only Windows images can be updated.",
        )
    if source.state != "AVAILABLE":
        raise ServiceError(
            "InvalidResourceStateException",
            f"The image {source_image_id} is {source.state}; only an AVAILABLE image "
            "can be updated.",
        )
    if not source.updates.get("UpdateAvailable"):
        raise ServiceError(
            "InvalidResourceStateException",
            f"No update is available for the image {source_image_id}.",
        )
    image = _new_image(
        self,
        name,
        description,
        tags,
        operating_system=source.operating_system,
        required_tenancy=source.required_tenancy,
        source={"SourceImageId": source_image_id, "Updates": dict(source.updates)},
    )
    return str(image.image_id)


# --- response side of the sources ------------------------------------------------


def _import_workspace_image_response(self: WorkSpacesResponse) -> str:
    params = json.loads(self.body or "{}")
    validate_request("ImportWorkspaceImage", params)
    extended: Any = self.workspaces_backend
    image_id = extended.import_workspace_image(
        params["Ec2ImageId"],
        params["IngestionProcess"],
        params["ImageName"],
        params["ImageDescription"],
        params.get("Tags"),
        params.get("Applications"),
    )
    return json.dumps({"ImageId": image_id})


def _import_custom_workspace_image_response(self: WorkSpacesResponse) -> str:
    params = json.loads(self.body or "{}")
    validate_request("ImportCustomWorkspaceImage", params)
    extended: Any = self.workspaces_backend
    return json.dumps(extended.import_custom_workspace_image(params))


def _describe_custom_workspace_image_import_response(self: WorkSpacesResponse) -> str:
    # Its errors are AccessDenied and ResourceNotFound only: an id that is not
    # well formed is simply not found.
    image_id = str(json.loads(self.body or "{}").get("ImageId") or "")
    extended: Any = self.workspaces_backend
    return json.dumps(extended.describe_custom_workspace_image_import(image_id))


def _copy_workspace_image_response(self: WorkSpacesResponse) -> str:
    params = json.loads(self.body or "{}")
    validate_request("CopyWorkspaceImage", params)
    extended: Any = self.workspaces_backend
    image_id = extended.copy_workspace_image(
        params["Name"],
        params.get("Description"),
        params["SourceImageId"],
        params["SourceRegion"],
        params.get("Tags"),
    )
    return json.dumps({"ImageId": image_id})


def _create_updated_workspace_image_response(self: WorkSpacesResponse) -> str:
    params = json.loads(self.body or "{}")
    validate_request("CreateUpdatedWorkspaceImage", params)
    extended: Any = self.workspaces_backend
    image_id = extended.create_updated_workspace_image(
        params["Name"], params["Description"], params["SourceImageId"], params.get("Tags")
    )
    return json.dumps({"ImageId": image_id})


def _workspaces_request(action: str, handler: WorkSpacesResponse) -> Request:
    return Request(
        "workspaces", action, json.loads(handler.body or "{}"), region=handler.region or REGION
    )


def _events_request(action: str, handler: EventsHandler) -> Request:
    return Request("events", action, json.loads(handler.body or "{}"))


_LAMBDA_POLICY_PATH = re.compile(r"/functions/(?P<function>[^/]+)/policy(?:/(?P<sid>[^/]+))?/?$")


def _lambda_request(action: str, handler: LambdaResponse) -> Request:
    params: dict[str, Any] = json.loads(handler.body) if handler.body else {}
    function_name = ""
    match = _LAMBDA_POLICY_PATH.search(handler.path.split("?")[0])
    if match:
        function_name = _function_name(match["function"])
        if match["sid"]:
            params.setdefault("StatementId", unquote(match["sid"]))
    qualifier = handler.querystring.get("Qualifier", [None])[0]
    if qualifier:
        params.setdefault("Qualifier", qualifier)
    return Request("lambda", action, params, function_name)


def _before(request: Request) -> None:
    """Count the call; raise what IAM, the rate limit or an injected fault answers instead."""
    refused = faults.denial(request) or faults._throttled(request)
    with faults._lock:
        faults.calls[request.action] += 1
        fault = None if refused else faults._pop(request.action)
    if refused is not None:
        raise refused
    if fault is not None:
        raise ServiceError(*fault)


def _with_faults(
    action: str, method: Callable[[WorkSpacesResponse], str]
) -> Callable[[WorkSpacesResponse], str]:
    @functools.wraps(method)
    def wrapper(self: WorkSpacesResponse) -> str:
        _before(_workspaces_request(action, self))
        return method(self)

    return wrapper


def _events_with_faults(action: str, method: Callable[[EventsHandler], Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: EventsHandler) -> Any:
        request = _events_request(action, self)
        _before(request)
        if faults._has_entry_failure(action):
            return _failed_entries(self, request) or method(self)
        return method(self)

    return wrapper


def _ssm_with_faults(
    action: str, method: Callable[[SimpleSystemManagerResponse], Any]
) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: SimpleSystemManagerResponse) -> Any:
        _before(Request("ssm", action, json.loads(self.body or "{}")))
        return method(self)

    return wrapper


def _failed_entries(handler: EventsHandler, request: Request) -> tuple[str, dict[str, Any]] | None:
    """PutTargets/RemoveTargets that fail every entry and change nothing, with HTTP 200."""
    params = request.params
    rule = str(params.get("Rule", ""))
    # A rule that does not exist is still ResourceNotFoundException.
    handler.events_backend.describe_rule(rule, params.get("EventBusName"))
    failure = faults._take_entry_failure(request.action)
    if failure is None:
        return None
    error_code, error_message = failure
    if request.action == "PutTargets":
        target_ids = [target.get("Id") for target in params.get("Targets", [])]
    else:
        target_ids = list(params.get("Ids", []))
    entries = [
        {
            "TargetId": target_id,
            "ErrorCode": error_code,
            "ErrorMessage": error_message or f"Rule {rule} is being modified.",
        }
        for target_id in target_ids
    ]
    body = {"FailedEntryCount": len(entries), "FailedEntries": entries}
    return json.dumps(body), handler.response_headers


def _lambda_with_faults(action: str, method: Callable[[LambdaResponse], Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: LambdaResponse) -> Any:
        request = _lambda_request(action, self)
        _before(request)
        if action not in ("AddPermission", "RemovePermission") or not request.function_name:
            return method(self)
        previous = faults._begin_policy_change(request.function_name)
        try:
            response = method(self)
        except Exception:
            faults._abandon_policy_change(request.function_name, previous)
            raise
        if isinstance(response, tuple) and response[0] == 404:
            faults._abandon_policy_change(request.function_name, previous)
        return response

    return wrapper


_original_add_statement = Policy.add_statement


def _add_statement(self: Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
    sid = json.loads(raw).get("StatementId")
    if any(statement.get("Sid") == sid for statement in self.statements):
        raise ServiceError(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists.",
            status=409,
        )
    return _original_add_statement(self, raw, qualifier)


ACTIONS = {
    "CreateWorkspaceImage": "create_workspace_image",
    "DescribeWorkspaceImages": "describe_workspace_images",
    "DeleteWorkspaceImage": "delete_workspace_image",
    "CreateTags": "create_tags",
    "DeleteTags": "delete_tags",
    "DescribeTags": "describe_tags",
    "CreateWorkspaceBundle": "create_workspace_bundle",
    "UpdateWorkspaceBundle": "update_workspace_bundle",
    "DeleteWorkspaceBundle": "delete_workspace_bundle",
    "DescribeWorkspaceBundles": "describe_workspace_bundles",
    "UpdateWorkspaceImagePermission": "update_workspace_image_permission",
    "DescribeWorkspaceImagePermissions": "describe_workspace_image_permissions",
    "ImportWorkspaceImage": "import_workspace_image",
    "ImportCustomWorkspaceImage": "import_custom_workspace_image",
    "DescribeCustomWorkspaceImageImport": "describe_custom_workspace_image_import",
    "CopyWorkspaceImage": "copy_workspace_image",
    "CreateUpdatedWorkspaceImage": "create_updated_workspace_image",
}
EVENTS_ACTIONS = {
    "PutRule": "put_rule",
    "PutTargets": "put_targets",
    "RemoveTargets": "remove_targets",
    "DeleteRule": "delete_rule",
    "ListTargetsByRule": "list_targets_by_rule",
}
LAMBDA_ACTIONS = {
    "AddPermission": "add_permission",
    "RemovePermission": "remove_permission",
}
# SSM Parameter Store (poll state, the parked index): injected faults and denials.
SSM_ACTIONS = {
    "PutParameter": "put_parameter",
    "GetParameter": "get_parameter",
    "DeleteParameter": "delete_parameter",
    "GetParametersByPath": "get_parameters_by_path",
}

_installed = False


# --- CloudFormation's view of the stacks the rehearsal plays ------------------------

# StackId -> (StackStatus, RootId): set by tests/rehearsal/cloudformation.py as
# it plays a deploy, an update, a rollback or a delete. DescribeStacks of any
# other stack is moto's own (which knows none of the rehearsal's).
stack_statuses: dict[str, tuple[str, str | None]] = {}


def set_stack_status(stack_id: str, status: str, root_id: str | None = None) -> None:
    stack_statuses[stack_id] = (status, root_id)


def _describe_stacks_response(original: Callable[..., Any]) -> Callable[..., Any]:
    def describe_stacks(self: CloudFormationResponse) -> Any:
        stack_id = self._get_param("StackName")
        if stack_id not in stack_statuses:
            return original(self)
        status, root_id = stack_statuses[stack_id]
        stack: dict[str, Any] = {
            "StackId": stack_id,
            "StackName": stack_id.split("/")[1],
            "StackStatus": status,
            "CreationTime": datetime.now(UTC),
            # moto's serializer turns these from mappings into lists.
            "Parameters": {},
            "Tags": {},
            "Outputs": {},
        }
        if root_id:
            stack["RootId"] = root_id
            stack["ParentId"] = root_id
        return ActionResult({"Stacks": [stack]})

    return describe_stacks


def install() -> None:
    """Register the extensions on moto's classes (once per process)."""
    global _installed
    if _installed:
        return
    WorkSpacesBackend.create_workspace_image = _create_workspace_image  # type: ignore[method-assign]
    WorkSpacesBackend.delete_workspace_image = _delete_workspace_image  # type: ignore[attr-defined]
    WorkSpacesBackend.update_workspace_image_permission = _update_workspace_image_permission  # type: ignore[method-assign]
    WorkSpacesBackend.create_tags = _create_tags  # type: ignore[method-assign]
    WorkSpacesBackend.delete_tags = _delete_tags  # type: ignore[attr-defined]
    WorkSpacesBackend.describe_tags = _describe_tags  # type: ignore[method-assign]
    WorkSpacesBackend.create_workspace_bundle = _create_workspace_bundle  # type: ignore[attr-defined]
    WorkSpacesBackend.update_workspace_bundle = _update_workspace_bundle  # type: ignore[attr-defined]
    WorkSpacesBackend.delete_workspace_bundle = _delete_workspace_bundle  # type: ignore[attr-defined]
    WorkSpacesBackend.describe_workspace_bundles = _describe_workspace_bundles  # type: ignore[attr-defined]
    WorkSpacesBackend.import_workspace_image = _import_workspace_image  # type: ignore[attr-defined]
    WorkSpacesBackend.import_custom_workspace_image = _import_custom_workspace_image  # type: ignore[attr-defined]
    WorkSpacesBackend.describe_custom_workspace_image_import = (  # type: ignore[attr-defined]
        _describe_custom_workspace_image_import
    )
    WorkSpacesBackend.copy_workspace_image = _copy_workspace_image  # type: ignore[attr-defined]
    WorkSpacesBackend.create_updated_workspace_image = _create_updated_workspace_image  # type: ignore[attr-defined]
    Policy.add_statement = _add_statement  # type: ignore[method-assign]
    WorkSpacesResponse.delete_workspace_image = _delete_workspace_image_response  # type: ignore[attr-defined]
    WorkSpacesResponse.delete_tags = _delete_tags_response  # type: ignore[attr-defined]
    WorkSpacesResponse.create_workspace_bundle = _create_workspace_bundle_response  # type: ignore[attr-defined]
    WorkSpacesResponse.update_workspace_bundle = _update_workspace_bundle_response  # type: ignore[attr-defined]
    WorkSpacesResponse.delete_workspace_bundle = _delete_workspace_bundle_response  # type: ignore[attr-defined]
    WorkSpacesResponse.describe_workspace_bundles = _describe_workspace_bundles_response  # type: ignore[attr-defined]
    WorkSpacesResponse.import_workspace_image = _import_workspace_image_response  # type: ignore[attr-defined]
    WorkSpacesResponse.import_custom_workspace_image = _import_custom_workspace_image_response  # type: ignore[attr-defined]
    WorkSpacesResponse.describe_custom_workspace_image_import = (  # type: ignore[attr-defined]
        _describe_custom_workspace_image_import_response
    )
    WorkSpacesResponse.copy_workspace_image = _copy_workspace_image_response  # type: ignore[attr-defined]
    WorkSpacesResponse.create_updated_workspace_image = _create_updated_workspace_image_response  # type: ignore[attr-defined]
    CloudFormationResponse.describe_stacks = _describe_stacks_response(  # type: ignore[method-assign]
        CloudFormationResponse.describe_stacks
    )
    for action, method_name in ACTIONS.items():
        setattr(
            WorkSpacesResponse,
            method_name,
            _with_faults(action, getattr(WorkSpacesResponse, method_name)),
        )
    for action, method_name in EVENTS_ACTIONS.items():
        setattr(
            EventsHandler,
            method_name,
            _events_with_faults(action, getattr(EventsHandler, method_name)),
        )
    for action, method_name in SSM_ACTIONS.items():
        setattr(
            SimpleSystemManagerResponse,
            method_name,
            _ssm_with_faults(action, getattr(SimpleSystemManagerResponse, method_name)),
        )
    for action, method_name in LAMBDA_ACTIONS.items():
        setattr(
            LambdaResponse,
            method_name,
            _lambda_with_faults(action, getattr(LambdaResponse, method_name)),
        )
    _installed = True
