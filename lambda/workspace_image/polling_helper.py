"""crhelper's CfnResource, with the fixes this resource needs.

crhelper 2.0.12 is used as it is for the request flow (create, update,
delete, poll_create, poll_update). This subclass changes only the parts its
known bugs (see ../shared/FACTS.md and crhelper's issue tracker) make unsafe:

- #61: rule names over 64 characters. Rules get a fixed name per stack and
  resource (``rule_name``), so a later request can find and remove
  a schedule that a failed or abandoned request left behind.
- No permission is added or removed at run time: one fixed
  ``AWS::Lambda::Permission`` (the provider's) lets every poll rule of the
  stack invoke the function. crhelper's statement per resource makes
  parallel resources collide in ResourceConflictException.
- EventBridge's partial failures (FailedEntries) and
  ConcurrentModificationException are retried, then fail the request with
  the reason; calls that IAM still denies wait for it (``common.Patience``).
- A poll answers only once its schedule is removed (if EventBridge refuses,
  the next poll answers), so a schedule still there always belongs to an
  unanswered request; a first call answers whatever the clean-up meets.
- #34 and the endless retry loop: the response PUT has a timeout and a
  bounded number of attempts, and never logs the pre-signed URL.
- What a poll needs (the request, its pre-signed ResponseURL among it) is kept
  in the state store (``state``), and the EventBridge target Input names only
  the resource: anyone with events:ListTargetsByRule can read a target.
- An Update that changes tags only answers at once instead of waiting one
  poll interval (``finish_now``).
- ``schedule`` starts the same kind of schedule outside crhelper's flow, for
  the watcher of a long wait (a WaitCondition), which crhelper does not have.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import ssl
import time
from collections.abc import Callable, Mapping
from http.client import HTTPSConnection
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import boto3
import contract
import discard
import polls
import reasons
import retries
import trust
from botocore.exceptions import ClientError
from common import (
    RESPONSE_ATTEMPTS,
    RESPONSE_RETRY_SECONDS,
    RESPONSE_TIMEOUT_SECONDS,
    Patience,
    log_fields,
)
from crhelper import CfnResource
from state import POLL, WATCH, Schedule, StateStore
from workspaces import RETRY_CONFIG, error_code, error_message

logger = logging.getLogger(__name__)


def send_response(
    response_url: str,
    body: dict[str, Any],
    ssl_verify: Any = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """PUT a response (or a wait-condition signal) to a pre-signed URL; True once accepted.

    The URL is a secret (whoever holds it can answer for the resource): only
    its host is ever logged. It must be CloudFormation's own (``trust``): an
    event cannot make the function send anything anywhere else.
    """
    refused = trust.response_url_error(response_url, own_region(), rehearsal_endpoint())
    if refused:
        logger.error("response:refused", extra=log_fields(decision="response:refused", why=refused))
        return False
    payload = json.dumps(fit_response(body))
    split = urlsplit(response_url)
    path = urlunsplit(("", "", split.path, split.query, ""))
    context = ssl.create_default_context()
    for attempt in range(1, RESPONSE_ATTEMPTS + 1):
        try:
            connection = HTTPSConnection(
                split.netloc, timeout=RESPONSE_TIMEOUT_SECONDS, context=context
            )
            try:
                connection.request(
                    "PUT",
                    path,
                    body=payload,
                    headers={"content-type": "", "content-length": str(len(payload))},
                )
                status = connection.getresponse().status
            finally:
                connection.close()
            if status < 300:
                logger.info(
                    "response:sent",
                    extra=log_fields(response=body.get("Status"), http_status=status),
                )
                return True
            logger.warning(
                "response:rejected",
                extra=log_fields(response_rejected=status, host=split.hostname),
            )
        except OSError as err:
            logger.warning(
                "response:failed",
                extra=log_fields(
                    response_attempt=attempt, host=split.hostname, error=type(err).__name__
                ),
            )
        if attempt < RESPONSE_ATTEMPTS:
            sleep(RESPONSE_RETRY_SECONDS)
    logger.error(
        "response:not-delivered",
        extra=log_fields(response="not delivered", attempts=RESPONSE_ATTEMPTS),
    )
    return False


def _sender(response_url: str, body: dict[str, Any], ssl_verify: Any = None) -> None:
    send_response(response_url, body, ssl_verify)


# crhelper's type stubs cover its public API only; this subclass builds on its
# internals (_event, _polling_init, ...), so it sees the class as untyped.
_UntypedCfnResource: Any = CfnResource
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])
T = TypeVar("T")


class ImageResourceHelper(_UntypedCfnResource):  # type: ignore[misc]
    """CfnResource with bounded responses and named, removable poll schedules."""

    PhysicalResourceId: str | None
    Data: dict[str, Any]

    # Typed views of crhelper's decorators, which return the function unchanged.
    def create(self, func: HandlerT) -> HandlerT:
        return cast(HandlerT, super().create(func))

    def update(self, func: HandlerT) -> HandlerT:
        return cast(HandlerT, super().update(func))

    def delete(self, func: HandlerT) -> HandlerT:
        return cast(HandlerT, super().delete(func))

    def poll_create(self, func: HandlerT) -> HandlerT:
        return cast(HandlerT, super().poll_create(func))

    def poll_update(self, func: HandlerT) -> HandlerT:
        return cast(HandlerT, super().poll_update(func))

    def poll_delete(self, func: HandlerT) -> HandlerT:
        return cast(HandlerT, super().poll_delete(func))

    def __init__(
        self,
        patience: Patience,
        abandon: Callable[[str], str | None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``abandon(image_id)`` is called when the polls for a started image cannot
        be set up, and returns what to tell the user if the image stays.
        ``patience`` retries calls that IAM still denies."""
        # crhelper's constructor makes lambda, events and logs clients at every
        # cold start; a waiting poll uses none of them and nothing uses logs
        # (bench/RESULTS.md: 76 ms and 7 MB a cold start). Its SAM-local switch
        # skips them; it is off again at once, and the clients come on first use.
        previous = os.environ.get("AWS_SAM_LOCAL")
        os.environ["AWS_SAM_LOCAL"] = "true"
        try:
            # INFO, not crhelper's DEBUG, which logs whole events with the ResponseURL.
            # No json_logging: crhelper's formatter would replace the Lambda
            # runtime's JSON one (provider.py), nesting our fields under
            # "message" and dropping requestId; without it crhelper only sets
            # levels, and its own lines are JSON objects through the runtime's.
            super().__init__(
                json_logging=False, log_level="INFO", boto_level="WARNING", sleep_on_delete=0
            )
        finally:
            if previous is None:
                del os.environ["AWS_SAM_LOCAL"]
            else:
                os.environ["AWS_SAM_LOCAL"] = previous
        self._sam_local = previous
        self._clients: dict[str, Any] = {}
        self._finish_now = False
        self._started_image = ""
        self._abandon = abandon
        self._patience = patience
        self._sleep = sleep
        self.state = StateStore(lambda: self._client("ssm"), own_stack_id)

    @property
    def _events_client(self) -> Any:
        return self._client("events")

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            # The same standard retries as WorkSpaces' (workspaces.RETRY_CONFIG): a
            # runtime's older botocore would otherwise use its legacy mode, and SSM's
            # request rate is shared by everything in the account.
            self._clients[service] = boto3.client(
                service, region_name=self._region, verify=self._ssl_verify, config=RETRY_CONFIG
            )
        return self._clients[service]

    def finish_now(self) -> None:
        """Answer CloudFormation at the end of this invocation, without polling."""
        self._finish_now = True

    def _crhelper_init(self, event: dict[str, Any], context: Any) -> bool:
        self._finish_now = False
        self._started_image = ""
        # crhelper answers a failure here to the URL it last saw: never a
        # previous request's (index validates each event before it gets here).
        self._response_url = ""
        return bool(super()._crhelper_init(event, context))

    def started(self, image_id: str) -> None:
        """This invocation started (or adopted) ``image_id``: a timeout answers with it."""
        self._started_image = image_id

    def _polling_init(self, event: dict[str, Any]) -> None:
        if self._finish_now and "CrHelperPoll" not in event:
            self._send_response = True
            return
        try:
            super()._polling_init(event)
        except ScheduleNotRemoved:
            logger.warning(
                "answer:after-next-poll", extra=log_fields(decision="answer:after-next-poll")
            )
            self._send_response = False
        except ScheduleFailed as err:
            if event["RequestType"] != "Delete":
                raise
            # A Delete that cannot wait for its image must still not fail: a
            # DELETE_FAILED stops a rollback (ROLLBACK_FAILED). It answers, and
            # the log says what is left.
            left = self.Data.get(discard.DISCARD_KEY)
            logger.warning(
                "delete:left-behind",
                extra=log_fields(decision="delete:left-behind", images=left, error=str(err)),
            )
            self.Data = {}
            self.PhysicalResourceId = event.get("PhysicalResourceId") or "deleted"
            self._send_response = True

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        super()._send(status, reason, send_response=_sender)

    def _schedule_name(self) -> str:
        return schedule_name(self._event["StackId"], self._event["LogicalResourceId"])

    def _put_rule(self) -> str:
        props = self._event.get("ResourceProperties", {})
        # A Delete waits for a PENDING image within CloudFormation's one hour:
        # it checks every minute, whatever the image's own poll interval.
        minutes = (
            1
            if self._event["RequestType"] == "Delete"
            else float(props.get(contract.PROP_POLL_INTERVAL_MINUTES, 1))
        )
        return self._put_named_rule(
            self._schedule_name(), minutes, self._event["LogicalResourceId"]
        )

    def _add_permission(self, rule_arn: str) -> str:
        # The provider's one fixed AWS::Lambda::Permission covers every poll rule
        # of the stack: no resource-policy change at run time (see the module doc).
        return self._schedule_name()

    def _remove_permission(self, sid: str) -> None:
        return None

    def _put_targets(self, func_name: str) -> None:
        # The poll's request (its ResponseURL among it) goes to the state store;
        # the target names only the resource (state.py).
        logical_id = self._event["LogicalResourceId"]
        self._put_state(logical_id, Schedule(POLL, poll_event(self._event)))
        self._target(self._event["CrHelperRule"], schedule_input(logical_id), func_name)

    def _remove_polling(self) -> None:
        # A request is answered only once its schedule is gone: a schedule that
        # is still there always belongs to a request that was never answered,
        # which the resource's next request may then take over (index._supersede).
        # If EventBridge refuses the removal, the next poll answers instead.
        removed = self.remove_schedule(
            self._event["StackId"],
            self._event["LogicalResourceId"],
            self._context.function_name,
            strict=False,
            # A poll removes only its own request's schedule; a first call that
            # answers at once has none (it has superseded any there was).
            request_id=str(self._event["RequestId"]) if "CrHelperPoll" in self._event else "",
        )
        # Only a poll can wait for the next one; a first call always answers.
        if not removed and "CrHelperPoll" in self._event:
            raise ScheduleNotRemoved
        self._event.pop("CrHelperData", None)
        self.Data.pop("PhysicalResourceId", None)

    def _setup_polling(self) -> None:
        try:
            super()._setup_polling()
        except Exception as err:
            # Clean up whatever was made, whatever the clean-up's own calls raise.
            self.remove_schedule(
                self._event["StackId"],
                self._event["LogicalResourceId"],
                self._context.function_name,
                strict=False,
            )
            image_id = self.Data.get("PhysicalResourceId")
            left_behind = None
            if image_id and self._abandon:
                left_behind = self._abandon(str(image_id))
            reason = schedule_failure_reason(err)
            raise ScheduleFailed(
                reasons.fit_reason(f"{reason}; {left_behind}") if left_behind else reason
            ) from err

    def _timeout(self) -> None:
        # crhelper answers with an empty id when the function is about to time
        # out; answer with the image once there is one.
        image_id = self.Data.get(contract.ATTR_IMAGE_ID) or self._started_image
        if image_id and not self.PhysicalResourceId:
            self.PhysicalResourceId = str(image_id)
        super()._timeout()

    def schedule(
        self,
        stack_id: str,
        logical_id: str,
        minutes: float,
        job: dict[str, Any],
        context: Any,
    ) -> None:
        """Run a long wait's watcher with ``job`` every ``minutes``, until removed."""
        name = schedule_name(stack_id, logical_id)
        try:
            self._put_state(logical_id, Schedule(WATCH, job))
            rule_arn = self._put_named_rule(name, minutes, logical_id)
            self._target(rule_arn, schedule_input(logical_id), context.function_name)
        except Exception:
            self.remove_schedule(stack_id, logical_id, context.function_name, strict=False)
            raise

    def read_schedule(self, stack_id: str, logical_id: str) -> Schedule | None:
        """What the resource's schedule runs, if it has one (from the state store:
        a target that someone planted on the rule is never read)."""
        return self._patience.run("GetParameter", lambda: self.state.get(logical_id))

    def load_schedule(self, reference: Any, context: Any) -> tuple[str, Schedule] | None:
        """The schedule that a scheduled invocation names, checked; None to do nothing.

        A rule that fires with no state behind it (planted, or left half-removed)
        is removed.
        """
        logical_id = trust.schedule_reference(reference)
        if logical_id is None:
            logger.warning("schedule:refused", extra=log_fields(decision="schedule:refused"))
            return None
        schedule = self.read_schedule(own_stack_id(), logical_id)
        refused = (
            "no state"
            if schedule is None
            else trust.schedule_error(
                schedule.kind,
                schedule.body,
                logical_id,
                own_stack_id(),
                own_region(),
                rehearsal_endpoint(),
            )
        )
        if refused:
            logger.warning(
                "schedule:refused",
                extra=log_fields(decision="schedule:refused", logical_id=logical_id, why=refused),
            )
            if schedule is None:
                self.remove_schedule(
                    own_stack_id(), logical_id, context.function_name, strict=False
                )
            return None
        assert schedule is not None
        return logical_id, schedule

    def _put_state(self, logical_id: str, schedule: Schedule) -> None:
        rendered = json.dumps(schedule.body)
        if len(rendered) > MAX_STATE_LENGTH:
            raise ValueError(
                f"the poll's state is {len(rendered)} characters; SSM Parameter Store "
                f"holds {MAX_STATE_LENGTH}"
            )
        self._patience.run("PutParameter", lambda: self.state.put(logical_id, schedule))

    def remove_schedule(
        self,
        stack_id: str,
        logical_id: str,
        function_name: str,
        *,
        strict: bool = True,
        request_id: str = "",
    ) -> bool:
        """Remove a resource's poll state, then its rule and target, if they are there.

        With ``strict=False`` (a clean-up) nothing raises; the return value says
        whether the schedule is over: its state is gone. A rule that could not
        be removed then is harmless: with no state behind it, it removes itself
        the next time it fires (``load_schedule``). State left without a rule,
        on the other hand, would make the next request take an answered request
        for an abandoned one: so the state goes first, and a request is answered
        only once it is gone.

        ``request_id``: remove the schedule only if it is still that request's.
        The rule's name is fixed per resource, so a poll or watcher that a newer
        request superseded while it ran (``index._supersede``) would otherwise
        remove the newer request's schedule, and that request would never be
        answered. Its own schedule is over either way: True, and nothing is
        touched. A read that fails is a removal that failed. (A newer request
        whose PutRule lands between this read and the DeleteRule still loses
        its rule: the window is this removal's own calls, not the whole poll.)
        """
        name = schedule_name(stack_id, logical_id)
        try:
            if request_id:
                current = self.read_schedule(stack_id, logical_id)
                if current is None or current.body.get("RequestId") != request_id:
                    logger.warning(
                        "schedule:superseded",
                        extra=log_fields(decision="schedule:superseded", logical_id=logical_id),
                    )
                    return True
            self._patience.run("DeleteParameter", lambda: self.state.delete(logical_id))
        except Exception as err:
            self._not_removed(err)
            if strict:
                raise
            return False
        try:
            self._remove_target(name)
            self._events("DeleteRule", lambda: self._events_client.delete_rule(Name=name))
        except Exception as err:
            if isinstance(err, ClientError) and error_code(err) == "ResourceNotFoundException":
                return True
            self._not_removed(err)
            if strict:
                raise
        return True

    @staticmethod
    def _not_removed(err: Exception) -> None:
        logger.warning(
            "schedule:not-removed",
            extra=log_fields(decision="schedule:not-removed", error=schedule_failure_reason(err)),
        )

    def _remove_target(self, name: str) -> None:
        # Every target, not only ours: one that someone else put on the rule
        # would stop DeleteRule (a rule with targets cannot be deleted).
        listed = self._events(
            "ListTargetsByRule",
            lambda: self._events_client.list_targets_by_rule(Rule=name).get("Targets", []),
        )
        ids = sorted({str(target["Id"]) for target in listed}) or [TARGET_ID]

        def remove() -> None:
            response = self._events_client.remove_targets(Rule=name, Ids=ids)
            failed = retries.failed_entries_reason("RemoveTargets", name, response)
            if failed:
                raise PartialFailure(failed)

        self._events("RemoveTargets", remove)

    def _put_named_rule(self, name: str, minutes: float, logical_id: str) -> str:
        response = self._events(
            "PutRule",
            lambda: self._events_client.put_rule(
                Name=name,
                ScheduleExpression=schedule_expression(minutes),
                State="ENABLED",
                Description=f"Polls image state for {logical_id}"[:512],
            ),
        )
        return str(response["RuleArn"])

    def _target(self, rule_arn: str, target_input: dict[str, Any], function_name: str) -> None:
        partition, region, account = (
            rule_arn.split(":")[1],
            rule_arn.split(":")[3],
            rule_arn.split(":")[4],
        )
        rendered = json.dumps(target_input)
        if len(rendered) > MAX_TARGET_INPUT_LENGTH:
            raise ValueError(
                f"the poll schedule's input is {len(rendered)} characters; "
                f"EventBridge allows {MAX_TARGET_INPUT_LENGTH}"
            )
        rule = rule_arn.split("/")[1]
        # The poll alias: the only way EventBridge may invoke the function.
        function_arn = (
            f"arn:{partition}:lambda:{region}:{account}:function:{function_name}"
            f":{contract.POLL_ALIAS}"
        )

        def put() -> None:
            response = self._events_client.put_targets(
                Rule=rule,
                Targets=[
                    {
                        "Id": TARGET_ID,
                        "Arn": function_arn,
                        "Input": rendered,
                    }
                ],
            )
            failed = retries.failed_entries_reason("PutTargets", rule, response)
            if failed:
                raise PartialFailure(failed)

        self._events("PutTargets", put)

    def _events(self, action: str, run: Callable[[], T]) -> T:
        """One EventBridge call: retried while IAM propagates (``patience``), and
        on the answers that say "try again" (ConcurrentModificationException,
        a target that failed in FailedEntries), a few times with backoff."""
        for attempt in range(1, EVENTS_ATTEMPTS + 1):
            try:
                return self._patience.run(action, run)
            except (ClientError, PartialFailure) as err:
                retry = isinstance(err, PartialFailure) or error_code(err) in EVENTS_RETRY_CODES
                if not retry or attempt == EVENTS_ATTEMPTS:
                    raise
                logger.info(
                    "events:retry", extra=log_fields(decision="events:retry", action=action)
                )
                self._sleep(EVENTS_RETRY_SECONDS * 2 ** (attempt - 1))
        raise AssertionError("unreachable")


TARGET_ID = "1"
EVENTS_RETRY_CODES = frozenset({"ConcurrentModificationException", "InternalException"})
EVENTS_ATTEMPTS = 4
EVENTS_RETRY_SECONDS = 1.0


class PartialFailure(Exception):
    """EventBridge accepted the call but reported a failed entry."""


class ScheduleNotRemoved(Exception):
    """The poll schedule is still there: answer at the next poll instead."""


class ScheduleFailed(Exception):
    """The poll schedule could not be set up; the message is CloudFormation's reason."""


# --- the wire: rule names, the poll's input, the response and the wait signal ------


def rule_name(stack_id: str, logical_id: str) -> str:
    """The EventBridge rule that polls for one resource.

    crhelper names rules LogicalResourceId + 8 random characters, which breaks
    the 64-character limit for CDK's long logical ids (crhelper issue #61) and
    leaves no way to find the rule from a later request. This name is fixed
    per stack and resource, so a later request finds a schedule it never saw,
    and starts with the stack's own prefix (``contract.stack_rule_prefix``,
    from its StackId), to which the IAM policy and the one invoke permission
    are scoped: 8 + 36 + 1 characters, then a hash of the logical id and as
    much of the logical id as fits.
    """
    digest = hashlib.sha256(logical_id.encode()).hexdigest()[:8]
    return f"{contract.stack_rule_prefix(stack_id)}{digest}-{logical_id}"[:64]


def schedule_expression(poll_interval_minutes: float) -> str:
    minutes = int(poll_interval_minutes)
    return f"rate({minutes} minute{'' if minutes == 1 else 's'})"


# Keys of the event that a poll needs; the rest stays out of its state, which
# SSM Parameter Store limits to 8 KB.
POLL_EVENT_KEYS = (
    "RequestType",
    "ResponseURL",
    "StackId",
    "RequestId",
    "LogicalResourceId",
    "PhysicalResourceId",
    "ResourceType",
    "CrHelperData",
    "CrHelperPoll",
    "CrHelperRule",
    "CrHelperPermission",
)
POLL_PROPERTY_KEYS = (
    contract.PROP_NAME,
    contract.PROP_BUNDLE_NAME,
    contract.PROP_POLL_INTERVAL_MINUTES,
    contract.PROP_TIMEOUT_SECONDS,
    contract.PROP_SHARE_WITH,
    contract.PROP_KEEP_PREVIOUS_VERSIONS,
    contract.PROP_KEEP_AFTER_ROLLBACK_HOURS,
)
MAX_TARGET_INPUT_LENGTH = 8192
# The advanced tier of SSM Parameter Store holds 8 KB (state.TIER).
MAX_STATE_LENGTH = 8192


def poll_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the event that each scheduled poll is invoked with."""
    trimmed = {key: event[key] for key in POLL_EVENT_KEYS if key in event}
    props = event.get("ResourceProperties", {})
    trimmed["ResourceProperties"] = {key: props[key] for key in POLL_PROPERTY_KEYS if key in props}
    return trimmed


MAX_RESPONSE_BYTES = 4096


def fit_response(body: dict[str, Any]) -> dict[str, Any]:
    """Keep a response to CloudFormation under its 4096-byte limit.

    Data is the only part that can grow; if it does not fit, the response
    fails with a reason instead of being rejected by CloudFormation.
    """
    if len(json.dumps(body).encode()) <= MAX_RESPONSE_BYTES:
        return body
    return {
        **body,
        "Status": "FAILED",
        "Reason": "the response Data exceeded CloudFormation's 4096-byte limit",
        "Data": {},
    }


def wait_signal(decision: polls.PollDecision, image_id: str) -> dict[str, str]:
    """The body that signals a WaitConditionHandle once the wait is over."""
    if decision.outcome is polls.Outcome.AVAILABLE:
        return {
            "Status": "SUCCESS",
            "Reason": f"image {image_id} is AVAILABLE",
            "UniqueId": contract.SIGNAL_UNIQUE_ID,
            "Data": image_id,
        }
    return {
        "Status": "FAILURE",
        "Reason": decision.reason,
        "UniqueId": contract.SIGNAL_UNIQUE_ID,
        "Data": image_id,
    }


def schedule_name(stack_id: str, logical_id: str) -> str:
    """The resource's poll rule (the stack is the function's own: index checks it)."""
    return rule_name(stack_id, logical_id)


def schedule_input(logical_id: str) -> dict[str, Any]:
    """The rule's target Input: the resource's name, nothing a reader could use."""
    return {contract.SCHEDULE_EVENT_KEY: logical_id}


def own_stack_id() -> str:
    """The StackId the template gave the function (empty if it was deployed without one)."""
    return os.environ.get(contract.ENV_STACK_ID, "")


def own_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "")


def rehearsal_endpoint() -> str:
    """The rehearsal's local endpoint ("127.0.0.1:PORT"); never set in a real deployment."""
    return os.environ.get(trust.ENV_REHEARSAL_ENDPOINT, "")


def schedule_failure_reason(err: Exception) -> str:
    """Why a poll schedule could not be set up (or removed), in the service's words."""
    if isinstance(err, ClientError):
        return reasons.service_error_reason(err.operation_name, error_code(err), error_message(err))
    return reasons.fit_reason(str(err))
