"""moto's WorkSpaces, extended with what the service does and moto lacks.

moto 5.2 creates images already AVAILABLE, has no DeleteWorkspaceImage or
DeleteTags, and drops CreateTags on image ids (see ../shared/FACTS.md). This
module registers the missing behaviour on moto's own response and backend
classes, so that the handler, running unmodified in its own process against
moto's server, meets an API that behaves like the real one:

- CreateWorkspaceImage checks that the source WorkSpace is AVAILABLE and
  makes a PENDING image; tests then move it to AVAILABLE or ERROR.
- DeleteWorkspaceImage refuses while a bundle uses the image
  (ResourceAssociatedException) or while it is shared
  (InvalidResourceStateException), and is a no-op for unknown ids.
- CreateTags, DeleteTags and DescribeTags work on images.
- Faults can be injected per action (ThrottlingException and the like), and
  every call is recorded.

One Lambda gap is closed too: AddPermission with a statement id that is
already there fails with ResourceConflictException, as Lambda does.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.policy import Policy
from moto.core.exceptions import JsonRESTError
from moto.workspaces import models as ws_models
from moto.workspaces.exceptions import ResourceNotFoundException
from moto.workspaces.models import Workspace, WorkSpacesBackend
from moto.workspaces.responses import WorkSpacesResponse

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


class ServiceError(JsonRESTError):
    code = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message)


class Faults:
    """Errors to return instead of serving an action, and a log of calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, list[tuple[str, str]]] = {}
        self.calls: Counter[str] = Counter()

    def inject(self, action: str, error_type: str, message: str, times: int = 1) -> None:
        with self._lock:
            self._pending.setdefault(action, []).extend([(error_type, message)] * times)

    def take(self, action: str) -> tuple[str, str] | None:
        with self._lock:
            self.calls[action] += 1
            queue = self._pending.get(action)
            return queue.pop(0) if queue else None

    def reset(self) -> None:
        with self._lock:
            self._pending.clear()
            self.calls.clear()


faults = Faults()
# Image ids that a (pretend) bundle uses.
images_in_use: set[str] = set()


def backend() -> WorkSpacesBackend:
    return ws_models.workspaces_backends[ACCOUNT_ID][REGION]


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
    image = backend().workspace_images[image_id]
    image.state = state
    if state != "PENDING":
        _release_source(backend(), image)
    image.error_code = error_code
    image.error_message = error_message
    image.error_details = error_details or []


def image_tags(image_id: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in backend().workspace_images[image_id].tags}


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
    if image_id in images_in_use:
        raise ServiceError(
            "ResourceAssociatedException", f"The image {image_id} is associated with a bundle."
        )
    if image.image_permissions:
        raise ServiceError(
            "InvalidResourceStateException", f"The image {image_id} is shared with other accounts."
        )
    del self.workspace_images[image_id]
    _release_source(self, image)


def _release_source(self: WorkSpacesBackend, image: Any) -> None:
    """An image that is done (or deleted) gives its source WorkSpace back."""
    workspace = self.workspaces.get(getattr(image, "source_workspace_id", ""))
    if workspace is not None and workspace.state == "UPDATING":
        workspace.state = "AVAILABLE"


def _tag_list(self: WorkSpacesBackend, resource_id: str) -> list[dict[str, str]]:
    for registry in (self.workspace_images, self.workspaces, self.workspace_directories):
        if resource_id in registry:
            return registry[resource_id].tags  # type: ignore[no-any-return]
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


def _with_faults(
    action: str, method: Callable[[WorkSpacesResponse], str]
) -> Callable[[WorkSpacesResponse], str]:
    @functools.wraps(method)
    def wrapper(self: WorkSpacesResponse) -> str:
        fault = faults.take(action)
        if fault is not None:
            raise ServiceError(*fault)
        return method(self)

    return wrapper


_original_add_statement = Policy.add_statement


def _add_statement(self: Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
    sid = json.loads(raw).get("StatementId")
    if any(statement.get("Sid") == sid for statement in self.statements):
        raise LambdaClientError(
            "ResourceConflictException", f"The statement id ({sid}) provided already exists."
        )
    return _original_add_statement(self, raw, qualifier)


ACTIONS = {
    "CreateWorkspaceImage": "create_workspace_image",
    "DescribeWorkspaceImages": "describe_workspace_images",
    "DeleteWorkspaceImage": "delete_workspace_image",
    "CreateTags": "create_tags",
    "DeleteTags": "delete_tags",
    "DescribeTags": "describe_tags",
}

_installed = False


def install() -> None:
    """Register the extensions on moto's classes (once per process)."""
    global _installed
    if _installed:
        return
    WorkSpacesBackend.create_workspace_image = _create_workspace_image  # type: ignore[method-assign]
    WorkSpacesBackend.delete_workspace_image = _delete_workspace_image  # type: ignore[attr-defined]
    WorkSpacesBackend.create_tags = _create_tags  # type: ignore[method-assign]
    WorkSpacesBackend.delete_tags = _delete_tags  # type: ignore[attr-defined]
    WorkSpacesBackend.describe_tags = _describe_tags  # type: ignore[method-assign]
    Policy.add_statement = _add_statement  # type: ignore[method-assign]
    WorkSpacesResponse.delete_workspace_image = _delete_workspace_image_response  # type: ignore[attr-defined]
    WorkSpacesResponse.delete_tags = _delete_tags_response  # type: ignore[attr-defined]
    for action, method_name in ACTIONS.items():
        setattr(
            WorkSpacesResponse,
            method_name,
            _with_faults(action, getattr(WorkSpacesResponse, method_name)),
        )
    _installed = True
