"""Lambda entry point: crhelper wiring, and the lifecycle of Custom::WorkspaceImage.

Custom::WorkspaceBundle is served by ``bundles``; Custom::WorkspaceImageReady
by ``_confirm_ready``; the watcher of a long wait by ``watch``.

The contract, as crhelper states it:
- create and update return the physical id (the image id); outputs go in
  ``helper.Data``; raising fails the request with the exception's text.
- poll functions return a falsy value to keep waiting, the physical id when
  done, or raise to fail.
- delete must succeed when the image is already gone.

Decisions live in ``logic`` and AWS calls in ``workspaces``.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import contract
import logic
from botocore.exceptions import ClientError
from bundles import BundleResource
from common import (
    ResourceFailed,
    best_effort,
    call,
    log_decision,
    made_here,
    patience,
    refusal,
    update_tags,
)
from polling_helper import ImageResourceHelper, schedule_failure_reason, send_response
from workspaces import (
    NOT_FOUND_CODES,
    WorkSpacesBundles,
    WorkSpacesImages,
    error_code,
    error_message,
)

images = WorkSpacesImages()
bundles = BundleResource(images, WorkSpacesBundles(images))
# If crhelper cannot schedule the polls, an image this request made is deleted.
helper = ImageResourceHelper(patience, abandon=lambda image_id: _abandon(image_id))

# Keys kept in helper.Data between the first call and the polls.
STARTED_AT = "StartedAt"
# Set when this request made the image (rather than adopting one): only such
# an image may be discarded when its polls cannot be scheduled, or when a
# later request finds that CloudFormation abandoned this one.
CREATED_HERE = logic.CREATED_HERE_KEY
# Images that an abandoned request made, to delete once the service allows.
DISCARD = logic.DISCARD_KEY


def handler(event: dict[str, Any], context: Any) -> None:
    # Each invocation has its own budget for waiting out IAM propagation.
    patience.reset()
    if contract.WATCH_EVENT_KEY in event:
        watch(event[contract.WATCH_EVENT_KEY], context)
    else:
        helper(event, context)


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    if event["ResourceType"] == contract.READY_RESOURCE_TYPE:
        return _confirm_ready(event)
    abandoned = _supersede(event, context)
    if event["ResourceType"] == contract.BUNDLE_RESOURCE_TYPE:
        return _bundle_answer(event, bundles.create(event, helper.Data), abandoned)
    spec = _spec(event["ResourceProperties"])
    image_id = _start_image(event, spec)
    _discard_abandoned(event, abandoned, keep=image_id)
    if logic.needs_watch(None, spec, logic.Change.REPLACE):
        _start_watch(event, spec, image_id, context)
    return image_id


@helper.update
def update(event: dict[str, Any], context: Any) -> str:
    if event["ResourceType"] == contract.READY_RESOURCE_TYPE:
        return _confirm_ready(event)
    abandoned = _supersede(event, context)
    if event["ResourceType"] == contract.BUNDLE_RESOURCE_TYPE:
        return _bundle_answer(event, bundles.update(event, helper.Data), abandoned)
    new = _spec(event["ResourceProperties"])
    old = logic.read_spec(event["OldResourceProperties"])
    image_id = str(event["PhysicalResourceId"])
    change = logic.classify_update(old, new)
    log_decision(event, f"update:{change.value}", image_id=image_id)
    if change is logic.Change.REPLACE:
        # A rollback of a replacement that CloudFormation cancelled comes here
        # too: it adopts the old image, and deletes the abandoned new one.
        new_id = _start_image(event, new, replacing=old)
        _discard_abandoned(event, abandoned, keep=new_id)
        if logic.needs_watch(old, new, change):
            _start_watch(event, new, new_id, context)
        return new_id
    if change is logic.Change.IN_PLACE:
        update_tags(images, image_id, old.tags, new.tags)
        to_share, to_unshare = logic.share_diff(old.share_with, new.share_with)
        _share(event, image_id, to_share, allow=True)
        _unshare(event, image_id, to_unshare)
    image = call("DescribeWorkspaceImages", lambda: images.describe(image_id))
    if image is None:
        raise ResourceFailed(
            f"image {image_id} no longer exists; it was deleted outside CloudFormation"
        )
    if _discard_abandoned(event, abandoned, keep=image_id):
        # The poll answers once the abandoned images are deleted.
        helper.Data.update({contract.ATTR_IMAGE_ID: image_id, STARTED_AT: time.time()})
        return image_id
    helper.Data.clear()
    helper.Data.update(logic.response_data(image))
    helper.finish_now()
    if logic.needs_watch(old, new, change):
        _start_watch(event, new, image_id, context)
    return image_id


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    if event["ResourceType"] == contract.READY_RESOURCE_TYPE:
        helper.finish_now()
        return  # it only reports the id; the image belongs to Custom::WorkspaceImage
    abandoned = _supersede(event, context)
    if event["ResourceType"] == contract.BUNDLE_RESOURCE_TYPE:
        helper.finish_now()
        bundles.delete(event)
        bundles.discard(event, list(abandoned))
        return None
    image_id = str(event.get("PhysicalResourceId", ""))
    if not contract.is_image_id(image_id):
        # A Create that failed before an image existed has a made-up id
        # (crhelper issue #7); one that CloudFormation gave up on may still
        # have made an image, found by its poll schedule (``abandoned``) or by
        # its name and owner tags.
        found = _find_own_image(event)
        if found is None:
            log_decision(event, "delete:not-an-image", physical_id=image_id)
        image_id = found or ""
    started_at = time.time()
    waiting = _discard_all(
        event, [*abandoned, image_id], started_at, own=image_id, own_shares=_managed_shares(event)
    )
    if not waiting:
        helper.finish_now()
        return
    # The service refuses to delete a PENDING image: poll until it can.
    helper.Data.update({DISCARD: waiting, STARTED_AT: started_at})


@helper.poll_delete
def poll_delete(event: dict[str, Any], context: Any) -> str | None:
    data = event["CrHelperData"]
    to_delete, started_at = list(data.get(DISCARD) or []), float(data[STARTED_AT])
    # helper.Data is this event's CrHelperData: nothing of it goes in the answer.
    helper.Data.clear()
    waiting = _discard_all(
        event,
        to_delete,
        started_at,
        own=str(event.get("PhysicalResourceId", "")),
        own_shares=_managed_shares(event),
    )
    if waiting:
        return None
    return str(event.get("PhysicalResourceId") or "deleted")


def _managed_shares(event: dict[str, Any]) -> list[str]:
    """The accounts this resource shares its image with (``share_with_accounts``)."""
    props = event.get("ResourceProperties", {})
    return list(logic.read_accounts(props.get(contract.PROP_SHARE_WITH)))


@helper.poll_create
@helper.poll_update
def poll(event: dict[str, Any], context: Any) -> str | None:
    data = event["CrHelperData"]
    if event["ResourceType"] == contract.BUNDLE_RESOURCE_TYPE:
        helper.PhysicalResourceId = str(data.get(contract.ATTR_BUNDLE_ID, ""))
        return bundles.poll(event, helper.Data)
    image_id = str(data[contract.ATTR_IMAGE_ID])
    started_at = float(data[STARTED_AT])
    to_discard = list(data.get(DISCARD) or [])
    props = event["ResourceProperties"]
    poll_minutes = float(props.get(contract.PROP_POLL_INTERVAL_MINUTES, 1))
    # Every failure from here on answers with the image id (crhelper keeps it
    # when the function raises), so that nothing refers to a made-up id. Data
    # is this event's CrHelperData: only what the answer needs stays in it.
    helper.PhysicalResourceId = image_id
    helper.Data.clear()
    try:
        decision, image = _check(
            event,
            image_id,
            started_at=started_at,
            timeout_seconds=float(
                props.get(
                    contract.PROP_TIMEOUT_SECONDS, contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS
                )
            ),
            poll_minutes=poll_minutes,
        )
    except ResourceFailed as err:
        raise ResourceFailed(_give_up(event, image_id, str(err))) from err
    if decision.outcome is logic.Outcome.WAIT:
        return None
    if decision.outcome is logic.Outcome.FAILED:
        raise ResourceFailed(decision.reason)
    assert image is not None
    if _discard_all(event, to_discard, started_at, poll_interval_seconds=poll_minutes * 60):
        return None  # answer once the images an abandoned request made are deleted
    refused = _share_available(
        event, image_id, list(logic.read_accounts(props.get(contract.PROP_SHARE_WITH)))
    )
    if refused:
        raise ResourceFailed(refused)
    helper.Data.update(logic.response_data(image))
    return image_id


def watch(job: dict[str, Any], context: Any) -> None:
    """A scheduled poll for a long wait: signal the WaitCondition once it is over."""
    log_event = {"RequestType": "Watch", "LogicalResourceId": job["LogicalResourceId"]}
    image_id = str(job[contract.ATTR_IMAGE_ID])
    timeout = float(job[contract.PROP_TIMEOUT_SECONDS])
    poll_minutes = float(job[contract.PROP_POLL_INTERVAL_MINUTES])
    started_at = float(job[STARTED_AT])
    try:
        decision, _ = _check(
            log_event,
            image_id,
            started_at=started_at,
            timeout_seconds=timeout,
            poll_minutes=poll_minutes,
        )
    except ResourceFailed as err:
        # A failed look-up is retried at the next poll while the deadline allows.
        if not logic.past_deadline(time.time(), started_at, timeout, poll_minutes * 60):
            log_decision(log_event, "watch:retry-later", image_id=image_id, error=str(err))
            return
        decision = logic.PollDecision(logic.Outcome.FAILED, _give_up(log_event, image_id, str(err)))
    if decision.outcome is logic.Outcome.WAIT:
        return
    if decision.outcome is logic.Outcome.AVAILABLE:
        refused = _share_available(log_event, image_id, list(job.get(contract.PROP_SHARE_WITH, [])))
        if refused:
            decision = logic.PollDecision(logic.Outcome.FAILED, refused)
    signal = logic.wait_signal(decision, image_id)
    delivered = send_response(job[contract.PROP_WAIT_HANDLE], signal)
    # The wait is over either way: a handle that cannot be reached (its stack
    # rolled back, say) must not keep the watcher running.
    helper.remove_schedule(
        job["StackId"], job["LogicalResourceId"], context.function_name, strict=False
    )
    outcome = f"signalled-{signal['Status'].lower()}" if delivered else "signal-undelivered"
    log_decision(log_event, f"watch:{outcome}", image_id=image_id)


def _abandon(image_id: str) -> str | None:
    """crhelper could not schedule the polls: delete the image if this request made it."""
    if helper.Data.get(CREATED_HERE):
        return _discard({"RequestType": "Abandon"}, image_id)
    return None


def _share_available(log_event: dict[str, Any], image_id: str, accounts: list[str]) -> str | None:
    """Share an image that just became AVAILABLE; if refused, discard it and return why."""
    try:
        _share(log_event, image_id, accounts, allow=True)
    except ResourceFailed as err:
        return _give_up(log_event, image_id, str(err), shared=accounts)
    return None


def _share(log_event: dict[str, Any], image_id: str, accounts: list[str], *, allow: bool) -> None:
    """Share the image with (or stop sharing it with) each account."""
    for account in accounts:
        call(
            "UpdateWorkspaceImagePermission",
            partial(images.share, image_id, account, allow=allow),
            f"image {image_id}",
        )
        log_decision(log_event, "share" if allow else "unshare", image_id=image_id, account=account)


def _unshare(log_event: dict[str, Any], image_id: str, accounts: list[str]) -> None:
    """Stop sharing with those of ``accounts`` the image is shared with: the API
    revokes only a share that exists, and one may have been undone by hand."""
    if not accounts:
        return
    shared = call(
        "DescribeWorkspaceImagePermissions",
        lambda: images.shared_accounts(image_id),
        f"image {image_id}",
    )
    _share(log_event, image_id, logic.accounts_to_revoke(accounts, shared), allow=False)


def _supersede(event: dict[str, Any], context: Any) -> tuple[str, ...]:
    """Take over from a request that CloudFormation abandoned (a cancelled deploy).

    A poll schedule still there when a new request arrives belongs to a
    request CloudFormation gave up on: remove it, so that it neither answers
    nor overwrites this request's poll, and return the images it made.
    """
    stack_id, logical_id = event["StackId"], event["LogicalResourceId"]
    target = helper.read_schedule(stack_id, logical_id)
    if target is None:
        return ()
    made_by = (
        logic.abandoned_bundles
        if event["ResourceType"] == contract.BUNDLE_RESOURCE_TYPE
        else logic.abandoned_images
    )
    abandoned = made_by(target, event["RequestId"])
    helper.remove_schedule(stack_id, logical_id, context.function_name, strict=False)
    log_decision(event, "supersede", abandoned=list(abandoned))
    return abandoned


def _discard_abandoned(event: dict[str, Any], abandoned: tuple[str, ...], *, keep: str) -> bool:
    """Delete what an abandoned request made, except the image this request keeps.

    Those still PENDING go into this request's Data, for its polls to delete;
    returns whether there are any.
    """
    interval = 60 * float(
        event.get("ResourceProperties", {}).get(contract.PROP_POLL_INTERVAL_MINUTES, 1)
    )
    waiting = _discard_all(
        event, [i for i in abandoned if i != keep], time.time(), poll_interval_seconds=interval
    )
    if waiting:
        helper.Data[DISCARD] = waiting
    return bool(waiting)


def _discard_all(
    log_event: dict[str, Any],
    image_ids: list[str],
    started_at: float,
    own: str = "",
    poll_interval_seconds: float = 60,
    own_shares: list[str] | None = None,
) -> list[str]:
    """Delete each image; return those the service cannot delete yet (PENDING).

    The resource's ``own`` image is first unshared from ``own_shares`` (the
    shares it made; one made by hand still stops the delete). A refusal of it
    for another reason (a bundle uses it, a share by hand) fails the request
    with the remedy; any other image is left, and the log says so.
    """
    waiting = []
    for image_id in dict.fromkeys(image_id for image_id in image_ids if image_id):
        outcome = _discard_one(
            log_event,
            image_id,
            started_at,
            own=image_id == own,
            interval=poll_interval_seconds,
            shares=own_shares if image_id == own else None,
        )
        if outcome is logic.Discard.WAIT:
            waiting.append(image_id)
    return waiting


def _discard_one(
    log_event: dict[str, Any],
    image_id: str,
    started_at: float,
    *,
    own: bool,
    interval: float = 60,
    shares: list[str] | None = None,
) -> logic.Discard:
    # The state decides what a refusal means. If it cannot be read (a denial
    # that lasts), the resource's own image fails the request, and any other
    # is tried all the same.
    state: str | None = None
    try:
        image = patience.run("DescribeWorkspaceImages", lambda: images.describe(image_id))
    except ClientError as err:
        if own:
            raise refusal("DescribeWorkspaceImages", err) from err
        log_decision(log_event, "discard:state-unknown", image_id=image_id, error=error_code(err))
    else:
        if image is None:
            log_decision(log_event, "discard:gone", image_id=image_id)
            return logic.Discard.GONE
        state = image.get("State")
    # An image is shared once AVAILABLE.
    if shares and state == "AVAILABLE":
        _unshare(log_event, image_id, shares)
    try:
        patience.run("DeleteWorkspaceImage", lambda: images.delete(image_id))
    except ClientError as err:
        code = error_code(err)
        if code in NOT_FOUND_CODES:
            log_decision(log_event, "discard:gone", image_id=image_id)
            return logic.Discard.GONE
        outcome = logic.refused_delete(
            state,
            code,
            now=time.time(),
            started_at=started_at,
            wait_seconds=contract.DELETE_WAIT_SECONDS,
            poll_interval_seconds=interval,
        )
        log_decision(
            log_event, f"discard:{outcome.value}", image_id=image_id, state=state, error=code
        )
        if outcome is logic.Discard.REFUSED and own:
            raise ResourceFailed(
                logic.delete_refused_reason(image_id, code, error_message(err))
            ) from err
        return outcome
    log_decision(log_event, "discard:deleted", image_id=image_id, state=state)
    return logic.Discard.DELETED


def _bundle_answer(
    event: dict[str, Any], answer: tuple[str, bool], abandoned: tuple[str, ...]
) -> str:
    """A bundle request answers at once when its bundle is AVAILABLE, else polls.

    A bundle that an abandoned request made (a cancelled replacement) is deleted.
    """
    bundle_id, done = answer
    bundles.discard(event, [other for other in abandoned if other != bundle_id])
    if done:
        helper.finish_now()
    return bundle_id


def _confirm_ready(event: dict[str, Any]) -> str:
    """Custom::WorkspaceImageReady: the wait is over; answer with the image id."""
    image_id = str(event["ResourceProperties"].get(contract.PROP_IMAGE_ID, ""))
    image = call("DescribeWorkspaceImages", lambda: images.describe(image_id))
    if image is None or image.get("State") != "AVAILABLE":
        state = (image or {}).get("State", "missing")
        raise ResourceFailed(logic.fit_reason(f"image {image_id} is {state}, not AVAILABLE"))
    helper.Data.clear()
    helper.Data.update(logic.response_data(image))
    helper.finish_now()
    log_decision(event, "ready", image_id=image_id)
    # Not the image id itself: a Delete of this resource must never look like the image's.
    return f"ready-{image_id}"


def _start_watch(event: dict[str, Any], spec: logic.ImageSpec, image_id: str, context: Any) -> None:
    """Answer CloudFormation now; a schedule signals the WaitCondition later."""
    job = {
        contract.ATTR_IMAGE_ID: image_id,
        STARTED_AT: helper.Data.get(STARTED_AT, time.time()),
        contract.PROP_TIMEOUT_SECONDS: spec.timeout_seconds,
        contract.PROP_POLL_INTERVAL_MINUTES: spec.poll_interval_minutes,
        contract.PROP_WAIT_HANDLE: spec.wait_handle,
        contract.PROP_SHARE_WITH: list(spec.share_with),
        "StackId": event["StackId"],
        "LogicalResourceId": event["LogicalResourceId"],
    }
    try:
        helper.schedule(
            event["StackId"],
            event["LogicalResourceId"],
            spec.poll_interval_minutes,
            {contract.WATCH_EVENT_KEY: job},
            context,
        )
    except Exception as err:
        reason = schedule_failure_reason(err)
        if helper.Data.get(CREATED_HERE):
            helper.PhysicalResourceId = image_id
            reason = _give_up(event, image_id, reason)
        raise ResourceFailed(reason) from err
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
    """One poll: describe the image, decide, log one line; a failed image is deleted."""
    now = time.time()
    image = call("DescribeWorkspaceImages", lambda: images.describe(image_id))
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
        return logic.PollDecision(
            decision.outcome, _give_up(log_event, image_id, decision.reason)
        ), image
    return decision, image


def _give_up(
    log_event: dict[str, Any], image_id: str, reason: str, shared: list[str] | None = None
) -> str:
    """Delete an image whose wait failed, and return the reason to report.

    The image is deleted here (after undoing any share, which would stop the
    delete), or the reason says that it is left behind. Clean-up calls never
    raise: whatever they meet, the user gets the original reason.
    """
    for account in shared or []:
        best_effort(
            log_event,
            "UpdateWorkspaceImagePermission",
            partial(images.share, image_id, account, allow=False),
        )
    left_behind = _discard(log_event, image_id)
    return logic.fit_reason(f"{reason}; {left_behind}") if left_behind else reason


def _discard(log_event: dict[str, Any], image_id: str) -> str | None:
    """Delete an image that failed; return what to tell the user if it stays."""
    outcome = _discard_one(log_event, image_id, time.time(), own=False)
    return logic.left_behind_reason(image_id, outcome)


def _spec(props: dict[str, Any]) -> logic.ImageSpec:
    try:
        return logic.parse_properties(props)
    except logic.InvalidProperties as err:
        raise ResourceFailed(logic.fit_reason(f"invalid properties: {err}")) from err


def _start_image(
    event: dict[str, Any], spec: logic.ImageSpec, replacing: logic.ImageSpec | None = None
) -> str:
    """CreateWorkspaceImage, or adopt the image a repeated request already made.

    CreateWorkspaceImage has no client token. When it refuses in a way that a
    repeated request explains (the name is taken; the source WorkSpace is busy
    being imaged), the image of that name is looked up and adopted if this
    resource made it. Creating first keeps the look-up, which pages through
    every image, off the common path (bench/RESULTS.md).

    A denial is looked up the same way first: a rollback adopts the old image
    even when the role no longer grants its source. With nothing to adopt,
    the denial is a grant not yet in effect, and the Create waits for it.
    """
    stack_id, logical_id = event["StackId"], event["LogicalResourceId"]
    started_at = time.time()

    def create() -> str:
        return images.create(
            workspace_id=spec.workspace_id,
            name=spec.name,
            description=spec.description,
            tags=logic.creation_tags(spec.tags, stack_id, logical_id),
        )

    created = True
    try:
        image_id = create()
    except ClientError as err:
        code = error_code(err)
        log_decision(event, "create:refused", error=code)
        refusal = ResourceFailed(
            logic.service_error_reason("CreateWorkspaceImage", code, error_message(err))
        )
        if code not in logic.ADOPTABLE_CREATE_ERRORS | logic.ACCESS_DENIED_CODES:
            raise refusal from err
        existing = call("DescribeWorkspaceImages", lambda: images.find_owned_by_name(spec.name))
        if existing is not None:
            image_id = _adopt(event, spec, replacing, existing)
            created = False
        elif code in logic.ACCESS_DENIED_CODES:
            # Denied, and nothing to adopt: a grant of this deployment (the
            # source WorkSpace) may not be in effect yet. Wait for it.
            image_id = call("CreateWorkspaceImage", create, f"WorkSpace {spec.workspace_id}")
        else:
            raise refusal from err
    if created:
        helper.Data[CREATED_HERE] = True
        log_decision(event, "create:started", image_id=image_id, name=spec.name)
    helper.Data[contract.ATTR_IMAGE_ID] = image_id
    helper.Data[STARTED_AT] = started_at
    return image_id


def _adopt(
    event: dict[str, Any],
    spec: logic.ImageSpec,
    replacing: logic.ImageSpec | None,
    existing: dict[str, Any],
) -> str:
    image_id = str(existing["ImageId"])
    if replacing is not None and replacing.name == spec.name:
        raise ResourceFailed(logic.replacement_needs_new_name_reason(spec.name))
    if not made_here(images, image_id, event):
        log_decision(event, "create:name-taken", image_id=image_id)
        raise ResourceFailed(logic.name_taken_reason(spec.name, image_id))
    log_decision(event, "create:adopted", image_id=image_id, state=existing.get("State"))
    return image_id


def _find_own_image(event: dict[str, Any]) -> str | None:
    """The image this resource made under its Name, if any (by its owner tags)."""
    name = event.get("ResourceProperties", {}).get(contract.PROP_NAME)
    if not isinstance(name, str) or contract.name_error(name, contract.PROP_NAME):
        return None
    existing = call("DescribeWorkspaceImages", lambda: images.find_owned_by_name(name))
    if existing is None:
        return None
    image_id = str(existing["ImageId"])
    return image_id if made_here(images, image_id, event) else None
