"""What every resource handler shares: failing a request, logging a decision,
waiting out IAM's eventual consistency, keeping each invocation's calls inside
the function's timeout, and turning a refused AWS call into the service's
words (a throttled one apart, for the requests that can wait it out)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import contract
import reasons
import retries
import tagging
from botocore.exceptions import ClientError
from workspaces import WORST_CALL_SECONDS, WorkSpacesImages, error_code, error_message, http_status

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ResourceFailed(Exception):
    """Fails the request; the message is CloudFormation's reason."""


class Throttled(ResourceFailed):
    """A call still throttled after botocore's retries, or one this invocation has
    no time left to start: a request that can wait (a poll, a Delete) tries
    again at its next poll; any other fails with this reason."""


@dataclass
class Answer:
    """What a request tells CloudFormation, or keeps for its polls.

    ``done``: answer now with ``data`` as the resource's attributes. Not done
    (a first call only): keep ``data`` for the polls, which answer later.
    """

    physical_id: str
    data: dict[str, Any] = field(default_factory=dict)
    done: bool = True


# Keys that a LogRecord holds, or that the Lambda runtime's JSON format writes
# itself (timestamp, level, message, logger, requestId, the error fields): a
# field of one of these names would be refused or dropped, so it is renamed.
_OWNED_KEYS = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "aws_request_id",
    "tenant_id",
    "timestamp",
    "level",
    "logger",
    "requestId",
    "tenantId",
    "location",
    "stackTrace",
    "errorType",
    "errorMessage",
}


def log_fields(**fields: Any) -> dict[str, Any]:
    """``extra`` for a log call, so that each field is a top-level key of its JSON line.

    The function's log format is JSON (provider.py): the runtime writes each
    record as one object and puts ``extra`` beside ``message``, where Logs
    Insights queries it by name. Values are made JSON-safe here, since the
    runtime's encoder has no fallback; a key the record owns becomes
    ``field_<key>``.
    """
    safe: dict[str, Any] = json.loads(json.dumps(fields, default=str))
    return {f"field_{key}" if key in _OWNED_KEYS else key: value for key, value in safe.items()}


def log_decision(event: dict[str, Any], decision: str, **fields: Any) -> None:
    """One structured line per decision. Never the event: it holds the ResponseURL."""
    logger.info(
        decision,
        extra=log_fields(
            decision=decision,
            request=event.get("RequestType"),
            logical_id=event.get("LogicalResourceId"),
            **fields,
        ),
    )


def made_here(api: WorkSpacesImages, resource_id: str, event: dict[str, Any]) -> bool:
    """Whether this stack's resource made the image or bundle, by its owner tags."""
    tags = call("DescribeTags", lambda: api.tags(resource_id))
    return tagging.is_owned_by(tags, event["StackId"], event["LogicalResourceId"])


def update_tags(
    api: WorkSpacesImages, resource_id: str, old: Mapping[str, str], new: Mapping[str, str]
) -> None:
    """Bring an image's or bundle's tags from ``old`` to ``new`` in place."""
    to_set, to_remove = tagging.tag_diff(old, new)
    if to_set:
        call("CreateTags", lambda: api.set_tags(resource_id, to_set))
    if to_remove:
        call("DeleteTags", lambda: api.remove_tags(resource_id, to_remove))


# The answer's PUT (polling_helper.send_response): a few attempts, each with a
# timeout, a pause between them.
RESPONSE_TIMEOUT_SECONDS = 10
RESPONSE_ATTEMPTS = 5
RESPONSE_RETRY_SECONDS = 2.0
# Kept free at the end of an invocation for the answer, at its slowest.
ANSWER_MARGIN_SECONDS = (
    RESPONSE_ATTEMPTS * RESPONSE_TIMEOUT_SECONDS + (RESPONSE_ATTEMPTS - 1) * RESPONSE_RETRY_SECONDS
)
# No call starts later than this into an invocation: with the longest a call
# can take (workspaces.WORST_CALL_SECONDS), the invocation still ends inside
# the function's timeout.
LAST_CALL_START_SECONDS = retries.last_call_start_seconds(
    contract.FUNCTION_TIMEOUT_SECONDS, WORST_CALL_SECONDS, ANSWER_MARGIN_SECONDS
)


class Patience:
    """How long one invocation waits, in all, for IAM grants to take effect, and
    how late into it a call may still start.

    A call that is denied is retried with backoff (``retries.denied_retry_delay``)
    while the invocation's budget lasts. A call that would start after
    ``last_start`` seconds raises Throttled instead. ``reset`` starts a new
    invocation.
    """

    def __init__(
        self,
        budget: float = retries.DENIED_BUDGET_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        last_start: float = LAST_CALL_START_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._budget = budget
        self._sleep = sleep
        self._last_start = last_start
        self._clock = clock
        self._started = clock()
        self.spent = 0.0

    def reset(self) -> None:
        self.spent = 0.0
        self._started = self._clock()

    def run(self, action: str, run: Callable[[], T]) -> T:
        """Run ``run``; retry it while it is denied and the budget lasts."""
        attempt = 0
        while True:
            elapsed = self._clock() - self._started
            if elapsed > self._last_start:
                raise Throttled(retries.too_late_reason(action, elapsed, self._last_start))
            try:
                return run()
            except ClientError as err:
                if error_code(err) not in retries.ACCESS_DENIED_CODES:
                    raise
                attempt += 1
                delay = retries.denied_retry_delay(attempt, self.spent, self._budget)
                if delay is None:
                    raise
                logger.info(
                    "denied:retry",
                    extra=log_fields(decision="denied:retry", action=action, delay=delay),
                )
                self._sleep(delay)
                self.spent += delay


patience = Patience()


def call(action: str, run: Callable[[], T], resource: str = "*") -> T:
    """Run one AWS call, waiting out IAM propagation; a refusal fails the
    request with the service's words, and a lasting denial names the action
    and the resource."""
    try:
        return patience.run(action, run)
    except ClientError as err:
        raise refusal(action, err, resource) from err


def refusal(action: str, err: ClientError, resource: str = "*") -> ResourceFailed:
    """A refused call as the request's failure; a denial names the action and resource,
    and a throttled call is Throttled, for a request that can wait it out."""
    code, message = error_code(err), error_message(err)
    if code in retries.ACCESS_DENIED_CODES:
        return ResourceFailed(
            retries.denied_reason(action, resource, patience.spent, code, message)
        )
    reason = reasons.service_error_reason(action, code, message)
    if retries.is_throttling(code, http_status(err)):
        return Throttled(reason)
    return ResourceFailed(reason)


def best_effort(log_event: dict[str, Any], action: str, run: Callable[[], object]) -> bool:
    """A clean-up call: never raises, so the rest of the clean-up still runs."""
    try:
        patience.run(action, run)
    except Exception as err:  # whatever it raised, the clean-up goes on
        code = error_code(err) if isinstance(err, ClientError) else type(err).__name__
        log_decision(log_event, "cleanup:failed", action=action, error=code)
        return False
    return True
