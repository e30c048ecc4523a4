"""Pure decisions of the custom resource: no AWS calls, no clock, no I/O.

Everything here takes plain values (resource properties, the image as
DescribeWorkspaceImages returns it, the time) and returns plain values, so it
is unit tested without the embedded AWS.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import contract

# CloudFormation shows the reason to the user; crhelper cuts longer ones from
# the front, so keep them short and put what matters first.
MAX_REASON_LENGTH = 256


class InvalidProperties(ValueError):
    """The resource properties break a rule of the API."""


@dataclass(frozen=True)
class SourceSpec:
    """Where an image comes from: the call that starts it, and that call's arguments.

    ``args`` maps resource properties (named as the call names its parameters)
    to their values; any change of them makes a new image.
    """

    action: str
    args: tuple[tuple[str, Any], ...]

    def get(self, key: str) -> Any:
        return dict(self.args).get(key)


# The image resource types' sources: the call, its required and optional properties.
CREATE_ACTION = "CreateWorkspaceImage"
COPY_ACTION = "CopyWorkspaceImage"
UPDATED_ACTION = "CreateUpdatedWorkspaceImage"
BYOL_IMPORT_ACTION = "ImportWorkspaceImage"
CUSTOM_IMPORT_ACTION = "ImportCustomWorkspaceImage"
# Calls whose image has a status of its own, which a poll reads.
ACTIONS_WITH_PROGRESS = frozenset({CUSTOM_IMPORT_ACTION})
SOURCE_PROPERTIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    CREATE_ACTION: ((contract.PROP_WORKSPACE_ID,), ()),
    # The source image by id, or by name (one of another stack): exactly one.
    COPY_ACTION: (
        (contract.PROP_SOURCE_REGION,),
        (contract.PROP_SOURCE_IMAGE_ID, contract.PROP_SOURCE_IMAGE_NAME),
    ),
    UPDATED_ACTION: ((), (contract.PROP_SOURCE_IMAGE_ID, contract.PROP_SOURCE_IMAGE_NAME)),
    BYOL_IMPORT_ACTION: (
        (contract.PROP_EC2_IMAGE_ID, contract.PROP_INGESTION_PROCESS),
        (contract.PROP_APPLICATIONS,),
    ),
    CUSTOM_IMPORT_ACTION: (
        (
            contract.PROP_IMPORT_COMPUTE_TYPE,
            contract.PROP_PROTOCOL,
            contract.PROP_OS_VERSION,
            contract.PROP_INFRASTRUCTURE_CONFIGURATION_ARN,
        ),
        (*contract.IMPORT_SOURCE_PROPS, contract.PROP_IMAGE_VALIDATION_MODE),
    ),
}


def source_action(resource_type: str, props: Mapping[str, Any]) -> str:
    """The call that makes an image of this resource type, with these properties."""
    if resource_type == contract.COPY_RESOURCE_TYPE:
        return COPY_ACTION
    if resource_type == contract.UPDATED_RESOURCE_TYPE:
        return UPDATED_ACTION
    if resource_type == contract.IMPORT_RESOURCE_TYPE:
        # An ingestion process is ImportWorkspaceImage's alone.
        if props.get(contract.PROP_INGESTION_PROCESS):
            return BYOL_IMPORT_ACTION
        return CUSTOM_IMPORT_ACTION
    return CREATE_ACTION


def read_source(action: str, props: Mapping[str, Any]) -> SourceSpec:
    """The source part of an image's properties, without judging it (``read_spec``
    has checked that the required ones are there)."""
    required, optional = SOURCE_PROPERTIES[action]
    args: list[tuple[str, Any]] = [(key, props[key]) for key in required]
    for key in optional:
        value = props.get(key)
        if isinstance(value, list):
            value = tuple(str(item) for item in value)
        if value not in (None, "", ()):
            args.append((key, value))
    return SourceSpec(action, tuple(args))


def source_errors(source: SourceSpec) -> list[str]:
    """The API's rules for a source's arguments, at deploy time (tokens resolved)."""
    get = source.get
    checks: list[str | None] = []
    if source.action == CREATE_ACTION:
        checks.append(contract.workspace_id_error(get(contract.PROP_WORKSPACE_ID), "WorkspaceId"))
    if source.action in (COPY_ACTION, UPDATED_ACTION):
        checks.append(
            source_image_error(
                get(contract.PROP_SOURCE_IMAGE_ID), get(contract.PROP_SOURCE_IMAGE_NAME)
            )
        )
    if source.action == COPY_ACTION:
        checks.append(contract.region_error(get(contract.PROP_SOURCE_REGION), "SourceRegion"))
    if source.action == BYOL_IMPORT_ACTION:
        checks += [
            contract.pattern_error(
                get(contract.PROP_EC2_IMAGE_ID),
                contract.PROP_EC2_IMAGE_ID,
                contract.AMI_ID_PATTERN,
                "an AMI id",
            ),
            contract.choice_error(
                get(contract.PROP_INGESTION_PROCESS),
                contract.PROP_INGESTION_PROCESS,
                contract.INGESTION_PROCESSES,
            ),
            *(
                contract.choice_error(app, contract.PROP_APPLICATIONS, contract.APPLICATIONS)
                for app in get(contract.PROP_APPLICATIONS) or ()
            ),
        ]
    if source.action == CUSTOM_IMPORT_ACTION:
        checks += [
            *contract.import_source_errors(
                {key: get(key) for key in contract.IMPORT_SOURCE_PROPS},
                {key: key for key in contract.IMPORT_SOURCE_PROPS},
            ),
            contract.choice_error(
                get(contract.PROP_IMPORT_COMPUTE_TYPE),
                contract.PROP_IMPORT_COMPUTE_TYPE,
                contract.IMPORT_COMPUTE_TYPES,
            ),
            contract.choice_error(
                get(contract.PROP_PROTOCOL), contract.PROP_PROTOCOL, contract.PROTOCOLS
            ),
            contract.choice_error(
                get(contract.PROP_OS_VERSION), contract.PROP_OS_VERSION, contract.OS_VERSIONS
            ),
            contract.pattern_error(
                get(contract.PROP_INFRASTRUCTURE_CONFIGURATION_ARN),
                contract.PROP_INFRASTRUCTURE_CONFIGURATION_ARN,
                contract.INFRASTRUCTURE_CONFIGURATION_ARN_PATTERN,
                "an EC2 Image Builder infrastructure configuration ARN",
            ),
            contract.os_protocol_error(
                get(contract.PROP_OS_VERSION),
                get(contract.PROP_PROTOCOL),
                contract.PROP_OS_VERSION,
                contract.PROP_PROTOCOL,
            ),
        ]
        mode = get(contract.PROP_IMAGE_VALIDATION_MODE)
        if mode is not None:
            checks.append(
                contract.choice_error(
                    mode, contract.PROP_IMAGE_VALIDATION_MODE, contract.IMAGE_VALIDATION_MODES
                )
            )
    return [check for check in checks if check]


def source_image_error(image_id: Any, name: Any) -> str | None:
    """A source image is named by exactly one of its id and its name."""
    id_prop, name_prop = contract.PROP_SOURCE_IMAGE_ID, contract.PROP_SOURCE_IMAGE_NAME
    if bool(image_id) == bool(name):
        return f"give exactly one of {id_prop} and {name_prop}"
    if image_id:
        return contract.image_id_error(str(image_id), id_prop)
    return contract.name_error(str(name), name_prop)


def named_image_reason(
    image: Mapping[str, Any] | None,
    name: str,
    region: str,
    tags: Mapping[str, str] | None = None,
) -> str | None:
    """Why the image that another stack makes under ``name`` cannot be used yet, or None.

    Only this account's images are searched (DescribeWorkspaceImages, OWNED):
    names are unique per account and Region, and a bundle needs an image the
    account owns. A parked image (``tags``: a deploy that made it rolled back)
    is not that stack's image until its next deploy adopts it.
    """
    if image is None:
        return fit_reason(
            f"image {name} not found in {region} among this account's images: deploy the "
            "stack that makes it first (cdk deploy does, when both stacks are in the app)"
        )
    state = image.get("State")
    if state != "AVAILABLE":
        return fit_reason(
            f"image {name} ({image.get('ImageId')}) in {region} is {state}, not AVAILABLE: "
            "let the deploy of the stack that makes it finish first"
        )
    if contract.PARKED_TAG in (tags or {}):
        return fit_reason(
            f"image {name} ({image.get('ImageId')}) in {region} was made by a deploy that "
            "rolled back, and is kept only for that stack's next deploy: deploy the stack "
            "that makes it first"
        )
    return None


@dataclass(frozen=True)
class ImageSpec:
    """What the template asks for, with CloudFormation's strings parsed."""

    source: SourceSpec
    name: str
    description: str
    tags: Mapping[str, str] = field(default_factory=dict)
    poll_interval_minutes: float = 1
    timeout_seconds: float = contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS
    # Set when a WaitCondition waits instead of the custom resource.
    wait_handle: str | None = None
    # Accounts the image is shared with once it is AVAILABLE.
    share_with: tuple[str, ...] = ()
    # An updated image's answer when its source has no update (contract.NO_UPDATE_CHOICES).
    if_no_update: str = contract.NO_UPDATE_USE_SOURCE


def read_spec(props: Mapping[str, Any], resource_type: str = contract.RESOURCE_TYPE) -> ImageSpec:
    """Parse resource properties without judging them (old properties included)."""
    action = source_action(resource_type, props)
    required, _ = SOURCE_PROPERTIES[action]
    missing = [
        key
        for key in (*required, contract.PROP_NAME, contract.PROP_DESCRIPTION)
        if not isinstance(props.get(key), str)
    ]
    if missing:
        raise InvalidProperties(f"missing required properties: {', '.join(missing)}")
    source = read_source(action, props)
    try:
        poll = float(props.get(contract.PROP_POLL_INTERVAL_MINUTES, 1))
        timeout = float(
            props.get(contract.PROP_TIMEOUT_SECONDS, contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS)
        )
    except (TypeError, ValueError) as err:
        raise InvalidProperties(
            f"{contract.PROP_POLL_INTERVAL_MINUTES} and {contract.PROP_TIMEOUT_SECONDS} "
            f"must be numbers: {err}"
        ) from err
    return ImageSpec(
        source=source,
        name=props[contract.PROP_NAME],
        description=props[contract.PROP_DESCRIPTION],
        tags=read_tags(props.get(contract.PROP_TAGS)),
        poll_interval_minutes=poll,
        timeout_seconds=timeout,
        wait_handle=props.get(contract.PROP_WAIT_HANDLE) or None,
        share_with=read_accounts(props.get(contract.PROP_SHARE_WITH)),
        if_no_update=str(props.get(contract.PROP_IF_NO_UPDATE) or contract.NO_UPDATE_USE_SOURCE),
    )


def read_accounts(raw: Any) -> tuple[str, ...]:
    """Turn the ``ShareWithAccounts`` property (a list of strings) into a tuple."""
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list):
        raise InvalidProperties(f"{contract.PROP_SHARE_WITH} must be a list of account ids")
    return tuple(str(account) for account in raw)


def read_tags(raw: Any) -> dict[str, str]:
    """Turn the ``Tags`` property (a list of ``{Key, Value}``) into a dict."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, list) or not all(
        isinstance(tag, Mapping) and isinstance(tag.get("Key"), str) for tag in raw
    ):
        raise InvalidProperties(f'{contract.PROP_TAGS} must be a list of {{"Key", "Value"}}')
    return {tag["Key"]: str(tag.get("Value", "")) for tag in raw}


def validate_spec(spec: ImageSpec) -> ImageSpec:
    """Apply the rules the construct applies at synth time, to resolved values."""
    errors = [
        *source_errors(spec.source),
        contract.name_error(spec.name, contract.PROP_NAME),
        contract.description_error(spec.description, contract.PROP_DESCRIPTION),
        contract.poll_interval_error(
            spec.poll_interval_minutes, contract.PROP_POLL_INTERVAL_MINUTES
        ),
        contract.timeout_error(
            spec.timeout_seconds, spec.poll_interval_minutes * 60, contract.PROP_TIMEOUT_SECONDS
        ),
        *contract.tags_errors(spec.tags, contract.PROP_TAGS),
        *contract.account_ids_errors(list(spec.share_with), contract.PROP_SHARE_WITH),
        contract.choice_error(
            spec.if_no_update, contract.PROP_IF_NO_UPDATE, contract.NO_UPDATE_CHOICES
        ),
        _wait_error(spec),
    ]
    found = [error for error in errors if error]
    if found:
        raise InvalidProperties("; ".join(found))
    return spec


def _wait_error(spec: ImageSpec) -> str | None:
    if (
        spec.wait_handle is None
        and spec.timeout_seconds > contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS
    ):
        return (
            f"{contract.PROP_TIMEOUT_SECONDS} over one hour needs {contract.PROP_WAIT_HANDLE} "
            "(the WaitCondition that WorkspaceImage adds for long timeouts): CloudFormation "
            "waits at most one hour for a custom resource"
        )
    return None


def parse_properties(
    props: Mapping[str, Any], resource_type: str = contract.RESOURCE_TYPE
) -> ImageSpec:
    """Read and validate resource properties; raise InvalidProperties on any break."""
    return validate_spec(read_spec(props, resource_type))


class Change(enum.Enum):
    """What an Update has to do to the resource."""

    NONE = "none"
    IN_PLACE = "in-place"
    REPLACE = "replace"


def classify_update(old: ImageSpec, new: ImageSpec) -> Change:
    """An image cannot be edited: only its tags and its sharing change in place."""
    if (old.source, old.name, old.description) != (new.source, new.name, new.description):
        return Change.REPLACE
    if dict(old.tags) != dict(new.tags) or set(old.share_with) != set(new.share_with):
        return Change.IN_PLACE
    return Change.NONE


def share_diff(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Return the accounts to share with and those to stop sharing with."""
    return sorted(set(new) - set(old)), sorted(set(old) - set(new))


def needs_watch(old: ImageSpec | None, new: ImageSpec, change: Change) -> bool:
    """Whether a WaitCondition is waiting for a signal this request must arrange.

    A new handle appears on Create, on a replacement, and when the timeout
    changes; a handle that was signalled cannot be signalled again.
    """
    if new.wait_handle is None:
        return False
    return old is None or change is Change.REPLACE or old.wait_handle != new.wait_handle


# CreateWorkspaceImage refusals that a repeated request (or a rollback) explains.
ADOPTABLE_CREATE_ERRORS = frozenset(
    {"ResourceAlreadyExistsException", "InvalidResourceStateException"}
)

ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})
# IAM is eventually consistent: a grant made in the same deployment can be
# denied for some seconds after CloudFormation reports it complete
# (aws/aws-cdk#37675, #31429). Denied calls are retried, the delay doubling
# from 1 s to at most 16 s, for at most 60 s of waiting per invocation: twice
# what aws-cdk's own fix waits (#37878: 1+2+4+8+16 = 31 s), and a small part
# of the function's 10-minute timeout, so a lasting denial still fails fast.
DENIED_FIRST_DELAY_SECONDS = 1.0
DENIED_MAX_DELAY_SECONDS = 16.0
DENIED_BUDGET_SECONDS = 60.0


def denied_retry_delay(
    attempt: int, spent: float, budget: float = DENIED_BUDGET_SECONDS
) -> float | None:
    """How long to wait before retrying a denied call, or None to give up.

    ``attempt`` counts this call's denials so far (1 for the first); ``spent``
    is what the invocation has already waited for denials.
    """
    delay = min(DENIED_FIRST_DELAY_SECONDS * 2 ** (attempt - 1), DENIED_MAX_DELAY_SECONDS)
    return delay if spent + delay <= budget else None


def denied_reason(action: str, resource: str, waited: float, code: str, message: str) -> str:
    """A denial that outlasted the wait for IAM: name the action and the resource."""
    return fit_reason(
        f"{action} on {resource}: {code} for {waited:.0f} s of retries; grant it to the "
        f"provider function's role: {message}"
    )


# --- throttling ----------------------------------------------------------------------

# The error codes that botocore's standard retry mode treats as throttling
# (botocore/retries/standard.py, ThrottledRetryableChecker; HTTP 429 too, in
# ThrottlingStatusCodeChecker). A call that still gets one after botocore's
# retries was slowed down, not refused: a request that can wait (a poll, a
# Delete) tries again at its next poll. tests/lambda/test_logic.py keeps this
# list equal to the installed botocore's.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
THROTTLING_STATUS = 429


def is_throttling(code: str, status: int | None = None) -> bool:
    """Whether an error answer means "slow down", as botocore's retries judge it."""
    return code in THROTTLING_CODES or status == THROTTLING_STATUS


# botocore's standard backoff before retry i (1-based) is rand(0, 1) * min(2 ** (i - 1), 20)
# seconds for a throttling error (botocore/retries/standard.py, ExponentialBackoff).
BACKOFF_CAP_SECONDS = 20


def worst_backoff_seconds(total_attempts: int) -> float:
    """The longest botocore can sleep in one call that makes ``total_attempts`` attempts."""
    return float(sum(min(2 ** (i - 1), BACKOFF_CAP_SECONDS) for i in range(1, total_attempts)))


def worst_call_seconds(total_attempts: int, attempt_timeout_seconds: float) -> float:
    """The longest one call can take: every attempt times out, every backoff is the longest."""
    return total_attempts * attempt_timeout_seconds + worst_backoff_seconds(total_attempts)


def last_call_start_seconds(
    function_timeout_seconds: float, worst_call_seconds: float, answer_margin_seconds: float
) -> float:
    """How far into an invocation an AWS call may still start: one that then takes
    the longest a call can take ends inside the function's timeout, with time
    left to answer."""
    return function_timeout_seconds - answer_margin_seconds - worst_call_seconds


def too_late_reason(action: str, elapsed: float, limit: float) -> str:
    """An invocation that has run too long to start one more call."""
    return fit_reason(
        f"{action} not started: this invocation has run {elapsed:.0f} s (throttled calls "
        f"and their backoff), and no call starts after {limit:.0f} s, so that one more "
        "slow call cannot outlast the function's timeout"
    )


def failed_entries_reason(action: str, rule: str, response: Mapping[str, Any]) -> str | None:
    """EventBridge answers partial failures in FailedEntries instead of raising."""
    if not response.get("FailedEntryCount"):
        return None
    entries = [
        f"{entry.get('ErrorCode', 'Error')}: {entry.get('ErrorMessage', 'no message')}"
        for entry in response.get("FailedEntries") or []
    ]
    return fit_reason(
        f"{action} on poll rule {rule} failed for {response['FailedEntryCount']} "
        f"target(s): {'; '.join(entries) or 'no reason given'}"
    )


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


def accounts_to_revoke(managed: tuple[str, ...] | list[str], shared: set[str]) -> list[str]:
    """Only an account the image is shared with can be revoked (the API refuses others)."""
    return sorted(set(managed) & shared)


def tag_diff(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Return the tags to set (new or changed) and the keys to remove; never the owner tags."""
    to_set = {
        key: value
        for key, value in new.items()
        if old.get(key) != value and key not in contract.RESERVED_TAG_KEYS
    }
    to_remove = sorted(
        key for key in old if key not in new and key not in contract.RESERVED_TAG_KEYS
    )
    return to_set, to_remove


def owner_tags(stack_id: str, logical_id: str) -> dict[str, str]:
    """Tags that mark an image as made by this resource of this stack."""
    return {contract.OWNER_STACK_TAG: stack_id, contract.OWNER_LOGICAL_ID_TAG: logical_id}


def creation_tags(
    user_tags: Mapping[str, str], stack_id: str, logical_id: str
) -> list[dict[str, str]]:
    """The ``Tags`` argument of a Create call: the user's and the owner's."""
    tags = {**user_tags, **owner_tags(stack_id, logical_id)}
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


def is_owned_by(tags: Mapping[str, str], stack_id: str, logical_id: str) -> bool:
    """Tell whether an image's tags say that this resource made it."""
    return all(tags.get(key) == value for key, value in owner_tags(stack_id, logical_id).items())


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


def account_of(stack_id: str) -> str:
    """The account in a StackId ARN (``arn:aws:cloudformation:REGION:ACCOUNT:stack/...``)."""
    parts = stack_id.split(":")
    return parts[4] if len(parts) > 5 else ""


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


def response_data(image: Mapping[str, Any]) -> dict[str, str]:
    """Data for CloudFormation (Fn::GetAtt): only what is known, all strings."""
    data = {
        contract.ATTR_IMAGE_ID: image.get("ImageId"),
        contract.ATTR_NAME: image.get("Name"),
        "OperatingSystemType": (image.get("OperatingSystem") or {}).get("Type"),
        "RequiredTenancy": image.get("RequiredTenancy"),
    }
    return {key: str(value) for key, value in data.items() if value}


def fit_reason(text: str, limit: int = MAX_REASON_LENGTH) -> str:
    """Cut ``text`` to ``limit`` characters, keeping its start."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def service_error_reason(action: str, code: str, message: str) -> str:
    """A failed API call, in the service's words."""
    return fit_reason(f"{action} failed: {code}: {message}")


def name_taken_reason(name: str, image_id: str) -> str:
    """CreateWorkspaceImage said the name exists, and the image is not ours."""
    return fit_reason(
        f"an image named {name!r} already exists ({image_id}) and was not made by this "
        "resource; image names are unique per Region: choose another image_name, or "
        "delete that image"
    )


def replacement_needs_new_name_reason(name: str) -> str:
    """A replacing Update kept the name, which the old image still holds."""
    return fit_reason(
        f"changing the source or the description makes a new image, and the "
        f"old one still holds the name {name!r} (names are unique per Region): "
        "change image_name in the same deployment"
    )


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


# --- Custom::WorkspaceBundle ----------------------------------------------------------


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
