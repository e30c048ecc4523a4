"""Lambda entry point of Custom::WorkspaceImage: crhelper wiring only.

The contract, as crhelper states it:
- create and update return the physical id (the image id); outputs go in
  ``helper.Data``; raising fails the request with the exception's text.
- poll functions return a falsy value to keep waiting, the physical id when
  done, or raise to fail.
- delete must succeed when the image is already gone.

Decisions live in ``logic`` and AWS calls in ``workspaces``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import contract
import logic
from botocore.exceptions import ClientError
from polling_helper import ImageResourceHelper
from workspaces import NOT_FOUND_CODES, WorkSpacesImages, error_code, error_message

logger = logging.getLogger(__name__)

helper = ImageResourceHelper()
images = WorkSpacesImages()

# Keys kept in helper.Data between the first call and the polls.
STARTED_AT = "StartedAt"


class ResourceFailed(Exception):
    """Fails the request; the message is CloudFormation's reason."""


def log_decision(event: dict[str, Any], decision: str, **fields: Any) -> None:
    """One structured line per decision. Never the event: it holds the ResponseURL."""
    record = {
        "decision": decision,
        "request": event.get("RequestType"),
        "logical_id": event.get("LogicalResourceId"),
        **fields,
    }
    logger.info(json.dumps(record, default=str))


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    spec = _spec(event["ResourceProperties"])
    return _start_image(event, spec)


@helper.update
def update(event: dict[str, Any], context: Any) -> str:
    new = _spec(event["ResourceProperties"])
    old = logic.read_spec(event["OldResourceProperties"])
    image_id = str(event["PhysicalResourceId"])
    change = logic.classify_update(old, new)
    log_decision(event, f"update:{change.value}", image_id=image_id)
    if change is logic.Change.REPLACE:
        return _start_image(event, new, replacing=old)
    if change is logic.Change.TAGS:
        to_set, to_remove = logic.tag_diff(old.tags, new.tags)
        if to_set:
            _call("CreateTags", lambda: images.set_tags(image_id, to_set))
        if to_remove:
            _call("DeleteTags", lambda: images.remove_tags(image_id, to_remove))
    image = _call("DescribeWorkspaceImages", lambda: images.describe(image_id))
    if image is None:
        raise ResourceFailed(
            f"image {image_id} no longer exists; it was deleted outside CloudFormation"
        )
    helper.Data.clear()
    helper.Data.update(logic.response_data(image))
    helper.finish_now()
    return image_id


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    image_id = str(event.get("PhysicalResourceId", ""))
    helper.remove_schedule()
    if not contract.is_image_id(image_id):
        # crhelper invents an id when a Create fails before an image exists (its issue #7).
        log_decision(event, "delete:not-an-image", physical_id=image_id)
        return
    image = _call("DescribeWorkspaceImages", lambda: images.describe(image_id))
    if image is None:
        log_decision(event, "delete:already-gone", image_id=image_id)
        return
    try:
        images.delete(image_id)
    except ClientError as err:
        if error_code(err) in NOT_FOUND_CODES:
            log_decision(event, "delete:already-gone", image_id=image_id)
            return
        log_decision(event, "delete:refused", image_id=image_id, error=error_code(err))
        raise ResourceFailed(
            logic.delete_refused_reason(image_id, error_code(err), error_message(err))
        ) from err
    log_decision(event, "delete:deleted", image_id=image_id, state=image.get("State"))


@helper.poll_create
@helper.poll_update
def poll(event: dict[str, Any], context: Any) -> str | None:
    data = event["CrHelperData"]
    image_id = str(data[contract.ATTR_IMAGE_ID])
    props = event["ResourceProperties"]
    poll_seconds = float(props.get(contract.PROP_POLL_INTERVAL_MINUTES, 1)) * 60
    timeout = float(props.get(contract.PROP_TIMEOUT_SECONDS, contract.MAX_TIMEOUT_SECONDS))
    now = time.time()
    image = _call("DescribeWorkspaceImages", lambda: images.describe(image_id))
    decision = logic.decide_poll(
        image,
        image_id=image_id,
        now=now,
        started_at=float(data[STARTED_AT]),
        timeout_seconds=timeout,
        poll_interval_seconds=poll_seconds,
    )
    log_decision(
        event,
        f"poll:{decision.outcome.value}",
        image_id=image_id,
        state=(image or {}).get("State", "MISSING"),
        elapsed_seconds=round(now - float(data[STARTED_AT])),
    )
    if decision.outcome is logic.Outcome.WAIT:
        return None
    if decision.outcome is logic.Outcome.FAILED:
        # The broken image is deleted here: with DeletionPolicy Retain (the
        # default) CloudFormation skips the Delete of a failed resource. The
        # answer still carries the image id, so a Delete that does come finds
        # it gone, and a rollback of a replacing Update adopts the old image.
        helper.PhysicalResourceId = image_id
        helper.Data.clear()
        left_behind = _discard(event, image_id) if image is not None else None
        if left_behind:
            raise ResourceFailed(logic.fit_reason(f"{left_behind}; {decision.reason}"))
        raise ResourceFailed(decision.reason)
    assert image is not None
    helper.Data.clear()
    helper.Data.update(logic.response_data(image))
    return image_id


def _discard(event: dict[str, Any], image_id: str) -> str | None:
    """Delete an image that failed; return what to tell the user if it stays."""
    try:
        images.delete(image_id)
    except ClientError as err:
        log_decision(event, "poll:discard-refused", image_id=image_id, error=error_code(err))
        return f"{image_id} could not be deleted ({error_code(err)}): delete it by hand"
    log_decision(event, "poll:discarded", image_id=image_id)
    return None


def _spec(props: dict[str, Any]) -> logic.ImageSpec:
    try:
        return logic.parse_properties(props)
    except logic.InvalidProperties as err:
        raise ResourceFailed(logic.fit_reason(f"invalid properties: {err}")) from err


def _start_image(
    event: dict[str, Any], spec: logic.ImageSpec, replacing: logic.ImageSpec | None = None
) -> str:
    """CreateWorkspaceImage, or adopt the image a repeated Create already made."""
    stack_id, logical_id = event["StackId"], event["LogicalResourceId"]
    try:
        image_id = images.create(
            workspace_id=spec.workspace_id,
            name=spec.name,
            description=spec.description,
            tags=logic.creation_tags(spec, stack_id, logical_id),
        )
        log_decision(event, "create:started", image_id=image_id, name=spec.name)
    except ClientError as err:
        if error_code(err) != "ResourceAlreadyExistsException":
            log_decision(event, "create:refused", error=error_code(err))
            raise ResourceFailed(
                logic.service_error_reason(
                    "CreateWorkspaceImage", error_code(err), error_message(err)
                )
            ) from err
        image_id = _adopt(event, spec, replacing)
    helper.Data[contract.ATTR_IMAGE_ID] = image_id
    helper.Data[STARTED_AT] = time.time()
    return image_id


def _adopt(event: dict[str, Any], spec: logic.ImageSpec, replacing: logic.ImageSpec | None) -> str:
    existing = _call("DescribeWorkspaceImages", lambda: images.find_owned_by_name(spec.name))
    if existing is None:
        raise ResourceFailed(
            logic.fit_reason(
                f"an image named {spec.name!r} exists but is not owned by this account"
            )
        )
    image_id = str(existing["ImageId"])
    if replacing is not None and replacing.name == spec.name:
        raise ResourceFailed(logic.replacement_needs_new_name_reason(spec.name))
    tags = _call("DescribeTags", lambda: images.tags(image_id))
    if not logic.is_owned_by(tags, event["StackId"], event["LogicalResourceId"]):
        log_decision(event, "create:name-taken", image_id=image_id)
        raise ResourceFailed(logic.name_taken_reason(spec.name, image_id))
    log_decision(event, "create:adopted", image_id=image_id, state=existing.get("State"))
    return image_id


def _call(action: str, call: Any) -> Any:
    """Run one AWS call; a refusal fails the request with the service's words."""
    try:
        return call()
    except ClientError as err:
        raise ResourceFailed(
            logic.service_error_reason(action, error_code(err), error_message(err))
        ) from err
