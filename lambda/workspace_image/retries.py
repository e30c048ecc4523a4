"""How a call that did not succeed is read and retried: IAM denials waited out,
throttling left to botocore's retries and then to the next poll, and how late
into an invocation a call may start. Pure: no AWS calls, no clock, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reasons import fit_reason

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


# The error codes that botocore's standard retry mode treats as throttling
# (botocore/retries/standard.py, ThrottledRetryableChecker; HTTP 429 too, in
# ThrottlingStatusCodeChecker). A call that still gets one after botocore's
# retries was slowed down, not refused: a request that can wait (a poll, a
# Delete) tries again at its next poll. tests/lambda/test_decisions.py keeps this
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
