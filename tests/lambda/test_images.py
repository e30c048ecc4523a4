"""The shared image lifecycle (images.py) against a stand-in for WorkSpaces.

The rehearsal drives the whole function against the embedded AWS; these
tests pin paths that are hard to reach there: a rollback whose old source is
gone, an abandoned image the long wait's watcher must delete, crhelper's
timeout answer, and a failed read of an import's progress.
"""

from __future__ import annotations

import time
from typing import Any

import actions
import common
import contract
import images
import pytest
import tagging
from botocore.exceptions import ClientError

STACK = "arn:aws:cloudformation:us-east-1:111111111111:stack/S/abc"
IMAGE_VERSION = "arn:aws:imagebuilder:us-east-1:111111111111:image/golden/1.0.0/1"
INFRASTRUCTURE = "arn:aws:imagebuilder:us-east-1:111111111111:infrastructure-configuration/ws"


def refusal(code: str, operation: str = "Op") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} said so"}}, operation)


class Images:
    """WorkSpacesImages' methods over a dict of images; deleting a PENDING one is refused."""

    def __init__(self) -> None:
        self.images: dict[str, dict[str, Any]] = {}
        self.tags_of: dict[str, dict[str, str]] = {}
        self.deleted: list[str] = []

    def add(self, image_id: str, name: str, state: str, logical_id: str | None = None) -> None:
        self.images[image_id] = {"ImageId": image_id, "Name": name, "State": state}
        if logical_id:
            self.tags_of[image_id] = tagging.owner_tags(STACK, logical_id)

    def describe(self, image_id: str) -> dict[str, Any] | None:
        return self.images.get(image_id)

    def find_owned_by_name(self, name: str) -> dict[str, Any] | None:
        return next((i for i in self.images.values() if i["Name"] == name), None)

    def tags(self, resource_id: str) -> dict[str, str]:
        return self.tags_of.get(resource_id, {})

    def delete(self, image_id: str) -> None:
        if self.images.get(image_id, {}).get("State") == "PENDING":
            raise refusal("InvalidResourceStateException", "DeleteWorkspaceImage")
        self.images.pop(image_id, None)
        self.deleted.append(image_id)

    def shared_accounts(self, image_id: str) -> set[str]:
        return set()


class Helper:
    """What the lifecycle uses of ImageResourceHelper."""

    def __init__(self) -> None:
        self.PhysicalResourceId = ""
        self.started_image = ""
        self.jobs: list[dict[str, Any]] = []
        self.removed: list[str] = []  # the request_id of each removal ("" for any)

    def started(self, image_id: str) -> None:
        self.started_image = image_id

    def schedule(self, stack_id: str, logical_id: str, minutes: float, job: Any, ctx: Any) -> None:
        self.jobs.append(job)

    def remove_schedule(self, *args: Any, **kwargs: Any) -> bool:
        self.removed.append(kwargs.get("request_id", ""))
        return True


class Context:
    function_name = "provider"


class ParkedIndex:
    """The account's parked index, in a list."""

    def __init__(self) -> None:
        self.entries: list[Any] = []

    def put(self, parked: Any) -> None:
        self.entries.append(parked)

    def delete(self, image_id: str) -> None:
        self.entries = [e for e in self.entries if e.image_id != image_id]


class Stacks:
    """The stack's status: being updated, unless a test says it rolls back."""

    def __init__(self, status: str = "UPDATE_IN_PROGRESS") -> None:
        self.stack_status = status

    def status(self, stack_id: str) -> tuple[str, None]:
        return self.stack_status, None


class Versions:
    """Each resource's versions, in a dict."""

    def __init__(self) -> None:
        self.of: dict[str, list[str]] = {}

    def get(self, logical_id: str) -> list[str]:
        return list(self.of.get(logical_id, []))

    def put(self, logical_id: str, history: list[str]) -> None:
        self.of[logical_id] = list(history)

    def delete(self, logical_id: str) -> None:
        self.of.pop(logical_id, None)


def lifecycle_of(helper: Any, api: Any, stacks: Stacks | None = None) -> images.ImageLifecycle:
    return images.ImageLifecycle(helper, api, ParkedIndex(), stacks or Stacks(), Versions())  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_waiting() -> None:
    common.patience._sleep = lambda seconds: None
    common.patience.reset()


def copy_props(source: str, name: str) -> dict[str, Any]:
    return {
        "SourceImageId": source,
        "SourceRegion": "us-west-2",
        "Name": name,
        "Description": f"Image {name}",
        "PollIntervalMinutes": "1",
        "TimeoutSeconds": "3300",
    }


def import_props(name: str, handle: str) -> dict[str, Any]:
    return {
        "ImageBuildVersionArn": IMAGE_VERSION,
        "ComputeType": "BASE",
        "Protocol": "DCV",
        "OsVersion": "Windows_11",
        "InfrastructureConfigurationArn": INFRASTRUCTURE,
        "Name": name,
        "Description": f"Image {name}",
        "PollIntervalMinutes": "1",
        "TimeoutSeconds": "21600",
        "WaitHandle": handle,
    }


def update(resource_type: str, new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    return {
        "RequestType": "Update",
        "RequestId": "r2",
        "StackId": STACK,
        "LogicalResourceId": "Golden",
        "ResourceType": resource_type,
        "PhysicalResourceId": "wsi-newnewnew1",
        "ResourceProperties": new,
        "OldResourceProperties": old,
    }


def test_a_rollback_adopts_the_old_image_even_when_its_source_is_gone() -> None:
    # GIVEN the old copy, made by this resource, whose source image was deleted since
    class Gone(Images):
        def copy(self, **kwargs: Any) -> str:
            raise refusal("ResourceNotFoundException", "CopyWorkspaceImage")

    api = Gone()
    api.add("wsi-oldoldold1", "golden-v1", "AVAILABLE", logical_id="Golden")
    api.add("wsi-newnewnew1", "golden-v2", "AVAILABLE", logical_id="Golden")
    # WHEN CloudFormation rolls a failed replacement back to the old properties
    event = update(
        contract.COPY_RESOURCE_TYPE,
        new=copy_props("wsi-deletedsrc1", "golden-v1"),
        old=copy_props("wsi-newsource01", "golden-v2"),
    )
    answer = lifecycle_of(Helper(), api).update(event, Context(), ())  # type: ignore[arg-type]

    # THEN the old image is adopted, not refused for its missing source
    assert answer.physical_id == "wsi-oldoldold1"


def test_a_first_create_whose_source_is_gone_still_fails_with_the_services_words() -> None:
    class Gone(Images):
        def copy(self, **kwargs: Any) -> str:
            raise refusal("ResourceNotFoundException", "CopyWorkspaceImage")

    event = {
        "RequestType": "Create",
        "RequestId": "r1",
        "StackId": STACK,
        "LogicalResourceId": "Golden",
        "ResourceType": contract.COPY_RESOURCE_TYPE,
        "ResourceProperties": copy_props("wsi-deletedsrc1", "golden-v1"),
    }
    with pytest.raises(common.ResourceFailed, match="CopyWorkspaceImage failed: ResourceNotFound"):
        lifecycle_of(Helper(), Gone()).create(event, Context(), ())  # type: ignore[arg-type]


def test_the_watcher_of_a_rollback_deletes_the_abandoned_image_before_it_signals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a rollback of a long-wait import whose abandoned new image is still PENDING
    class Exists(Images):
        def import_custom(self, **kwargs: Any) -> str:
            raise refusal("ResourceAlreadyExistsException", "ImportCustomWorkspaceImage")

        def describe_import(self, image_id: str) -> None:
            return None

    api = Exists()
    api.add("wsi-oldoldold1", "v1", "AVAILABLE", logical_id="Golden")
    api.add("wsi-newnewnew1", "v2", "PENDING", logical_id="Golden")
    helper = Helper()
    lifecycle = lifecycle_of(helper, api)  # type: ignore[arg-type]
    event = update(
        contract.IMPORT_RESOURCE_TYPE,
        new=import_props("v1", "https://handle/1"),
        old=import_props("v2", "https://handle/2"),
    )

    # WHEN the rollback answers, and its watcher runs while the new image is PENDING
    answer = lifecycle.update(event, Context(), ("wsi-newnewnew1",))
    (job,) = helper.jobs
    signals: list[dict[str, str]] = []
    monkeypatch.setattr(images, "send_response", lambda url, body: signals.append(body) or True)
    lifecycle.watch(job, Context())

    # THEN the watcher carries the image to delete, and does not signal while it waits
    assert answer.physical_id == "wsi-oldoldold1"
    assert job[images.DISCARD] == ["wsi-newnewnew1"]
    assert signals == []
    # AND once the image can be deleted, it deletes it and signals
    api.images["wsi-newnewnew1"]["State"] = "AVAILABLE"
    lifecycle.watch(job, Context())
    assert api.deleted == ["wsi-newnewnew1"]
    assert [signal["Status"] for signal in signals] == ["SUCCESS"]
    # AND it removes its schedule only if it is still its own request's
    assert helper.removed == [event["RequestId"]]
    # AND a job stored before jobs named their request removes the schedule as before
    del job["RequestId"]
    lifecycle.watch(job, Context())
    assert helper.removed[-1] == ""


def test_a_started_image_is_noted_for_crhelpers_timeout_answer() -> None:
    class Starts(Images):
        def create(self, **kwargs: Any) -> str:
            self.add("wsi-startedimg1", kwargs["name"], "PENDING")
            return "wsi-startedimg1"

    helper = Helper()
    event = {
        "RequestType": "Create",
        "RequestId": "r1",
        "StackId": STACK,
        "LogicalResourceId": "Golden",
        "ResourceType": contract.RESOURCE_TYPE,
        "ResourceProperties": {
            "WorkspaceId": "ws-abcdefgh1",
            "Name": "golden",
            "Description": "Image golden",
            "PollIntervalMinutes": "1",
            "TimeoutSeconds": "3300",
        },
    }
    lifecycle_of(helper, Starts()).create(event, Context(), ())  # type: ignore[arg-type]

    assert helper.started_image == "wsi-startedimg1"


def test_a_failed_read_of_an_imports_progress_does_not_fail_a_healthy_import() -> None:
    class Throttled(Images):
        def describe_import(self, image_id: str) -> None:
            raise refusal("ThrottlingException", "DescribeCustomWorkspaceImageImport")

    api = Throttled()
    api.add("wsi-abcdefghi", "golden", "PENDING")
    event = {
        "RequestType": "Create",
        "LogicalResourceId": "Golden",
        "StackId": STACK,
        "ResourceType": contract.IMPORT_RESOURCE_TYPE,
        "ResourceProperties": {"PollIntervalMinutes": "1", "TimeoutSeconds": "21600"},
    }
    state = {
        "ImageId": "wsi-abcdefghi",
        "StartedAt": time.time(),
        "SourceAction": actions.CUSTOM_IMPORT_ACTION,
    }

    answer = lifecycle_of(Helper(), api).poll(event, state)  # type: ignore[arg-type]

    assert answer is None  # still waiting
    assert api.deleted == []


def test_an_update_refused_for_another_reason_keeps_the_services_words() -> None:
    # GIVEN a source with an update, which WorkSpaces refuses for a reason of its own
    class Linux(Images):
        def create_updated(self, **kwargs: Any) -> str:
            raise refusal("OperationNotSupportedException", "CreateUpdatedWorkspaceImage")

    api = Linux()
    api.add("wsi-linuxsrc01", "linux", "AVAILABLE")
    api.images["wsi-linuxsrc01"]["Updates"] = {"UpdateAvailable": True}
    event = {
        "RequestType": "Create",
        "RequestId": "r1",
        "StackId": STACK,
        "LogicalResourceId": "Golden",
        "ResourceType": contract.UPDATED_RESOURCE_TYPE,
        "ResourceProperties": {
            "SourceImageId": "wsi-linuxsrc01",
            "Name": "updated",
            "Description": "Image updated",
            "PollIntervalMinutes": "1",
            "TimeoutSeconds": "3300",
        },
    }

    # THEN the reason is the service's, not "no update available"
    with pytest.raises(common.ResourceFailed, match="OperationNotSupportedException"):
        lifecycle_of(Helper(), api).create(event, Context(), ())  # type: ignore[arg-type]
