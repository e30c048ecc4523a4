"""Images to be deleted: what an abandoned request made, and what became of a
delete. Pure: no AWS calls, no clock, no I/O."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import contract
from polls import past_deadline
from reasons import fit_reason
from retries import is_throttling


def abandoned_images(
    target_input: Mapping[str, Any], request_id: str, physical_id: str = ""
) -> tuple[str, ...]:
    """Images that an abandoned request made, from its schedule's state.

    CloudFormation sends one request at a time per resource, and a request is
    answered only once its schedule is gone: a poll still scheduled when a new
    request arrives belongs to a request it gave up on (a cancelled create,
    update or delete). What that request made is not this resource's unless
    the new request adopts it, so it is to be deleted.

    A long wait's watcher belongs to a request that answered at once: its image
    is the resource's, unless the new request names another one
    (``physical_id``). Then CloudFormation never took that answer (the deploy
    was cancelled first) and rolls back to the old image: the watcher's image,
    and what the watcher was to delete, are abandoned.
    """
    watch = target_input.get(contract.WATCH_EVENT_KEY)
    if isinstance(watch, Mapping):
        watched = str(watch.get(contract.ATTR_IMAGE_ID, ""))
        if watched == physical_id:
            return ()
        found = [watched, *(str(i) for i in watch.get(DISCARD_KEY) or [])]
    else:
        data = _abandoned_data(target_input, request_id)
        found = [str(image_id) for image_id in data.get(DISCARD_KEY) or []]
        if data.get(CREATED_HERE_KEY) and data.get(contract.ATTR_IMAGE_ID):
            found.append(str(data[contract.ATTR_IMAGE_ID]))
    return tuple(dict.fromkeys(image_id for image_id in found if contract.is_image_id(image_id)))


def abandoned_bundles(target_input: Mapping[str, Any], request_id: str) -> tuple[str, ...]:
    """The bundle that an abandoned request made, from its poll schedule's input."""
    data = _abandoned_data(target_input, request_id)
    bundle_id = str(data.get(contract.ATTR_BUNDLE_ID, ""))
    made_here = bool(data.get(CREATED_HERE_KEY)) and contract.is_bundle_id(bundle_id)
    return (bundle_id,) if made_here else ()


def _abandoned_data(target_input: Mapping[str, Any], request_id: str) -> Mapping[str, Any]:
    """The Data of an abandoned request's poll; empty for a watcher or this same request."""
    if contract.WATCH_EVENT_KEY in target_input or target_input.get("RequestId") == request_id:
        return {}
    return target_input.get("CrHelperData") or {}


# Keys kept in a request's Data (crhelper's CrHelperData) between its first
# call and its polls.
CREATED_HERE_KEY = "CreatedHere"
DISCARD_KEY = "Discard"


class Discard(enum.Enum):
    """What became of an image that is to be deleted."""

    GONE = "gone"
    DELETED = "deleted"
    # PENDING, which the service refuses to delete: try again at the next poll.
    WAIT = "wait"
    # Still PENDING when the wait is over: parked until now, so that the first
    # provider to run once it is done deletes it (retention.py).
    LEAVE = "leave"
    REFUSED = "refused"
    # Not this resource's (its owner tags say so): left alone.
    NOT_OURS = "not-ours"
    # Finished, and given up by a rollback: kept for the next deploy (retention.py).
    PARKED = "parked"


def refused_delete(
    state: str | None,
    code: str,
    *,
    now: float,
    started_at: float,
    wait_seconds: float,
    poll_interval_seconds: float = 60,
) -> Discard:
    """DeleteWorkspaceImage (or the look-up before it) refused: wait for a PENDING
    image to be done, or for throttling to pass, else give up.

    Whether the service deletes a PENDING image, and with which error it
    refuses, is not documented: any refusal of a PENDING image is read as
    "not yet" (and of an image whose state could not be read, the documented
    InvalidResourceStateException). A call still throttled after botocore's
    retries is tried again at the next poll too. The wait ends where the next
    poll would come too late (``past_deadline``): a PENDING image is then left,
    and a lasting throttle is a refusal.
    """
    late = past_deadline(now, started_at, wait_seconds, poll_interval_seconds)
    if is_throttling(code):
        return throttled_discard(late)
    pending = state == "PENDING" or (state is None and code == "InvalidResourceStateException")
    if not pending:
        return Discard.REFUSED
    return Discard.LEAVE if late else Discard.WAIT


def throttled_discard(late: bool) -> Discard:
    """A delete (or a call before it) still throttled after botocore's retries: try
    again at the next poll, unless that would be ``late`` (``past_deadline``)."""
    return Discard.REFUSED if late else Discard.WAIT


def left_behind_reason(image_id: str, outcome: Discard) -> str | None:
    """What to tell the user about an image that failed and could not be deleted."""
    if outcome in (Discard.GONE, Discard.DELETED):
        return None
    if outcome is Discard.PARKED:
        return f"{image_id} is kept for the next deploy to adopt (parked)"
    if outcome is Discard.NOT_OURS:
        return f"{image_id} was not deleted: its owner tags do not name this resource"
    if outcome in (Discard.WAIT, Discard.LEAVE):
        return f"{image_id} is left behind (PENDING; a Delete of the resource waits for it)"
    return f"{image_id} is left behind (its delete was refused): delete it by hand"


DELETE_REMEDIES = {
    "ResourceAssociatedException": "delete the bundles that use it, then retry",
    "InvalidResourceStateException": (
        "stop sharing it (UpdateWorkspaceImagePermission) or wait until it is no longer "
        "PENDING, then retry"
    ),
}


def delete_refused_reason(image_id: str, code: str, message: str) -> str:
    """DeleteWorkspaceImage refused: say why and what to do."""
    remedy = DELETE_REMEDIES.get(code, "fix the cause, then retry")
    return fit_reason(f"image {image_id} was not deleted: {code}: {message}; {remedy}")
