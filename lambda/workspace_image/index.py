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
from polling_helper import ImageResourceHelper, send_response
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
    if contract.WATCH_EVENT_KEY in event:
        watch(event[contract.WATCH_EVENT_KEY], context)
    else:
        helper(event, context)


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    spec = _spec(event["ResourceProperties"])
    image_id = _start_image(event, spec)
    if logic.needs_watch(None, spec, logic.Change.REPLACE):
        _start_watch(event, spec, image_id, context)
    return image_id


@helper.update
def update(event: dict[str, Any], context: Any) -> str:
    new = _spec(event["ResourceProperties"])
    old = logic.read_spec(event["OldResourceProperties"])
    image_id = str(event["PhysicalResourceId"])
    change = logic.classify_update(old, new)
    log_decision(event, f"update:{change.value}", image_id=image_id)
    if change is logic.Change.REPLACE:
        new_id = _start_image(event, new, replacing=old)
        if logic.needs_watch(old, new, change):
            _start_watch(event, new, new_id, context)
        return new_id
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
    if logic.needs_watch(old, new, change):
        _start_watch(event, new, image_id, context)
    return image_id


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    image_id = str(event.get("PhysicalResourceId", ""))
    helper.remove_schedule(event["StackId"], event["LogicalResourceId"], context.function_name)
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
    decision, image = _check(
        event,
        image_id,
        started_at=float(data[STARTED_AT]),
        timeout_seconds=float(
            props.get(contract.PROP_TIMEOUT_SECONDS, contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS)
        ),
        poll_minutes=float(props.get(contract.PROP_POLL_INTERVAL_MINUTES, 1)),
    )
    if decision.outcome is logic.Outcome.WAIT:
        return None
    if decision.outcome is logic.Outcome.FAILED:
        # The answer carries the image id: a Delete that follows finds it gone
        # (_check deleted it), and a rollback of a replacing Update adopts the
        # old image again.
        helper.PhysicalResourceId = image_id
        helper.Data.clear()
        raise ResourceFailed(decision.reason)
    assert image is not None
    helper.Data.clear()
    helper.Data.update(logic.response_data(image))
    return image_id


def watch(job: dict[str, Any], context: Any) -> None:
    """A scheduled poll for a long wait: signal the WaitCondition once it is over."""
    log_event = {"RequestType": "Watch", "LogicalResourceId": job["LogicalResourceId"]}
    image_id = str(job[contract.ATTR_IMAGE_ID])
    timeout = float(job[contract.PROP_TIMEOUT_SECONDS])
    poll_minutes = float(job[contract.PROP_POLL_INTERVAL_MINUTES])
    try:
        decision, _ = _check(
            log_event,
            image_id,
            started_at=float(job[STARTED_AT]),
            timeout_seconds=timeout,
            poll_minutes=poll_minutes,
        )
    except ResourceFailed as err:
        elapsed = time.time() - float(job[STARTED_AT])
        if elapsed + poll_minutes * 60 <= timeout:
            log_decision(log_event, "watch:retry-later", image_id=image_id, error=str(err))
            return
        decision = logic.PollDecision(logic.Outcome.FAILED, str(err))
    if decision.outcome is logic.Outcome.WAIT:
        return
    signal = logic.wait_signal(decision, image_id)
    if send_response(job[contract.PROP_WAIT_HANDLE], signal):
        helper.remove_schedule(job["StackId"], job["LogicalResourceId"], context.function_name)
        log_decision(log_event, f"watch:signalled-{signal['Status'].lower()}", image_id=image_id)


def _start_watch(event: dict[str, Any], spec: logic.ImageSpec, image_id: str, context: Any) -> None:
    """Answer CloudFormation now; a schedule signals the WaitCondition later."""
    job = {
        contract.ATTR_IMAGE_ID: image_id,
        STARTED_AT: time.time(),
        contract.PROP_TIMEOUT_SECONDS: spec.timeout_seconds,
        contract.PROP_POLL_INTERVAL_MINUTES: spec.poll_interval_minutes,
        contract.PROP_WAIT_HANDLE: spec.wait_handle,
        "StackId": event["StackId"],
        "LogicalResourceId": event["LogicalResourceId"],
    }
    helper.schedule(
        event["StackId"],
        event["LogicalResourceId"],
        spec.poll_interval_minutes,
        {contract.WATCH_EVENT_KEY: job},
        context,
    )
    helper.Data.clear()
    helper.Data.update({contract.ATTR_IMAGE_ID: image_id, contract.ATTR_NAME: spec.name})
    helper.finish_now()
    log_decision(event, "watch:started", image_id=image_id, timeout_seconds=spec.timeout_seconds)


def _check(
    log_event: dict[str, Any],
    image_id: str,
    *,
    started_at: float,
    timeout_seconds: float,
    poll_minutes: float,
) -> tuple[logic.PollDecision, dict[str, Any] | None]:
    """One poll: describe the image, decide, log one line, and delete it if it failed.

    The broken image is deleted here: with DeletionPolicy Retain (the default)
    CloudFormation skips the Delete of a failed resource.
    """
    now = time.time()
    image = _call("DescribeWorkspaceImages", lambda: images.describe(image_id))
    decision = logic.decide_poll(
        image,
        image_id=image_id,
        now=now,
        started_at=started_at,
        timeout_seconds=timeout_seconds,
        poll_interval_seconds=poll_minutes * 60,
    )
    log_decision(
        log_event,
        f"poll:{decision.outcome.value}",
        image_id=image_id,
        state=(image or {}).get("State", "MISSING"),
        elapsed_seconds=round(now - started_at),
    )
    if decision.outcome is logic.Outcome.FAILED and image is not None:
        left_behind = _discard(log_event, image_id)
        if left_behind:
            return logic.PollDecision(
                decision.outcome, logic.fit_reason(f"{left_behind}; {decision.reason}")
            ), image
    return decision, image


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
