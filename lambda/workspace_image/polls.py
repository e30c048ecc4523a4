"""A poll's decisions: whether the wait for an image is over, its deadline,
a throttled poll, the service's words for a failed image, and the Data of a
finished one. What every poll imports; keep it small. Pure: no AWS calls, no
clock (the time is passed in), no I/O."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import contract
from reasons import fit_reason


class Outcome(enum.Enum):
    """What a poll concludes."""

    WAIT = "wait"
    AVAILABLE = "available"
    FAILED = "failed"


@dataclass(frozen=True)
class PollDecision:
    outcome: Outcome
    reason: str = ""


def decide_poll(
    image: Mapping[str, Any] | None,
    *,
    image_id: str,
    now: float,
    started_at: float,
    timeout_seconds: float,
    poll_interval_seconds: float,
    progress: Mapping[str, Any] | None = None,
) -> PollDecision:
    """Decide, from one DescribeWorkspaceImages answer, whether the wait is over.

    ``progress`` is the import's own status (DescribeCustomWorkspaceImageImport)
    for an image that ImportCustomWorkspaceImage makes: its ERROR fails the
    wait with the import's ErrorDetails, which the image itself lacks.

    The deadline is ``started_at + timeout_seconds``, with ``started_at`` taken
    before CreateWorkspaceImage. A poll whose successor (plus a margin for a
    late schedule) would land after it gives up now, so that CloudFormation,
    whose ServiceTimeout equals the timeout, still gets this reason rather
    than its own, and the schedule is removed (crhelper never stops polling
    by itself).
    """
    if image is None:
        return PollDecision(
            Outcome.FAILED,
            fit_reason(
                f"image {image_id} no longer exists: it was deleted while "
                "CloudFormation waited for it to become AVAILABLE"
            ),
        )
    state = image.get("State", "UNKNOWN")
    if progress is not None and progress.get("State") == "ERROR":
        return PollDecision(Outcome.FAILED, import_error_reason(image, progress))
    if state == "AVAILABLE":
        return PollDecision(Outcome.AVAILABLE)
    if state == "ERROR":
        return PollDecision(Outcome.FAILED, image_error_reason(image))
    if past_deadline(now, started_at, timeout_seconds, poll_interval_seconds):
        return PollDecision(
            Outcome.FAILED,
            fit_reason(
                f"timed out: image {image_id} is still {state} after "
                f"{(now - started_at) / 60:.0f} of {timeout_seconds / 60:.0f} minutes; "
                "raise timeout (up to 12 hours), or check the image's source"
            ),
        )
    return PollDecision(Outcome.WAIT)


# EventBridge may deliver a scheduled invocation late; the last poll keeps
# this much in hand before the deadline.
DEADLINE_MARGIN_SECONDS = 60


def past_deadline(
    now: float, started_at: float, timeout_seconds: float, poll_interval_seconds: float
) -> bool:
    """Whether the next poll would come too late to answer within the timeout."""
    next_poll = now - started_at + poll_interval_seconds + DEADLINE_MARGIN_SECONDS
    return next_poll > timeout_seconds


def throttled_poll(
    reason: str,
    *,
    now: float,
    started_at: float,
    timeout_seconds: float,
    poll_interval_seconds: float,
) -> PollDecision:
    """A poll whose calls were still throttled after botocore's retries: wait for the
    next poll, unless it would come too late (``past_deadline``)."""
    if past_deadline(now, started_at, timeout_seconds, poll_interval_seconds):
        return PollDecision(
            Outcome.FAILED,
            fit_reason(
                f"timed out after {(now - started_at) / 60:.0f} of {timeout_seconds / 60:.0f} "
                f"minutes, the last poll throttled: {reason}"
            ),
        )
    return PollDecision(Outcome.WAIT)


def image_error_reason(image: Mapping[str, Any]) -> str:
    """The service's own words for an image in ERROR, within the reason limit."""
    parts = [f"image {image.get('ImageId')} ({image.get('Name')}) failed"]
    code, message = image.get("ErrorCode"), image.get("ErrorMessage")
    if code or message:
        parts.append(f"{code or 'Error'}: {message or 'no message'}")
    details = [
        f"{detail.get('ErrorCode', '')}: {detail.get('ErrorMessage', '')}".strip(": ")
        for detail in image.get("ErrorDetails") or []
    ]
    if details:
        parts.append("details: " + "; ".join(details))
    return fit_reason(" - ".join(parts))


def import_error_reason(image: Mapping[str, Any], progress: Mapping[str, Any]) -> str:
    """The import's own words for an ImportCustomWorkspaceImage that failed."""
    details = [
        f"{detail.get('ErrorCode', '')}: {detail.get('ErrorMessage', '')}".strip(": ")
        for detail in progress.get("ErrorDetails") or []
    ]
    said = "; ".join(details) or progress.get("StateMessage") or "no details given"
    return fit_reason(
        f"import of image {image.get('ImageId')} ({image.get('Name')}) failed: {said}"
    )


def progress_fields(progress: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a poll logs of an import's progress: its stage and percentage."""
    if progress is None:
        return {}
    return {"stage": progress.get("State"), "progress_percent": progress.get("ProgressPercentage")}


def response_data(image: Mapping[str, Any]) -> dict[str, str]:
    """Data for CloudFormation (Fn::GetAtt): only what is known, all strings."""
    data = {
        contract.ATTR_IMAGE_ID: image.get("ImageId"),
        contract.ATTR_NAME: image.get("Name"),
        "OperatingSystemType": (image.get("OperatingSystem") or {}).get("Type"),
        "RequiredTenancy": image.get("RequiredTenancy"),
    }
    return {key: str(value) for key, value in data.items() if value}
