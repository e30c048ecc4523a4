"""What the function trusts, decided on plain values: no AWS calls, no clock.

The function holds account-wide WorkSpaces powers, and two kinds of principal
can hand it an event: whoever may invoke it, and EventBridge rules that the
invoke permission lets in. So (docs/security.md):

- it serves only events of its own stack (``event_error``): the StackId that
  CloudFormation puts in every request must be the one the template gave the
  function (``contract.ENV_STACK_ID``);
- it answers only to CloudFormation's own S3 buckets (``response_url_error``),
  over HTTPS on port 443, so that no event can make it send data elsewhere;
- a scheduled invocation carries only a logical id (``schedule_reference``);
  what it runs is read from the state store and checked (``schedule_error``);
- before it deletes, shares or tags anything whose id came from an event, the
  owner tags must name this stack and this resource (``tagging.is_owned_by``,
  ``not_owned_reason``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import contract
import reasons

REQUEST_TYPES = ("Create", "Update", "Delete")
# CloudFormation logical ids are alphanumeric, at most 255 characters.
LOGICAL_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,255}$")
ENV_REHEARSAL_ENDPOINT = contract.ENV_REHEARSAL_ENDPOINT

# An S3 endpoint of an AWS partition, virtual-hosted ("BUCKET.s3...") or
# path-style ("s3.../BUCKET/..."): s3, s3-external-1, s3.REGION, s3-REGION,
# s3.dualstack.REGION, s3-fips.REGION and the like, under each partition's DNS
# suffix (aws, aws-cn, aws-us-gov, aws-eusc, and the isolated ones).
_PARTITION_SUFFIXES = (
    r"amazonaws\.com",
    r"amazonaws\.com\.cn",
    r"amazonaws\.eu",
    r"c2s\.ic\.gov",
    r"sc2s\.sgov\.gov",
    r"cloud\.adc-e\.uk",
    r"csp\.hci\.ic\.gov",
)
_S3_HOST = re.compile(
    r"^(?:(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.)?"
    r"s3(?:[.-][a-z0-9-]+)*\.(?:" + "|".join(_PARTITION_SUFFIXES) + r")$"
)


def response_buckets(region: str) -> frozenset[str]:
    """CloudFormation's own buckets for pre-signed answers in ``region``.

    A custom resource's ResponseURL points into
    ``cloudformation-custom-resource-response-<region without dashes>``, a
    WaitConditionHandle's URL into ``cloudformation-waitcondition-<region>``.
    AWS does not document these names (docs/assumptions.md); the real-account
    check confirms them (docs/integ.md).
    """
    return frozenset(
        {
            f"cloudformation-custom-resource-response-{region.replace('-', '')}",
            f"cloudformation-waitcondition-{region}",
        }
    )


def response_url_error(url: Any, region: str, rehearsal_endpoint: str = "") -> str | None:
    """Why the function must not send an answer to ``url``, or None.

    Only HTTPS on port 443 to CloudFormation's bucket in the function's Region
    (``response_buckets``), or the rehearsal's endpoint when it is set.
    """
    if not isinstance(url, str):
        return "the URL is not a string"
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError:
        return "the URL cannot be parsed"
    host = (split.hostname or "").lower()
    if rehearsal_endpoint and split.scheme == "https" and f"{host}:{port}" == rehearsal_endpoint:
        return None
    if split.scheme != "https":
        return f"the URL's scheme is {split.scheme!r}, not https"
    if port not in (None, 443):
        return f"the URL's port is {port}, not 443"
    if split.username is not None or split.password is not None:
        return "the URL carries credentials"
    match = _S3_HOST.match(host)
    if match is None:
        return f"{host!r} is not an Amazon S3 endpoint"
    bucket = match.group("bucket") or unquote(split.path.lstrip("/").split("/", 1)[0])
    if bucket not in response_buckets(region):
        return f"bucket {bucket!r} is not CloudFormation's in {region}"
    return None


def event_error(
    event: Any, own_stack_id: str, region: str, rehearsal_endpoint: str = "", *, poll: bool = False
) -> str | None:
    """Why ``event`` is not a CloudFormation request of the function's own stack, or None.

    ``poll``: the request as its polls keep it (``polling_helper.poll_event``),
    without the old properties.
    """
    if not isinstance(event, Mapping):
        return "the event is not an object"
    if event.get("RequestType") not in REQUEST_TYPES:
        return f"RequestType {event.get('RequestType')!r} is not one of {', '.join(REQUEST_TYPES)}"
    if not own_stack_id:
        return f"the function has no {contract.ENV_STACK_ID} in its environment"
    if event.get("StackId") != own_stack_id:
        return "the event's StackId is not the function's own stack"
    if not LOGICAL_ID_PATTERN.match(str(event.get("LogicalResourceId", ""))):
        return "LogicalResourceId is not a CloudFormation logical id"
    for key in ("RequestId", "ResourceType"):
        if not isinstance(event.get(key), str) or not event.get(key):
            return f"{key} is missing"
    for key in ("ResourceProperties", "OldResourceProperties"):
        if key in event and not isinstance(event[key], Mapping):
            return f"{key} is not an object"
    if event["RequestType"] == "Update" and "OldResourceProperties" not in event and not poll:
        return "an Update has no OldResourceProperties"
    # A poll's own keys come only from the state store (a scheduled invocation),
    # never from an event someone hands the function.
    crhelper_keys = sorted(key for key in event if str(key).startswith("CrHelper"))
    if crhelper_keys and not poll:
        return f"a request from CloudFormation carries no {', '.join(crhelper_keys)}"
    url_error = response_url_error(event.get("ResponseURL"), region, rehearsal_endpoint)
    if url_error:
        return f"ResponseURL: {url_error}"
    return None


def qualifier(invoked_function_arn: str) -> str:
    """The alias or version an invocation named (``arn:…:function:NAME:QUALIFIER``), or ""."""
    parts = str(invoked_function_arn).split(":")
    return parts[7] if len(parts) > 7 else ""


def schedule_reference(value: Any) -> str | None:
    """The logical id a scheduled invocation names, or None if it names none."""
    if isinstance(value, str) and LOGICAL_ID_PATTERN.match(value):
        return value
    return None


def schedule_error(
    kind: str,
    body: Mapping[str, Any],
    logical_id: str,
    own_stack_id: str,
    region: str,
    rehearsal_endpoint: str = "",
) -> str | None:
    """Why a schedule read back from the state store must not run, or None."""
    if body.get("StackId") != own_stack_id or body.get("LogicalResourceId") != logical_id:
        return "it belongs to another stack or resource"
    if kind == "poll":
        return event_error(body, own_stack_id, region, rehearsal_endpoint, poll=True)
    url_error = response_url_error(body.get(contract.PROP_WAIT_HANDLE), region, rehearsal_endpoint)
    return f"WaitHandle: {url_error}" if url_error else None


def share_error(account: str, allowed: str) -> str | None:
    """Why the function must not share with ``account``, or None.

    ``allowed`` is the function's own list (``contract.ENV_SHARE_ACCOUNTS``),
    which the template writes from every image's ``share_with_accounts``: a
    request, which anyone allowed to invoke the function can write, cannot
    share an image with an account the stack does not name.
    """
    if account in {item.strip() for item in allowed.split(",") if item.strip()}:
        return None
    return reasons.fit_reason(
        f"refused to share with account {account}: no image of this stack is shared with it "
        "(share_with_accounts); nothing was shared"
    )


def not_owned_reason(what: str, resource_id: str, logical_id: str, action: str) -> str:
    """A refusal to act on something this resource did not make."""
    return reasons.fit_reason(
        f"refused to {action} {what} {resource_id}: its owner tags "
        f"({contract.OWNER_STACK_TAG}, {contract.OWNER_LOGICAL_ID_TAG}) do not name this "
        f"stack and resource {logical_id}; nothing was changed"
    )
