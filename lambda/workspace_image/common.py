"""What every resource handler shares: failing a request, logging a decision,
and turning a refused AWS call into the service's words."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import logic
from botocore.exceptions import ClientError
from workspaces import WorkSpacesImages, error_code, error_message

logger = logging.getLogger(__name__)

T = TypeVar("T")


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


def made_here(api: WorkSpacesImages, resource_id: str, event: dict[str, Any]) -> bool:
    """Whether this stack's resource made the image or bundle, by its owner tags."""
    tags = call("DescribeTags", lambda: api.tags(resource_id))
    return logic.is_owned_by(tags, event["StackId"], event["LogicalResourceId"])


def update_tags(
    api: WorkSpacesImages, resource_id: str, old: Mapping[str, str], new: Mapping[str, str]
) -> None:
    """Bring an image's or bundle's tags from ``old`` to ``new`` in place."""
    to_set, to_remove = logic.tag_diff(old, new)
    if to_set:
        call("CreateTags", lambda: api.set_tags(resource_id, to_set))
    if to_remove:
        call("DeleteTags", lambda: api.remove_tags(resource_id, to_remove))


def call(action: str, run: Callable[[], T]) -> T:
    """Run one AWS call; a refusal fails the request with the service's words."""
    try:
        return run()
    except ClientError as err:
        raise ResourceFailed(
            logic.service_error_reason(action, error_code(err), error_message(err))
        ) from err
