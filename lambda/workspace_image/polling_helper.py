"""crhelper's CfnResource, with the fixes this resource needs.

crhelper 2.0.12 is used as it is for the request flow (create, update,
delete, poll_create, poll_update). This subclass changes only the parts its
known bugs (see ../shared/FACTS.md and crhelper's issue tracker) make unsafe:

- #61: rule names over 64 characters. Rules and permission statements get a
  fixed name per stack and resource (``logic.schedule_name``), so a later
  Delete can remove a schedule that a failed or abandoned wait left behind.
- #34 and the endless retry loop: the response PUT has a timeout and a
  bounded number of attempts, and never logs the pre-signed URL.
- The EventBridge target Input (8192 characters) gets only what a poll needs.
- An Update that changes tags only answers at once instead of waiting one
  poll interval (``finish_now``).
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable
from http.client import HTTPSConnection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import contract
import logic
from botocore.exceptions import ClientError
from crhelper import CfnResource

logger = logging.getLogger(__name__)

RESPONSE_TIMEOUT_SECONDS = 10
RESPONSE_ATTEMPTS = 5
RESPONSE_RETRY_SECONDS = 2.0


def send_response(
    response_url: str,
    body: dict[str, Any],
    ssl_verify: Any = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """PUT the response to CloudFormation's pre-signed URL; True once it is accepted.

    The URL is a secret (whoever holds it can answer for the resource): only
    its host is ever logged.
    """
    payload = json.dumps(logic.fit_response(body))
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
                logger.info(json.dumps({"response": body.get("Status"), "http_status": status}))
                return True
            logger.warning(json.dumps({"response_rejected": status, "host": split.hostname}))
        except OSError as err:
            logger.warning(
                json.dumps(
                    {
                        "response_attempt": attempt,
                        "host": split.hostname,
                        "error": type(err).__name__,
                    }
                )
            )
        if attempt < RESPONSE_ATTEMPTS:
            sleep(RESPONSE_RETRY_SECONDS)
    logger.error(json.dumps({"response": "not delivered", "attempts": RESPONSE_ATTEMPTS}))
    return False


def _sender(response_url: str, body: dict[str, Any], ssl_verify: Any = None) -> None:
    send_response(response_url, body, ssl_verify)


class ImageResourceHelper(CfnResource):  # type: ignore[misc]
    """CfnResource with bounded responses and named, removable poll schedules."""

    def __init__(self) -> None:
        # INFO, not crhelper's DEBUG, which logs whole events with the ResponseURL.
        super().__init__(log_level="INFO", boto_level="WARNING", sleep_on_delete=0)
        self._finish_now = False

    def finish_now(self) -> None:
        """Answer CloudFormation at the end of this invocation, without polling."""
        self._finish_now = True

    def _crhelper_init(self, event: dict[str, Any], context: Any) -> bool:
        self._finish_now = False
        return bool(super()._crhelper_init(event, context))

    def _polling_init(self, event: dict[str, Any]) -> None:
        if self._finish_now and "CrHelperPoll" not in event:
            self._send_response = True
            return
        super()._polling_init(event)

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        super()._send(status, reason, send_response=_sender)

    def _schedule_name(self) -> str:
        return logic.schedule_name(self._event["StackId"], self._event["LogicalResourceId"])

    def _put_rule(self) -> str:
        props = self._event.get("ResourceProperties", {})
        minutes = float(props.get(contract.PROP_POLL_INTERVAL_MINUTES, 1))
        response = self._events_client.put_rule(
            Name=self._schedule_name(),
            ScheduleExpression=logic.schedule_expression(minutes),
            State="ENABLED",
            Description=f"Polls image state for {self._event['LogicalResourceId']}"[:512],
        )
        return str(response["RuleArn"])

    def _add_permission(self, rule_arn: str) -> str:
        sid = self._schedule_name()
        try:
            self._lambda_client.add_permission(
                FunctionName=self._context.function_name,
                StatementId=sid,
                Action="lambda:InvokeFunction",
                Principal="events.amazonaws.com",
                SourceArn=rule_arn,
            )
        except ClientError as err:
            # A repeated Create finds the statement it added the first time.
            if err.response["Error"]["Code"] != "ResourceConflictException":
                raise
        return sid

    def _put_targets(self, func_name: str) -> None:
        rule_arn = self._event["CrHelperRule"]
        partition, region, account = (
            rule_arn.split(":")[1],
            rule_arn.split(":")[3],
            rule_arn.split(":")[4],
        )
        target_input = json.dumps(logic.poll_event(self._event))
        if len(target_input) > logic.MAX_TARGET_INPUT_LENGTH:
            raise ValueError(
                f"the poll schedule's input is {len(target_input)} characters; "
                f"EventBridge allows {logic.MAX_TARGET_INPUT_LENGTH}"
            )
        self._events_client.put_targets(
            Rule=rule_arn.split("/")[1],
            Targets=[
                {
                    "Id": "1",
                    "Arn": f"arn:{partition}:lambda:{region}:{account}:function:{func_name}",
                    "Input": target_input,
                }
            ],
        )

    def _setup_polling(self) -> None:
        try:
            super()._setup_polling()
        except Exception:
            self.remove_schedule()
            raise

    def remove_schedule(self) -> None:
        """Remove this resource's poll rule, target and permission, if any are there."""
        name = self._schedule_name()
        calls = (
            lambda: self._events_client.remove_targets(Rule=name, Ids=["1"]),
            lambda: self._lambda_client.remove_permission(
                FunctionName=self._context.function_name, StatementId=name
            ),
            lambda: self._events_client.delete_rule(Name=name),
        )
        for call in calls:
            try:
                call()
            except ClientError as err:
                if err.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
