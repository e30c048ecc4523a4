"""Custom::WorkspaceBundle's decisions: its properties, its Update, its poll and
its refusals. Pure: no AWS calls, no clock, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import contract
from polls import Outcome, PollDecision, past_deadline
from properties import InvalidProperties, read_tags
from reasons import MAX_REASON_LENGTH, fit_reason, service_error_reason
from retries import ACCESS_DENIED_CODES
from updates import Change


@dataclass(frozen=True)
class BundleSpec:
    """What the template asks of a bundle, with CloudFormation's strings parsed."""

    name: str
    description: str
    compute_type: str
    user_storage_gib: float
    root_storage_gib: float
    tags: Mapping[str, str] = field(default_factory=dict)
    # The image by id (one of the same stack), by name (one of another stack,
    # found at deploy), or both (the name makes a new version show in a diff).
    image_id: str = ""
    image_name: str = ""

    @property
    def image(self) -> tuple[str, str]:
        """What names the image: a change of it swaps the image in place."""
        return self.image_id, self.image_name


def parse_bundle_properties(props: Mapping[str, Any]) -> BundleSpec:
    """Read and validate bundle properties; raise InvalidProperties on any break."""
    spec = read_bundle_spec(props)
    errors = [
        contract.bundle_name_error(spec.name, contract.PROP_BUNDLE_NAME),
        contract.bundle_description_error(spec.description, contract.PROP_BUNDLE_DESCRIPTION),
        _bundle_image_error(spec),
        contract.compute_type_error(spec.compute_type, contract.PROP_COMPUTE_TYPE),
        contract.storage_error(
            spec.compute_type,
            spec.root_storage_gib,
            spec.user_storage_gib,
            contract.PROP_ROOT_STORAGE_GIB,
            contract.PROP_USER_STORAGE_GIB,
        ),
        *contract.tags_errors(spec.tags, contract.PROP_TAGS),
    ]
    found = [error for error in errors if error]
    if found:
        raise InvalidProperties("; ".join(found))
    return spec


def _bundle_image_error(spec: BundleSpec) -> str | None:
    if spec.image_id and not contract.is_image_id(spec.image_id):
        return f'"{contract.PROP_IMAGE_ID}" {spec.image_id!r} is not an image id (wsi-...)'
    if spec.image_name:
        return contract.name_error(spec.image_name, contract.PROP_IMAGE_NAME)
    return None


def read_bundle_spec(props: Mapping[str, Any]) -> BundleSpec:
    """Parse bundle properties without judging them (old properties included)."""
    keys = (contract.PROP_BUNDLE_NAME, contract.PROP_BUNDLE_DESCRIPTION, contract.PROP_COMPUTE_TYPE)
    missing = [key for key in keys if not isinstance(props.get(key), str)]
    image_keys = (contract.PROP_IMAGE_ID, contract.PROP_IMAGE_NAME)
    if not any(isinstance(props.get(key), str) and props[key] for key in image_keys):
        missing.append(" or ".join(image_keys))
    if missing:
        raise InvalidProperties(f"missing required properties: {', '.join(missing)}")
    try:
        user = float(props.get(contract.PROP_USER_STORAGE_GIB, ""))
        root = float(props.get(contract.PROP_ROOT_STORAGE_GIB, ""))
    except (TypeError, ValueError) as err:
        raise InvalidProperties(
            f"{contract.PROP_USER_STORAGE_GIB} and {contract.PROP_ROOT_STORAGE_GIB} "
            f"must be numbers: {err}"
        ) from err
    return BundleSpec(
        name=props[contract.PROP_BUNDLE_NAME],
        description=props[contract.PROP_BUNDLE_DESCRIPTION],
        compute_type=props[contract.PROP_COMPUTE_TYPE],
        user_storage_gib=user,
        root_storage_gib=root,
        tags=read_tags(props.get(contract.PROP_TAGS)),
        image_id=str(props.get(contract.PROP_IMAGE_ID) or ""),
        image_name=str(props.get(contract.PROP_IMAGE_NAME) or ""),
    )


def classify_bundle_update(old: BundleSpec, new: BundleSpec) -> Change:
    """UpdateWorkspaceBundle changes only the image; tags change in place too.

    A new image, by id or by name (a new version of the image of another
    stack), is an image swap: the bundle and its id stay.
    """
    fixed = ("name", "description", "compute_type", "user_storage_gib", "root_storage_gib")
    if any(getattr(old, key) != getattr(new, key) for key in fixed):
        return Change.REPLACE
    if old.image != new.image or dict(old.tags) != dict(new.tags):
        return Change.IN_PLACE
    return Change.NONE


def bundle_data(bundle: Mapping[str, Any]) -> dict[str, str]:
    """Data for CloudFormation (Fn::GetAtt) of a bundle."""
    data = {
        contract.ATTR_BUNDLE_ID: bundle.get("BundleId"),
        contract.ATTR_NAME: bundle.get("Name"),
        contract.PROP_IMAGE_ID: bundle.get("ImageId"),
    }
    return {key: str(value) for key, value in data.items() if value}


# DescribeWorkspaceBundles may not list a bundle right after
# CreateWorkspaceBundle (eventual consistency): until this much time has
# passed, a missing bundle is waited for rather than reported gone.
BUNDLE_VISIBLE_GRACE_SECONDS = 5 * 60


def decide_bundle_poll(
    bundle: Mapping[str, Any] | None,
    *,
    bundle_id: str,
    now: float,
    started_at: float,
    wait_seconds: float,
    poll_interval_seconds: float,
) -> PollDecision:
    """Decide, from one DescribeWorkspaceBundles answer, whether the bundle is ready."""
    if bundle is None:
        if now - started_at < BUNDLE_VISIBLE_GRACE_SECONDS:
            return PollDecision(Outcome.WAIT)
        return PollDecision(
            Outcome.FAILED,
            fit_reason(
                f"bundle {bundle_id} no longer exists: it was deleted outside CloudFormation"
            ),
        )
    state = bundle.get("State") or "AVAILABLE"
    if state == "AVAILABLE":
        return PollDecision(Outcome.AVAILABLE)
    if state == "ERROR":
        # DescribeWorkspaceBundles gives no error code or message for a bundle.
        return PollDecision(
            Outcome.FAILED,
            fit_reason(
                f"bundle {bundle_id} ({bundle.get('Name')}) went to ERROR; WorkSpaces gives no "
                f"reason for bundles: check that image {bundle.get('ImageId')} is AVAILABLE "
                "and suits the compute type"
            ),
        )
    if past_deadline(now, started_at, wait_seconds, poll_interval_seconds):
        return PollDecision(
            Outcome.FAILED,
            fit_reason(
                f"timed out: bundle {bundle_id} is still {state} after "
                f"{(now - started_at) / 60:.0f} minutes"
            ),
        )
    return PollDecision(Outcome.WAIT)


def shared_image_reason(image_id: str, owner: str) -> str:
    """A bundle of an image that another account shared: copy it first."""
    return fit_reason(
        f"image {image_id} belongs to account {owner} and is shared with this one: "
        "WorkSpaces makes bundles only from images this account owns; copy it first "
        "(CopyWorkspaceImage: WorkspaceImageCopy) and bundle the copy"
    )


# "Wait at least 2 hours after deleting a bundle before creating a new bundle
# with the same name" (Administration Guide: "Delete a custom bundle or image"
# and "Create a custom WorkSpaces image and bundle"). Which error
# CreateWorkspaceBundle gives then is not documented (docs/assumptions.md).
BUNDLE_NAME_HOLD_HOURS = 2
# Refusals that are about something else than the name: no word of the rule.
BUNDLE_CREATE_OTHER_CODES = ACCESS_DENIED_CODES | {
    "ResourceLimitExceededException",
    "ResourceNotFoundException",
    "ResourceUnavailableException",
}


def bundle_create_refused_reason(name: str, code: str, message: str) -> str:
    """CreateWorkspaceBundle refused a name that no bundle of this account has
    (it was looked up first): the likely cause is a bundle of that name deleted
    less than 2 hours ago. The service's code and message, then the rule; the
    message is cut, if need be, to keep the rule."""
    if code in BUNDLE_CREATE_OTHER_CODES:
        return service_error_reason("CreateWorkspaceBundle", code, message)
    hours = BUNDLE_NAME_HOLD_HOURS
    if code == "ResourceAlreadyExistsException":
        rule = f"no bundle is named {name!r}: a deleted bundle's name is held for {hours} hours"
    else:
        rule = (
            f"if a bundle named {name!r} was deleted less than {hours} hours ago, it holds the name"
        )
    rule += "; wait, or change bundle_name"
    said = f"CreateWorkspaceBundle failed: {code}: "
    room = MAX_REASON_LENGTH - len(said) - len(rule) - 2
    return fit_reason(f"{said}{fit_reason(message, max(room, 3))}; {rule}")


BUNDLE_DELETE_REMEDIES = {
    "ResourceAssociatedException": "terminate or migrate the WorkSpaces that use it, then retry",
}


def bundle_delete_refused_reason(bundle_id: str, code: str, message: str) -> str:
    """DeleteWorkspaceBundle refused: say why and what to do."""
    remedy = BUNDLE_DELETE_REMEDIES.get(code, "fix the cause, then retry")
    return fit_reason(f"bundle {bundle_id} was not deleted: {code}: {message}; {remedy}")
