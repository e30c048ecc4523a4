"""Poll and watch state, kept where only the provider's role reaches it.

A poll needs the request it answers, pre-signed ResponseURL included, and a
long wait's watcher needs the WaitCondition's pre-signed URL. Whoever holds
either URL can answer for the resource, and an EventBridge rule's target Input
is readable by anyone with ``events:ListTargetsByRule`` (it is in
AmazonEventBridgeReadOnlyAccess; aws-cdk met the same problem in its provider
framework, aws/aws-cdk#21224, and parks the URL in SSM). So the state is an
SSM Parameter Store SecureString under the stack's own path
(``contract.state_path``), one per resource, and the rule's target carries
only the resource's logical id (``contract.SCHEDULE_EVENT_KEY``).

Only the provider's role may write under that path (provider.py), so what is
read back was written by this function; it is still checked before use
(``trust.schedule_error``), and deleted once the request is answered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import contract
from botocore.exceptions import ClientError
from workspaces import error_code

POLL = "poll"
WATCH = "watch"
KINDS = (POLL, WATCH)
# SSM's standard tier holds 4 KB; a request with its pre-signed URL can be
# larger. Intelligent-Tiering uses the advanced tier (8 KB) only when needed.
TIER = "Intelligent-Tiering"


@dataclass(frozen=True)
class Schedule:
    """What a resource's schedule runs: a crhelper poll of a request, or a watcher's job."""

    kind: str
    body: dict[str, Any]


class StateStore:
    """One SecureString per resource under the stack's own path."""

    def __init__(self, client: Callable[[], Any], stack_id: Callable[[], str]) -> None:
        self._client = client
        self._stack_id = stack_id

    def name(self, logical_id: str) -> str:
        return f"{contract.state_path(self._stack_id())}/schedule/{logical_id}"

    def put(self, logical_id: str, schedule: Schedule) -> None:
        self._client().put_parameter(
            Name=self.name(logical_id),
            Value=json.dumps({"Kind": schedule.kind, "Body": schedule.body}),
            Type="SecureString",
            Overwrite=True,
            Tier=TIER,
        )

    def get(self, logical_id: str) -> Schedule | None:
        """The resource's schedule, or None if it has none (or what is there is not one)."""
        stored = _read(self._client(), self.name(logical_id), decrypt=True)
        if (
            not isinstance(stored, dict)
            or stored.get("Kind") not in KINDS
            or not isinstance(stored.get("Body"), dict)
        ):
            return None
        return Schedule(str(stored["Kind"]), dict(stored["Body"]))

    def delete(self, logical_id: str) -> None:
        _delete(self._client(), self.name(logical_id))


@dataclass(frozen=True)
class Parked:
    """An entry of the account's parked index: which image, until when, whose."""

    image_id: str
    until: str
    stack_id: str
    logical_id: str


class ParkedIndex:
    """The account's parked images, one String parameter each under ``contract.PARKED_PATH``.

    Only an index: the sweep deletes an image only if the image's own tags
    say it is parked and due (``retention.collectable``), whatever an entry
    here says.
    """

    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client

    @staticmethod
    def name(image_id: str) -> str:
        return f"{contract.PARKED_PATH}/{image_id}"

    def put(self, parked: Parked) -> None:
        self._client().put_parameter(
            Name=self.name(parked.image_id),
            Value=json.dumps(
                {
                    "Until": parked.until,
                    "StackId": parked.stack_id,
                    "LogicalResourceId": parked.logical_id,
                }
            ),
            Type="String",
            Overwrite=True,
        )

    def entries(self, limit: int) -> list[Parked]:
        """Up to ``limit`` entries; one that cannot be read is skipped."""
        found: list[Parked] = []
        pages = (
            self._client()
            .get_paginator("get_parameters_by_path")
            .paginate(Path=contract.PARKED_PATH, Recursive=False)
        )
        for page in pages:
            for parameter in page.get("Parameters", []):
                image_id = str(parameter.get("Name", "")).rsplit("/", 1)[-1]
                try:
                    stored = json.loads(parameter.get("Value", ""))
                except ValueError:
                    continue
                if not contract.is_image_id(image_id) or not isinstance(stored, dict):
                    continue
                found.append(
                    Parked(
                        image_id,
                        str(stored.get("Until", "")),
                        str(stored.get("StackId", "")),
                        str(stored.get("LogicalResourceId", "")),
                    )
                )
                if len(found) >= limit:
                    return found
        return found

    def delete(self, image_id: str) -> None:
        _delete(self._client(), self.name(image_id))


class VersionHistory:
    """Each image resource's versions, in the order they became current: what
    ``keep_previous_versions`` prunes (retention.to_prune). A String parameter
    per resource under the stack's own path."""

    def __init__(self, client: Callable[[], Any], stack_id: Callable[[], str]) -> None:
        self._client = client
        self._stack_id = stack_id

    def name(self, logical_id: str) -> str:
        return f"{contract.state_path(self._stack_id())}/versions/{logical_id}"

    def get(self, logical_id: str) -> list[str]:
        stored = _read(self._client(), self.name(logical_id), decrypt=False)
        if not isinstance(stored, list):
            return []
        return [str(image_id) for image_id in stored if contract.is_image_id(str(image_id))]

    def put(self, logical_id: str, history: list[str]) -> None:
        self._client().put_parameter(
            Name=self.name(logical_id), Value=json.dumps(history), Type="String", Overwrite=True
        )

    def delete(self, logical_id: str) -> None:
        _delete(self._client(), self.name(logical_id))


def _read(client: Any, name: str, *, decrypt: bool) -> Any:
    """A parameter's value, parsed as JSON; None if there is none (or not JSON)."""
    try:
        response = client.get_parameter(Name=name, WithDecryption=decrypt)
    except ClientError as err:
        if error_code(err) == "ParameterNotFound":
            return None
        raise
    try:
        return json.loads(response["Parameter"]["Value"])
    except ValueError:
        return None


def _delete(client: Any, name: str) -> None:
    """Delete a parameter; one already gone is fine."""
    try:
        client.delete_parameter(Name=name)
    except ClientError as err:
        if error_code(err) != "ParameterNotFound":
            raise
