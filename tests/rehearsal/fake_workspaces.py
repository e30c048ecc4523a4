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
  (ResourceAssociatedException) or while it is shared
  (InvalidResourceStateException), and is a no-op for unknown ids.
- Create, Update, Delete and DescribeWorkspaceBundles exist, so that an image
  can be put in a bundle and its delete refused for that.
- CreateTags, DeleteTags and DescribeTags work on images and bundles.
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
from moto.core.utils import unix_time
from moto.moto_api._internal import mock_random
from moto.workspaces import models as ws_models
from moto.workspaces.exceptions import ResourceAlreadyExistsException, ResourceNotFoundException
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
# Bundle ids that (pretend) WorkSpaces were launched from.
bundles_in_use: set[str] = set()


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


def finish_pending_images() -> None:
    """Every PENDING image becomes AVAILABLE, as when the service is done building."""
    for image_id, image in list(backend().workspace_images.items()):
        if image.state == "PENDING":
            set_image_state(image_id, "AVAILABLE")


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
    _release_source(self, image)


def _release_source(self: WorkSpacesBackend, image: Any) -> None:
    """An image that is done (or deleted) gives its source WorkSpace back."""
    workspace = self.workspaces.get(getattr(image, "source_workspace_id", ""))
    if workspace is not None and workspace.state == "UPDATING":
        workspace.state = "AVAILABLE"


class WorkspaceBundle:
    """A custom bundle: an image with a compute type and volume sizes."""

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
            "State": "AVAILABLE",
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
    if any(bundle.name == name for bundle in _bundles(self).values()):
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
    """Swap the bundle's image; WorkSpaces already launched keep the old one."""
    bundle = _bundle(self, bundle_id)
    _check_bundle_image(self, image_id)
    bundle.image_id = image_id
    bundle.last_updated_time = unix_time()


def _delete_workspace_bundle(self: WorkSpacesBackend, bundle_id: str) -> None:
    _bundle(self, bundle_id)
    if bundle_id in bundles_in_use:
        raise ServiceError(
            "ResourceAssociatedException", f"The bundle {bundle_id} is used by WorkSpaces."
        )
    del _bundles(self)[bundle_id]


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
    return [
        bundle.to_dict()
        for bundle in _bundles(self).values()
        if bundle_ids is None or bundle.bundle_id in bundle_ids
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
    "CreateWorkspaceBundle": "create_workspace_bundle",
    "UpdateWorkspaceBundle": "update_workspace_bundle",
    "DeleteWorkspaceBundle": "delete_workspace_bundle",
    "DescribeWorkspaceBundles": "describe_workspace_bundles",
    "UpdateWorkspaceImagePermission": "update_workspace_image_permission",
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
    WorkSpacesBackend.create_workspace_bundle = _create_workspace_bundle  # type: ignore[attr-defined]
    WorkSpacesBackend.update_workspace_bundle = _update_workspace_bundle  # type: ignore[attr-defined]
    WorkSpacesBackend.delete_workspace_bundle = _delete_workspace_bundle  # type: ignore[attr-defined]
    WorkSpacesBackend.describe_workspace_bundles = _describe_workspace_bundles  # type: ignore[attr-defined]
    Policy.add_statement = _add_statement  # type: ignore[method-assign]
    WorkSpacesResponse.delete_workspace_image = _delete_workspace_image_response  # type: ignore[attr-defined]
    WorkSpacesResponse.delete_tags = _delete_tags_response  # type: ignore[attr-defined]
    WorkSpacesResponse.create_workspace_bundle = _create_workspace_bundle_response  # type: ignore[attr-defined]
    WorkSpacesResponse.update_workspace_bundle = _update_workspace_bundle_response  # type: ignore[attr-defined]
    WorkSpacesResponse.delete_workspace_bundle = _delete_workspace_bundle_response  # type: ignore[attr-defined]
    WorkSpacesResponse.describe_workspace_bundles = _describe_workspace_bundles_response  # type: ignore[attr-defined]
    for action, method_name in ACTIONS.items():
        setattr(
            WorkSpacesResponse,
            method_name,
            _with_faults(action, getattr(WorkSpacesResponse, method_name)),
        )
    _installed = True
