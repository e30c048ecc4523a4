"""What the function trusts (trust.py): its own stack's events, CloudFormation's URLs."""

from __future__ import annotations

from typing import Any

import pytest
import trust

STACK_ID = (
    "arn:aws:cloudformation:us-east-1:123456789012:stack/Desktops/"
    "0f6c5a40-9e2b-11ef-8d4b-0a1b2c3d4e5f"
)
RESPONSE_URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
    "arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/Desktops/x%7CGolden%7Cr1"
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"
)


@pytest.mark.parametrize(
    "url",
    [
        RESPONSE_URL,
        "https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com/a",
        "https://cloudformation-custom-resource-response-useast1.s3-external-1.amazonaws.com/a",
        "https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/a?b=c",
        "https://cloudformation-waitcondition-us-east-1.s3.amazonaws.com/arn%3Aaws/handle",
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:443/a",
    ],
)
def test_cloudformations_own_buckets_in_the_functions_region_may_be_answered(url: str) -> None:
    assert trust.response_url_error(url, "us-east-1") is None


def test_a_china_region_bucket_may_be_answered() -> None:
    url = (
        "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/a"
    )
    assert trust.response_url_error(url, "cn-north-1") is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a", "https"),
        (
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/a",
            "port",
        ),
        ("https://my-bucket.s3.amazonaws.com/a", "not CloudFormation's"),
        ("https://s3.amazonaws.com/my-bucket/a", "not CloudFormation's"),
        (
            "https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/a",
            "not CloudFormation's",
        ),
        ("https://cloudformation-custom-resource-response-useast1.example.com/a", "not an Amazon"),
        ("https://attacker.example/a", "not an Amazon"),
        ("https://127.0.0.1:8443/a", "port"),
        ("https://u:p@cloudformation-waitcondition-us-east-1.s3.amazonaws.com/a", "credentials"),
        (42, "not a string"),
    ],
)
def test_any_other_url_is_refused_with_the_reason(url: Any, why: str) -> None:
    error = trust.response_url_error(url, "us-east-1")
    assert error is not None and why in error


def test_the_rehearsal_endpoint_is_allowed_only_when_set() -> None:
    url = "https://127.0.0.1:8443/cloudformation-response/r1"
    assert trust.response_url_error(url, "us-east-1", "127.0.0.1:8443") is None
    assert trust.response_url_error(url, "us-east-1") is not None
    assert trust.response_url_error(url, "us-east-1", "127.0.0.1:9999") is not None


def request(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": "Create",
        "ResponseURL": RESPONSE_URL,
        "StackId": STACK_ID,
        "RequestId": "r1",
        "LogicalResourceId": "Golden",
        "ResourceType": "Custom::WorkspaceImage",
        "ResourceProperties": {"Name": "golden"},
    }
    event.update(changes)
    return {key: value for key, value in event.items() if value is not None}


def test_a_request_of_the_functions_own_stack_is_served() -> None:
    assert trust.event_error(request(), STACK_ID, "us-east-1") is None


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"StackId": STACK_ID.replace("0f6c5a40", "00000000")}, "not the function's own stack"),
        ({"RequestType": "Poll"}, "RequestType"),
        ({"LogicalResourceId": "../x"}, "logical id"),
        ({"RequestId": None}, "RequestId is missing"),
        ({"ResponseURL": "https://attacker.example/r"}, "ResponseURL"),
        ({"ResourceProperties": ["x"]}, "ResourceProperties is not an object"),
        ({"RequestType": "Update"}, "no OldResourceProperties"),
        ({"CrHelperPoll": True, "CrHelperData": {"ImageId": "wsi-000000001"}}, "CrHelperData"),
    ],
)
def test_an_event_that_is_not_its_stacks_request_is_refused(
    changes: dict[str, Any], why: str
) -> None:
    error = trust.event_error(request(**changes), STACK_ID, "us-east-1")
    assert error is not None and why in error


def test_a_function_deployed_without_its_stack_id_serves_nothing() -> None:
    error = trust.event_error(request(), "", "us-east-1")
    assert error is not None and "OWNER_STACK_ID" in error


@pytest.mark.parametrize("reference", ["Golden", "GoldenBA401183"])
def test_a_schedule_reference_is_a_logical_id(reference: str) -> None:
    assert trust.schedule_reference(reference) == reference


@pytest.mark.parametrize("reference", ["", "a/b", "x" * 256, {"LogicalResourceId": "G"}, None])
def test_anything_else_is_no_schedule_reference(reference: Any) -> None:
    assert trust.schedule_reference(reference) is None


def test_a_stored_poll_runs_only_for_its_own_stack_and_resource() -> None:
    body = request(CrHelperPoll=True)
    assert trust.schedule_error("poll", body, "Golden", STACK_ID, "us-east-1") is None
    assert trust.schedule_error("poll", body, "Silver", STACK_ID, "us-east-1") is not None
    other = STACK_ID.replace("Desktops", "Other")
    assert trust.schedule_error("poll", body, "Golden", other, "us-east-1") is not None


def test_a_stored_watch_needs_cloudformations_wait_handle() -> None:
    job = {
        "StackId": STACK_ID,
        "LogicalResourceId": "Golden",
        "WaitHandle": "https://cloudformation-waitcondition-us-east-1.s3.amazonaws.com/h",
    }
    assert trust.schedule_error("watch", job, "Golden", STACK_ID, "us-east-1") is None
    elsewhere = {**job, "WaitHandle": "https://attacker.example/h"}
    error = trust.schedule_error("watch", elsewhere, "Golden", STACK_ID, "us-east-1")
    assert error is not None and "WaitHandle" in error


@pytest.mark.parametrize(
    ("arn", "qualifier"),
    [
        ("arn:aws:lambda:us-east-1:123456789012:function:f:poll", "poll"),
        ("arn:aws:lambda:us-east-1:123456789012:function:f", ""),
        ("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST", "$LATEST"),
    ],
)
def test_an_invocation_names_its_qualifier(arn: str, qualifier: str) -> None:
    assert trust.qualifier(arn) == qualifier


def test_the_function_shares_only_with_the_accounts_its_stack_names() -> None:
    assert trust.share_error("111122223333", "111122223333,444455556666") is None
    error = trust.share_error("999999999999", "111122223333")
    assert error is not None and "999999999999" in error
    assert trust.share_error("111122223333", "") is not None
