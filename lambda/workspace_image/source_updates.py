"""Custom::WorkspaceImageUpdate's decisions: whether the source image has an
update to make, and the resource that resolves to its source when it has none.
Pure: no AWS calls, no clock, no I/O."""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import contract
from reasons import fit_reason

if TYPE_CHECKING:
    from properties import ImageSpec


class UpdateOutcome(enum.Enum):
    """What an updated image's source, as DescribeWorkspaceImages shows it, calls for."""

    # Updates.UpdateAvailable: CreateUpdatedWorkspaceImage makes the image.
    MAKE = "make"
    # No update: the resource is the source itself (or fails, if_no_update=FAIL).
    NOTHING_TO_UPDATE = "nothing-to-update"
    # Another account's, or not AVAILABLE: refused before any call.
    REFUSED = "refused"
    MISSING = "missing"


@dataclass(frozen=True)
class UpdateDecision:
    outcome: UpdateOutcome
    reason: str = ""


def decide_update(image: Mapping[str, Any] | None, image_id: str, account: str) -> UpdateDecision:
    """Decide, from one DescribeWorkspaceImages answer, what an updated image of
    ``image`` is, before CreateUpdatedWorkspaceImage is called.

    DescribeWorkspaceImages reports in ``Updates.UpdateAvailable`` whether the
    WorkSpaces drivers and agent of an image have an update (API reference,
    CreateUpdatedWorkspaceImage: "To determine which WorkSpace images need to be
    updated ..., use DescribeWorkspaceImages"); without one there is nothing to
    make. The provider's role may update only this ``account``'s images
    (provider.allow_updating), so another account's image is refused here
    rather than denied by IAM, which the handler would wait out as a grant not
    yet in effect.
    """
    if image is None:
        return UpdateDecision(
            UpdateOutcome.MISSING,
            fit_reason(f"source image {image_id} does not exist in this Region"),
        )
    owner = str(image.get("OwnerAccountId") or "")
    if owner and account and owner != account:
        return UpdateDecision(UpdateOutcome.REFUSED, foreign_source_reason(image_id, owner))
    state = image.get("State")
    if state != "AVAILABLE":
        return UpdateDecision(
            UpdateOutcome.REFUSED,
            fit_reason(
                f"source image {image_id} is {state}, not AVAILABLE: WorkSpaces updates only "
                "an AVAILABLE image; let the source finish first"
            ),
        )
    if (image.get("Updates") or {}).get("UpdateAvailable"):
        return UpdateDecision(UpdateOutcome.MAKE)
    return UpdateDecision(UpdateOutcome.NOTHING_TO_UPDATE, no_update_reason(image, image_id))


def no_update_reason(image: Mapping[str, Any], image_id: str) -> str:
    """Why there is nothing to update, with the service's ``Updates.Description``."""
    description = (image.get("Updates") or {}).get("Description")
    said = f" ({description})" if description else ""
    return fit_reason(
        f"source image {image_id} has no update available{said}: WorkSpaces reports no "
        "newer drivers or agent for it (DescribeWorkspaceImages Updates)"
    )


def no_update_failure(reason: str) -> str:
    """if_no_update=FAIL: the reason to fail with, naming the option."""
    return fit_reason(
        f"nothing to update, and if_no_update is FAIL ({contract.PROP_IF_NO_UPDATE}); "
        f"nothing was made: {reason}"
    )


def foreign_source_reason(image_id: str, owner: str) -> str:
    """An updated image of another account's image: copy it first."""
    return fit_reason(
        f"source image {image_id} belongs to account {owner}, not this stack's: WorkSpaces "
        "updates only images this account owns; copy it first (CopyWorkspaceImage: "
        "WorkspaceImageCopy) and update the copy"
    )


# An updated image that resolved to its source made nothing: its physical id
# names the source and the version of the properties that resolved, and is
# never an image id, so that no Delete, share or tag of it can reach the source.
RESOLVED_PREFIX = "no-update-"
_RESOLVED_ID = re.compile(r"^no-update-(wsi-[0-9a-z]{9,63})-([0-9a-f]{12})$")


def _version(spec: ImageSpec) -> str:
    """A short hash of what makes a new image: the source, the name, the description."""
    made_of = [spec.source.action, [list(arg) for arg in spec.source.args]]
    made_of += [spec.name, spec.description]
    digest = hashlib.sha256(json.dumps(made_of, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:12]


def resolved_id(source_image_id: str, spec: ImageSpec) -> str:
    """The physical id of a resource that resolved to ``source_image_id``."""
    return f"{RESOLVED_PREFIX}{source_image_id}-{_version(spec)}"


def resolved_source(physical_id: str) -> str | None:
    """The source image a resolved resource stands for, or None if it is not resolved."""
    found = _RESOLVED_ID.match(physical_id)
    return found[1] if found else None


def resolved_for(physical_id: str, spec: ImageSpec) -> bool:
    """Whether ``physical_id`` is what ``spec`` resolved to (the rollback of an
    update that CloudFormation cancelled, or that failed, sends those properties
    back with it): such a request stays resolved, and decides nothing again."""
    found = _RESOLVED_ID.match(physical_id)
    return found is not None and found[2] == _version(spec)
