"""Lambda entry point: crhelper's wiring, and dispatch by resource type.

Each resource type is served by one object with the same methods: every
image type by ``images.ImageLifecycle`` (with its source from ``sources``),
Custom::WorkspaceImageUpdate by ``updated.UpdatedImageResource`` around it
(the source itself when there is nothing to update),
Custom::WorkspaceBundle by ``bundles.BundleResource``, and
Custom::WorkspaceImageReady by ``ReadyResource``. A long wait's watcher,
invoked by its schedule, is ``ImageLifecycle.watch``.

The contract, as crhelper states it:
- create and update return the physical id; outputs go in ``helper.Data``
  (written in one place, ``_answer``); raising fails the request with the
  exception's text.
- poll functions return a falsy value to keep waiting, the physical id when
  done, or raise to fail.
- delete must succeed when the resource is already gone.
"""

from __future__ import annotations

import os

import sdk

# First of all, before anything makes a boto3 session: botocore reads the
# WorkSpaces model shipped with the function before its own (sdk.py).
os.environ[sdk.DATA_PATH_VARIABLE] = sdk.data_path(os.environ.get(sdk.DATA_PATH_VARIABLE))

from typing import Any, Protocol

import contract
import trust
from common import Answer, ResourceFailed, log_decision, log_fields, logger, patience
from images import ImageLifecycle
from polling_helper import (
    ImageResourceHelper,
    own_region,
    own_stack_id,
    rehearsal_endpoint,
    send_response,
)
from stacks import Stacks
from state import WATCH, ParkedIndex, VersionHistory
from workspaces import WorkSpacesImages


class Resource(Protocol):
    """What serves one resource type: a request in, an Answer out."""

    def abandoned(
        self, target_input: dict[str, Any], request_id: str, physical_id: str
    ) -> tuple[str, ...]: ...
    def create(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer: ...
    def update(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer: ...
    def delete(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer: ...
    def poll(self, event: dict[str, Any], state: dict[str, Any]) -> Answer | None: ...
    def poll_delete(self, event: dict[str, Any], state: dict[str, Any]) -> Answer | None: ...
    def abandon(
        self, event: dict[str, Any], state: dict[str, Any], physical_id: str
    ) -> str | None: ...


class ReadyResource:
    """Custom::WorkspaceImageReady: reports the image id after a long wait; owns nothing."""

    def __init__(self, lifecycle: ImageLifecycle) -> None:
        self._lifecycle = lifecycle

    def abandoned(
        self, target_input: dict[str, Any], request_id: str, physical_id: str
    ) -> tuple[str, ...]:
        return ()

    def create(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        return self._lifecycle.confirm_ready(event)

    update = create

    def delete(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        # The image belongs to its Custom::WorkspaceImage.
        return Answer(str(event.get("PhysicalResourceId", "")), {})

    def poll(self, event: dict[str, Any], state: dict[str, Any]) -> Answer | None:
        raise AssertionError("Custom::WorkspaceImageReady answers at once")

    poll_delete = poll

    def abandon(self, event: dict[str, Any], state: dict[str, Any], physical_id: str) -> str | None:
        return None


images = WorkSpacesImages()


# If crhelper cannot schedule the polls, what this request made is deleted.
def _abandon(physical_id: str) -> str | None:
    """crhelper could not schedule the polls: give up what this request made."""
    return _resource(helper._event).abandon(helper._event, dict(helper.Data), physical_id)


helper = ImageResourceHelper(patience, abandon=_abandon)
lifecycle = ImageLifecycle(
    helper,
    images,
    ParkedIndex(lambda: helper._client("ssm")),
    Stacks(),
    VersionHistory(lambda: helper._client("ssm"), own_stack_id),
)
RESOURCES: dict[str, Resource] = {
    **dict.fromkeys(
        set(contract.IMAGE_RESOURCE_TYPES) - {contract.UPDATED_RESOURCE_TYPE}, lifecycle
    ),
    contract.READY_RESOURCE_TYPE: ReadyResource(lifecycle),
}


def _bundles() -> Resource:
    """Custom::WorkspaceBundle's handler, imported on first use: an image's
    poll, the most frequent invocation, compiles nothing it does not run
    (Lambda's code directory keeps no .pyc; bench/RESULTS.md)."""
    from bundles import BundleResource
    from workspaces import WorkSpacesBundles

    return BundleResource(images, WorkSpacesBundles(images))


def _updated() -> Resource:
    """Custom::WorkspaceImageUpdate's handler, imported on first use (as ``_bundles``)."""
    from updated import UpdatedImageResource

    return UpdatedImageResource(lifecycle, images)


LAZY_RESOURCES = {contract.BUNDLE_RESOURCE_TYPE: _bundles, contract.UPDATED_RESOURCE_TYPE: _updated}
# Types that never leave a poll schedule behind: nothing to take over from.
NEVER_POLLS = frozenset({contract.READY_RESOURCE_TYPE})


def handler(event: Any, context: Any) -> None:
    # Each invocation has its own budget for waiting out IAM propagation.
    patience.reset()
    scheduled = isinstance(event, dict) and contract.SCHEDULE_EVENT_KEY in event
    through_alias = trust.qualifier(context.invoked_function_arn) == contract.POLL_ALIAS
    if through_alias or scheduled:
        # The poll alias is EventBridge's only way in (provider.py): through it,
        # only a poll or a watcher, named by its rule's target; what it runs
        # comes from the state store, checked (trust.schedule_error). Anything
        # else a rule's target could carry is refused.
        if not (through_alias and scheduled):
            _refuse(event, "a schedule's reference comes only through the poll alias")
            return
        loaded = helper.load_schedule(event[contract.SCHEDULE_EVENT_KEY], context)
        if loaded is None:
            return
        _, schedule = loaded
        if schedule.kind == WATCH:
            lifecycle.watch(schedule.body, context)
        else:
            helper(schedule.body, context)
        return
    refused = trust.event_error(event, own_stack_id(), own_region(), rehearsal_endpoint())
    if refused:
        _refuse(event, refused)
        return
    helper(event, context)


def _refuse(event: Any, why: str) -> None:
    """An event this function does not serve: nothing is done and nothing answered,
    except to tell CloudFormation that the function was deployed without its stack id."""
    logger.warning("event:refused", extra=log_fields(decision="event:refused", why=why))
    if own_stack_id() or not isinstance(event, dict):
        return
    send_response(
        str(event.get("ResponseURL", "")),
        {
            "Status": "FAILED",
            "Reason": f"the provider function has no {contract.ENV_STACK_ID} in its "
            "environment: deploy it with the cdk-workspace-image construct",
            "PhysicalResourceId": str(event.get("PhysicalResourceId") or "not-created"),
            "StackId": str(event.get("StackId", "")),
            "RequestId": str(event.get("RequestId", "")),
            "LogicalResourceId": str(event.get("LogicalResourceId", "")),
            "Data": {},
        },
    )


def _resource(event: dict[str, Any]) -> Resource:
    resource_type = event["ResourceType"]
    if resource_type not in RESOURCES and resource_type in LAZY_RESOURCES:
        RESOURCES[resource_type] = LAZY_RESOURCES[resource_type]()
    try:
        return RESOURCES[resource_type]
    except KeyError:
        raise ResourceFailed(f"unknown resource type {event['ResourceType']!r}") from None


@helper.create
def create(event: dict[str, Any], context: Any) -> str | None:
    resource = _resource(event)
    answer = resource.create(event, context, _supersede(event, context, resource))
    _sweep(event, context)
    return _answer(answer)


@helper.update
def update(event: dict[str, Any], context: Any) -> str | None:
    resource = _resource(event)
    answer = resource.update(event, context, _supersede(event, context, resource))
    _sweep(event, context)
    return _answer(answer)


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    resource = _resource(event)
    answer = resource.delete(event, context, _supersede(event, context, resource))
    _sweep(event, context)
    _answer(answer)


# The sweep (images.sweep) rides on a request's own work, after it, and only
# when most of the invocation's time is left: the request comes first.
SWEEP_MIN_REMAINING_MS = 6 * 60 * 1000


def _sweep(event: dict[str, Any], context: Any) -> None:
    if context.get_remaining_time_in_millis() >= SWEEP_MIN_REMAINING_MS:
        lifecycle.sweep(event)


@helper.poll_create
@helper.poll_update
def poll(event: dict[str, Any], context: Any) -> str | None:
    state = _poll_state(event)
    return _answer(_resource(event).poll(event, state))


@helper.poll_delete
def poll_delete(event: dict[str, Any], context: Any) -> str | None:
    state = _poll_state(event)
    return _answer(_resource(event).poll_delete(event, state))


def _poll_state(event: dict[str, Any]) -> dict[str, Any]:
    """What the first call kept for the polls, taken out of the answer.

    helper.Data is this event's CrHelperData: nothing of it goes in the
    answer. Every failure from here on answers with the resource's id
    (crhelper keeps it when the function raises), never a made-up one.
    """
    state = dict(event.get("CrHelperData") or {})
    helper.Data.clear()
    made = state.get(contract.ATTR_IMAGE_ID) or state.get(contract.ATTR_BUNDLE_ID)
    if made and event["RequestType"] != "Delete":
        helper.PhysicalResourceId = str(made)
    return state


def _answer(answer: Answer | None) -> str | None:
    """The one place that writes what CloudFormation gets (or the polls keep)."""
    if answer is None:
        return None  # a poll that keeps waiting
    helper.Data.clear()
    helper.Data.update(answer.data)
    if answer.done:
        helper.finish_now()
    return answer.physical_id


def _supersede(event: dict[str, Any], context: Any, resource: Resource) -> tuple[str, ...]:
    """Take over from a request that CloudFormation abandoned (a cancelled deploy).

    A poll schedule still there when a new request arrives belongs to a
    request CloudFormation gave up on: remove it, so that it neither answers
    nor overwrites this request's poll, and return what it made.
    """
    if event["ResourceType"] in NEVER_POLLS:
        return ()
    stack_id, logical_id = event["StackId"], event["LogicalResourceId"]
    schedule = helper.read_schedule(stack_id, logical_id)
    if schedule is None:
        return ()
    target = {contract.WATCH_EVENT_KEY: schedule.body} if schedule.kind == WATCH else schedule.body
    abandoned = resource.abandoned(
        target, event["RequestId"], str(event.get("PhysicalResourceId", ""))
    )
    helper.remove_schedule(stack_id, logical_id, context.function_name, strict=False)
    log_decision(event, "supersede", abandoned=list(abandoned))
    return abandoned
