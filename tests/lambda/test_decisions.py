"""The handler's pure decisions, on plain values."""

from __future__ import annotations

import actions
import bundle_decisions
import contract
import discard
import polls
import properties
import pytest
import reasons
import retries
import source_updates
import tagging
import updates

PROPS = {
    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f",
    "WorkspaceId": "ws-abcdef123",
    "Name": "golden-2026-11",
    "Description": "Image golden-2026-11",
    "PollIntervalMinutes": "1",
    "TimeoutSeconds": "3300",
    "Tags": [{"Key": "team", "Value": "euc"}],
}
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/S/1b2c"


def spec(**changes: object) -> properties.ImageSpec:
    return properties.parse_properties({**PROPS, **changes})


# --- properties ---------------------------------------------------------------


def test_properties_arrive_as_strings_and_are_parsed() -> None:
    parsed = spec()
    assert parsed.poll_interval_minutes == 1
    assert parsed.timeout_seconds == 3300
    assert parsed.tags == {"team": "euc"}


def test_every_broken_rule_is_reported_at_once() -> None:
    with pytest.raises(properties.InvalidProperties) as raised:
        spec(WorkspaceId="w-1", Name="a b", TimeoutSeconds="99999")
    message = str(raised.value)
    assert '"WorkspaceId"' in message
    assert '"Name"' in message
    assert '"TimeoutSeconds"' in message


def test_missing_required_properties_are_named() -> None:
    with pytest.raises(properties.InvalidProperties, match="WorkspaceId, Name"):
        properties.parse_properties({"Description": "x"})


def test_tags_must_be_a_list_of_key_value_pairs() -> None:
    with pytest.raises(properties.InvalidProperties, match="list of"):
        spec(Tags={"team": "euc"})


def test_missing_tags_mean_no_tags() -> None:
    assert properties.read_tags(None) == {}
    assert properties.read_tags("") == {}


# --- update ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, updates.Change.NONE),
        ({"PollIntervalMinutes": "5"}, updates.Change.NONE),
        ({"Tags": [{"Key": "team", "Value": "vdi"}]}, updates.Change.IN_PLACE),
        ({"ShareWithAccounts": ["111122223333"]}, updates.Change.IN_PLACE),
        ({"Name": "golden-v2"}, updates.Change.REPLACE),
        ({"WorkspaceId": "ws-other0001"}, updates.Change.REPLACE),
        ({"Description": "new words"}, updates.Change.REPLACE),
    ],
)
def test_only_tags_change_in_place(changes: dict[str, object], expected: updates.Change) -> None:
    assert updates.classify_update(spec(), spec(**changes)) is expected


def test_tag_diff_sets_new_and_changed_and_removes_dropped_keys() -> None:
    to_set, to_remove = tagging.tag_diff(
        {"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "9", "d": "4"}
    )
    assert to_set == {"b": "9", "d": "4"}
    assert to_remove == ["c"]


def test_creation_tags_add_the_owner_tags_sorted() -> None:
    tags = tagging.creation_tags(spec().tags, STACK_ID, "GoldenBA401183")
    assert tags == [
        {"Key": contract.OWNER_LOGICAL_ID_TAG, "Value": "GoldenBA401183"},
        {"Key": contract.OWNER_STACK_TAG, "Value": STACK_ID},
        {"Key": "team", "Value": "euc"},
    ]


def test_ownership_needs_both_the_stack_and_the_logical_id() -> None:
    owned = tagging.owner_tags(STACK_ID, "Golden")
    assert tagging.is_owned_by(owned, STACK_ID, "Golden")
    assert not tagging.is_owned_by(owned, STACK_ID, "Other")
    assert not tagging.is_owned_by(owned, STACK_ID + "x", "Golden")
    assert not tagging.is_owned_by({}, STACK_ID, "Golden")


# --- polling --------------------------------------------------------------------


def decide(image: dict[str, object] | None, elapsed: float, timeout: float = 600, poll: float = 60):
    return polls.decide_poll(
        image,
        image_id="wsi-abcdef123",
        now=1000 + elapsed,
        started_at=1000,
        timeout_seconds=timeout,
        poll_interval_seconds=poll,
    )


def test_pending_within_the_deadline_waits() -> None:
    assert decide({"State": "PENDING"}, 60).outcome is polls.Outcome.WAIT


def test_available_wins_even_at_the_deadline() -> None:
    assert decide({"State": "AVAILABLE"}, 10_000).outcome is polls.Outcome.AVAILABLE


def test_the_poll_whose_successor_would_miss_the_deadline_gives_up() -> None:
    # 600 s timeout, 60 s interval, 60 s margin for a late schedule
    assert decide({"State": "PENDING"}, 480).outcome is polls.Outcome.WAIT
    late = decide({"State": "PENDING"}, 481)
    assert late.outcome is polls.Outcome.FAILED
    assert late.reason.startswith("timed out: image wsi-abcdef123 is still PENDING")


def test_error_state_fails_with_code_message_and_details() -> None:
    decision = decide(
        {
            "ImageId": "wsi-abcdef123",
            "Name": "golden",
            "State": "ERROR",
            "ErrorCode": "InternalError",
            "ErrorMessage": "Sysprep failed",
            "ErrorDetails": [{"ErrorCode": "AppX", "ErrorMessage": "a user app blocks sysprep"}],
        },
        30,
    )
    assert decision.outcome is polls.Outcome.FAILED
    assert decision.reason == (
        "image wsi-abcdef123 (golden) failed - InternalError: Sysprep failed - "
        "details: AppX: a user app blocks sysprep"
    )


def test_a_vanished_image_fails() -> None:
    decision = decide(None, 30)
    assert decision.outcome is polls.Outcome.FAILED
    assert "no longer exists" in decision.reason


def test_long_error_reasons_keep_their_start_within_the_limit() -> None:
    image = {
        "ImageId": "wsi-x",
        "Name": "n",
        "State": "ERROR",
        "ErrorCode": "Code",
        "ErrorMessage": "m" * 500,
    }
    reason = polls.image_error_reason(image)
    assert len(reason) == reasons.MAX_REASON_LENGTH
    assert reason.startswith("image wsi-x (n) failed - Code: mmm")
    assert reason.endswith("...")


def test_response_data_holds_only_known_values() -> None:
    assert polls.response_data({"ImageId": "wsi-1", "Name": "n", "OperatingSystem": {}}) == {
        "ImageId": "wsi-1",
        "Name": "n",
    }


# --- schedule and response hygiene -------------------------------------------------


# --- IAM propagation -------------------------------------------------------------


def test_denied_calls_wait_doubling_delays_up_to_a_cap() -> None:
    delays = [retries.denied_retry_delay(attempt, spent=0) for attempt in range(1, 8)]
    assert delays == [1, 2, 4, 8, 16, 16, 16]


def test_denied_calls_stop_waiting_when_the_invocations_budget_is_spent() -> None:
    spent, attempt = 0.0, 1
    while (delay := retries.denied_retry_delay(attempt, spent)) is not None:
        spent += delay
        attempt += 1
    assert spent == 47  # 1+2+4+8+16+16; one more 16 would pass the 60 s budget
    assert spent <= retries.DENIED_BUDGET_SECONDS


def test_a_lasting_denial_names_the_action_the_resource_and_the_wait() -> None:
    reason = retries.denied_reason(
        "CreateWorkspaceImage", "WorkSpace ws-abcdef123", 47, "AccessDeniedException", "x" * 400
    )
    assert reason.startswith(
        "CreateWorkspaceImage on WorkSpace ws-abcdef123: AccessDeniedException for 47 s"
    )
    assert len(reason) <= reasons.MAX_REASON_LENGTH


def test_a_denial_is_not_taken_for_a_repeated_create() -> None:
    assert "AccessDeniedException" not in reasons.ADOPTABLE_CREATE_ERRORS


# --- EventBridge partial failures ---------------------------------------------------


def test_failed_entries_are_reported_with_eventbridges_reason() -> None:
    response = {
        "FailedEntryCount": 1,
        "FailedEntries": [
            {"TargetId": "1", "ErrorCode": "ConcurrentModificationException", "ErrorMessage": "m"}
        ],
    }
    assert retries.failed_entries_reason("PutTargets", "r", response) == (
        "PutTargets on poll rule r failed for 1 target(s): ConcurrentModificationException: m"
    )


def test_an_answer_without_failed_entries_is_no_failure() -> None:
    assert retries.failed_entries_reason("PutTargets", "r", {"FailedEntryCount": 0}) is None
    assert retries.failed_entries_reason("RemoveTargets", "r", {}) is None


# --- abandoned requests ------------------------------------------------------------


def poll_input(request_id: str = "old", **data: object) -> dict[str, object]:
    return {"RequestId": request_id, "CrHelperPoll": True, "CrHelperData": data}


def test_an_abandoned_request_gives_up_the_image_it_made_and_its_discards() -> None:
    target = poll_input(ImageId="wsi-aaaaaaaaa", CreatedHere=True, Discard=["wsi-bbbbbbbbb"])
    assert discard.abandoned_images(target, "new") == ("wsi-bbbbbbbbb", "wsi-aaaaaaaaa")


def test_an_adopted_image_is_not_given_up() -> None:
    assert discard.abandoned_images(poll_input(ImageId="wsi-aaaaaaaaa"), "new") == ()


def test_the_same_request_delivered_again_abandons_nothing() -> None:
    target = poll_input("same", ImageId="wsi-aaaaaaaaa", CreatedHere=True)
    assert discard.abandoned_images(target, "same") == ()


def test_a_long_waits_watcher_belongs_to_an_answered_request_of_the_same_image() -> None:
    target = {contract.WATCH_EVENT_KEY: {"ImageId": "wsi-aaaaaaaaa"}}
    assert discard.abandoned_images(target, "new", "wsi-aaaaaaaaa") == ()


def test_a_watcher_of_another_image_than_the_requests_was_never_taken_by_cloudformation() -> None:
    # A replacement answered at once, then cancelled: the rollback names the old image.
    target = {contract.WATCH_EVENT_KEY: {"ImageId": "wsi-bbbbbbbbb", "Discard": ["wsi-ccccccccc"]}}
    assert discard.abandoned_images(target, "new", "wsi-aaaaaaaaa") == (
        "wsi-bbbbbbbbb",
        "wsi-ccccccccc",
    )


def test_ids_that_are_not_images_are_never_given_up() -> None:
    target = poll_input(ImageId="made-up", CreatedHere=True, Discard=["wsb-000000000"])
    assert discard.abandoned_images(target, "new") == ()


# --- deleting images ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "code", "elapsed", "expected"),
    [
        ("PENDING", "InvalidResourceStateException", 60, discard.Discard.WAIT),
        (None, "InvalidResourceStateException", 60, discard.Discard.WAIT),
        ("PENDING", "InvalidResourceStateException", 3300, discard.Discard.LEAVE),
        ("AVAILABLE", "InvalidResourceStateException", 60, discard.Discard.REFUSED),
        (None, "ResourceAssociatedException", 60, discard.Discard.REFUSED),
        # Which error refuses a PENDING image is undocumented: any is "not yet".
        ("PENDING", "ResourceAssociatedException", 60, discard.Discard.WAIT),
    ],
)
def test_a_refused_delete_waits_only_for_a_pending_image(
    state: str | None, code: str, elapsed: float, expected: discard.Discard
) -> None:
    outcome = discard.refused_delete(state, code, now=elapsed, started_at=0, wait_seconds=3300)
    assert outcome is expected


def test_a_delete_stops_waiting_before_its_next_poll_would_miss_the_deadline() -> None:
    def outcome(elapsed: float, interval: float) -> discard.Discard:
        return discard.refused_delete(
            "PENDING",
            "InvalidResourceStateException",
            now=elapsed,
            started_at=0,
            wait_seconds=3300,
            poll_interval_seconds=interval,
        )

    assert outcome(3000, 60) is discard.Discard.WAIT
    assert outcome(3000, 600) is discard.Discard.LEAVE


def test_an_image_left_behind_is_explained() -> None:
    assert discard.left_behind_reason("wsi-aaaaaaaaa", discard.Discard.DELETED) is None
    assert discard.left_behind_reason("wsi-aaaaaaaaa", discard.Discard.GONE) is None
    assert "PENDING" in str(discard.left_behind_reason("wsi-aaaaaaaaa", discard.Discard.WAIT))
    assert "by hand" in str(discard.left_behind_reason("wsi-aaaaaaaaa", discard.Discard.REFUSED))


def test_only_accounts_the_image_is_shared_with_are_revoked() -> None:
    managed = ["111122223333", "444455556666"]
    assert updates.accounts_to_revoke(managed, {"444455556666", "999988887777"}) == ["444455556666"]


# --- bundles -----------------------------------------------------------------------


def bundle_poll(bundle: dict[str, str] | None, elapsed: float) -> polls.PollDecision:
    return bundle_decisions.decide_bundle_poll(
        bundle,
        bundle_id="wsb-aaaaaaaaa",
        now=elapsed,
        started_at=0,
        wait_seconds=1500,
        poll_interval_seconds=60,
    )


def test_a_bundle_not_listed_soon_after_its_create_is_waited_for() -> None:
    assert bundle_poll(None, 60).outcome is polls.Outcome.WAIT
    late = bundle_poll(None, bundle_decisions.BUNDLE_VISIBLE_GRACE_SECONDS)
    assert late.outcome is polls.Outcome.FAILED
    assert "no longer exists" in late.reason


@pytest.mark.parametrize(
    ("state", "outcome"),
    [("AVAILABLE", polls.Outcome.AVAILABLE), ("PENDING", polls.Outcome.WAIT)],
)
def test_a_bundle_is_ready_once_available(state: str, outcome: polls.Outcome) -> None:
    assert bundle_poll({"State": state}, 60).outcome is outcome


def test_a_bundle_without_a_state_is_ready() -> None:
    assert bundle_poll({"BundleId": "wsb-aaaaaaaaa"}, 60).outcome is polls.Outcome.AVAILABLE


def test_a_bundle_in_error_fails_with_what_to_check() -> None:
    decision = bundle_poll({"State": "ERROR", "Name": "b", "ImageId": "wsi-aaaaaaaaa"}, 60)
    assert decision.outcome is polls.Outcome.FAILED
    assert "wsi-aaaaaaaaa" in decision.reason


def test_a_bundle_still_pending_at_its_deadline_times_out() -> None:
    decision = bundle_poll({"State": "PENDING"}, 1500)
    assert decision.outcome is polls.Outcome.FAILED
    assert decision.reason.startswith("timed out: bundle wsb-aaaaaaaaa is still PENDING")


def test_a_shared_image_bundle_says_to_copy_first() -> None:
    reason = bundle_decisions.shared_image_reason("wsi-aaaaaaaaa", "210987654321")
    assert "CopyWorkspaceImage" in reason and "210987654321" in reason


def test_a_bundle_name_no_bundle_has_but_the_service_calls_taken_names_the_2_hour_rule() -> None:
    reason = bundle_decisions.bundle_create_refused_reason(
        "golden-standard", "ResourceAlreadyExistsException", "A bundle named it exists."
    )
    assert reason.startswith(
        "CreateWorkspaceBundle failed: ResourceAlreadyExistsException: A bundle named it exists.; "
    )
    assert "a deleted bundle's name is held for 2 hours; wait, or change bundle_name" in reason


def test_another_refusal_of_a_free_name_says_the_2_hour_rule_may_be_why() -> None:
    reason = bundle_decisions.bundle_create_refused_reason(
        "golden-standard", "InvalidParameterValuesException", "The name is in use."
    )
    assert reason.startswith("CreateWorkspaceBundle failed: InvalidParameterValuesException: ")
    assert "if a bundle named 'golden-standard' was deleted less than 2 hours ago" in reason


@pytest.mark.parametrize(
    "code", ["ResourceLimitExceededException", "ResourceNotFoundException", "AccessDeniedException"]
)
def test_a_refusal_about_something_else_than_the_name_keeps_only_the_services_words(
    code: str,
) -> None:
    reason = bundle_decisions.bundle_create_refused_reason("golden-standard", code, "its words")
    assert reason == f"CreateWorkspaceBundle failed: {code}: its words"


def test_a_long_service_message_is_cut_so_that_the_2_hour_rule_still_fits() -> None:
    reason = bundle_decisions.bundle_create_refused_reason(
        "n" * 64, "ResourceAlreadyExistsException", "m" * 300
    )
    assert len(reason) <= reasons.MAX_REASON_LENGTH
    assert reason.endswith("wait, or change bundle_name")
    assert "ResourceAlreadyExistsException: mmm" in reason


def test_an_abandoned_request_gives_up_the_bundle_it_made() -> None:
    target = poll_input(BundleId="wsb-aaaaaaaaa", CreatedHere=True)
    assert discard.abandoned_bundles(target, "new") == ("wsb-aaaaaaaaa",)
    assert discard.abandoned_bundles(poll_input(BundleId="wsb-aaaaaaaaa"), "new") == ()
    assert discard.abandoned_bundles(target, "old") == ()


# --- deploy-time rules of a source whose values were tokens at synth -----------------


def test_a_custom_import_of_windows_11_over_pcoip_is_refused_at_deploy_time() -> None:
    # GIVEN an import whose OS and protocol were tokens at synth
    source = properties.SourceSpec(
        actions.CUSTOM_IMPORT_ACTION,
        (
            ("ImageBuildVersionArn", "arn:aws:imagebuilder:us-east-1:123456789012:image/g/1.0.0/1"),
            ("ComputeType", "BASE"),
            ("Protocol", "PCOIP"),
            ("OsVersion", "Windows_11"),
            (
                "InfrastructureConfigurationArn",
                "arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/ws",
            ),
        ),
    )

    # THEN the handler applies the rule the construct applies at synth
    (error,) = properties.source_errors(source)
    assert error.startswith('"Protocol" PCOIP cannot serve "OsVersion" Windows_11')


def test_share_with_accounts_from_a_comma_delimited_list_is_a_list_of_strings() -> None:
    # CloudFormation sends a resolved CommaDelimitedList as a JSON array of strings.
    assert properties.read_accounts(["111122223333", "444455556666"]) == (
        "111122223333",
        "444455556666",
    )


# --- images of other stacks, by name (issue #17) --------------------------------------

BUNDLE_PROPS = {
    "BundleName": "golden-standard",
    "BundleDescription": "Bundle golden-standard",
    "ComputeType": "STANDARD",
    "UserStorageGiB": "50",
    "RootStorageGiB": "80",
}


def test_a_bundle_names_its_image_by_id_by_name_or_both() -> None:
    by_name = bundle_decisions.parse_bundle_properties(
        {**BUNDLE_PROPS, "ImageName": "golden-2026-12"}
    )
    both = bundle_decisions.parse_bundle_properties(
        {**BUNDLE_PROPS, "ImageId": "wsi-aaaaaaaaa", "ImageName": "golden-2026-12"}
    )

    assert by_name.image == ("", "golden-2026-12")
    assert both.image == ("wsi-aaaaaaaaa", "golden-2026-12")


def test_a_bundle_without_an_image_names_both_ways_of_giving_one() -> None:
    with pytest.raises(properties.InvalidProperties, match="ImageId or ImageName"):
        bundle_decisions.parse_bundle_properties(BUNDLE_PROPS)


def test_a_bad_image_name_of_a_bundle_is_named() -> None:
    with pytest.raises(
        properties.InvalidProperties, match="\"ImageName\" 'golden 12' contains ' '"
    ):
        bundle_decisions.parse_bundle_properties({**BUNDLE_PROPS, "ImageName": "golden 12"})


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"ImageName": "golden-2026-11"}, {"ImageName": "golden-2026-12"}),
        # A bundle of before ImageName: the name appears beside the same id.
        ({"ImageId": "wsi-aaaaaaaaa"}, {"ImageId": "wsi-aaaaaaaaa", "ImageName": "golden-1"}),
        ({"ImageId": "wsi-aaaaaaaaa"}, {"ImageId": "wsi-bbbbbbbbb"}),
    ],
)
def test_a_new_image_version_swaps_the_bundles_image_in_place(
    old: dict[str, str], new: dict[str, str]
) -> None:
    change = bundle_decisions.classify_bundle_update(
        bundle_decisions.read_bundle_spec({**BUNDLE_PROPS, **old}),
        bundle_decisions.read_bundle_spec({**BUNDLE_PROPS, **new}),
    )

    assert change is updates.Change.IN_PLACE


def test_a_copy_names_its_source_by_id_or_by_name_never_both() -> None:
    copy = {"Name": "golden-west", "Description": "d", "SourceRegion": "us-east-1"}

    by_name = properties.parse_properties(
        {**copy, "SourceImageName": "golden-2026-12"}, contract.COPY_RESOURCE_TYPE
    )
    with pytest.raises(
        properties.InvalidProperties, match="exactly one of SourceImageId and Source"
    ):
        properties.parse_properties(
            {**copy, "SourceImageName": "g", "SourceImageId": "wsi-aaaaaaaaa"},
            contract.COPY_RESOURCE_TYPE,
        )
    with pytest.raises(
        properties.InvalidProperties, match="exactly one of SourceImageId and Source"
    ):
        properties.parse_properties(copy, contract.COPY_RESOURCE_TYPE)

    assert by_name.source.get("SourceImageName") == "golden-2026-12"


def test_a_new_source_version_makes_a_new_copy() -> None:
    copy = {"Name": "golden-west", "Description": "d", "SourceRegion": "us-east-1"}
    old = properties.read_spec({**copy, "SourceImageName": "golden-1"}, contract.COPY_RESOURCE_TYPE)
    new = properties.read_spec(
        {**copy, "SourceImageName": "golden-2", "Name": "golden-west-2"},
        contract.COPY_RESOURCE_TYPE,
    )

    assert updates.classify_update(old, new) is updates.Change.REPLACE


def test_an_image_not_made_yet_says_to_deploy_its_stack_first() -> None:
    reason = properties.named_image_reason(None, "golden-2026-12", "us-east-1")

    assert reason is not None
    assert reason.startswith(
        "image golden-2026-12 not found in us-east-1 among this account's images: deploy the "
        "stack that makes it first"
    )


def test_an_image_still_pending_says_to_let_its_stack_finish() -> None:
    image = {"ImageId": "wsi-aaaaaaaaa", "State": "PENDING"}

    reason = properties.named_image_reason(image, "golden-2026-12", "us-east-1")

    assert reason is not None
    assert "(wsi-aaaaaaaaa) in us-east-1 is PENDING, not AVAILABLE" in reason
    assert properties.named_image_reason({**image, "State": "AVAILABLE"}, "g", "us-east-1") is None


# --- throttling ----------------------------------------------------------------------


def test_the_throttling_codes_are_those_botocores_standard_retries_treat_so() -> None:
    from botocore.retries.standard import ThrottledRetryableChecker

    # GIVEN the installed botocore's list (private; this test notices when it changes)
    botocore_codes = set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)

    # THEN ours is the same list
    assert botocore_codes == retries.THROTTLING_CODES


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 400, True),  # what WorkSpaces answers
        ("RequestLimitExceeded", 400, True),
        ("SomethingNew", 429, True),  # HTTP 429 is throttling whatever the code
        ("ResourceLimitExceededException", 400, False),  # a quota, not a rate
        ("AccessDeniedException", None, False),
    ],
)
def test_throttling_is_told_by_the_code_or_http_429(
    code: str, status: int | None, expected: bool
) -> None:
    assert retries.is_throttling(code, status) is expected


def test_botocores_longest_backoff_doubles_from_1_s_up_to_20_s() -> None:
    # 1 attempt: no retry; 12 attempts: 1 + 2 + 4 + 8 + 16 + 6 * 20
    assert retries.worst_backoff_seconds(1) == 0
    assert retries.worst_backoff_seconds(4) == 1 + 2 + 4
    assert retries.worst_backoff_seconds(12) == 31 + 6 * 20


def test_the_longest_call_times_out_every_attempt_and_backs_off_the_longest() -> None:
    assert retries.worst_call_seconds(12, attempt_timeout_seconds=15) == 12 * 15 + 151


def test_the_last_call_starts_so_that_the_longest_call_ends_before_the_timeout() -> None:
    assert retries.last_call_start_seconds(600, 331, answer_margin_seconds=30) == 239


def throttled(elapsed: float, timeout: float = 600, interval: float = 60) -> polls.PollDecision:
    return polls.throttled_poll(
        "DescribeWorkspaceImages failed: ThrottlingException: Rate exceeded",
        now=1000 + elapsed,
        started_at=1000,
        timeout_seconds=timeout,
        poll_interval_seconds=interval,
    )


def test_a_throttled_poll_waits_while_the_next_poll_comes_in_time() -> None:
    assert throttled(480).outcome is polls.Outcome.WAIT


def test_a_throttled_poll_fails_once_the_next_poll_would_come_too_late() -> None:
    # 600 s timeout, 60 s interval, 60 s margin: the same deadline as a PENDING image's
    decision = throttled(481)

    assert decision.outcome is polls.Outcome.FAILED
    assert decision.reason.startswith("timed out after 8 of 10 minutes, the last poll throttled:")
    assert decision.reason.endswith("ThrottlingException: Rate exceeded")


@pytest.mark.parametrize(
    ("state", "elapsed", "expected"),
    [
        ("AVAILABLE", 60, discard.Discard.WAIT),
        (None, 60, discard.Discard.WAIT),
        ("AVAILABLE", 3300, discard.Discard.REFUSED),
    ],
)
def test_a_throttled_delete_waits_for_the_next_poll_until_the_deadline(
    state: str | None, elapsed: float, expected: discard.Discard
) -> None:
    outcome = discard.refused_delete(
        state, "ThrottlingException", now=elapsed, started_at=0, wait_seconds=3300
    )
    assert outcome is expected


# --- an updated image's source (issue #15) --------------------------------------------

ACCOUNT = "123456789012"
SOURCE = "wsi-source001"
UPDATED_PROPS = {
    "SourceImageId": SOURCE,
    "Name": "golden-2026-11",
    "Description": "Image golden-2026-11",
    "PollIntervalMinutes": "1",
    "TimeoutSeconds": "3300",
}


def source_image(**fields: object) -> dict[str, object]:
    return {"ImageId": SOURCE, "State": "AVAILABLE", "OwnerAccountId": ACCOUNT, **fields}


def updated_spec(**changes: object) -> properties.ImageSpec:
    return properties.parse_properties({**UPDATED_PROPS, **changes}, contract.UPDATED_RESOURCE_TYPE)


def test_a_source_with_an_update_is_made() -> None:
    image = source_image(Updates={"UpdateAvailable": True, "Description": "new agent"})
    decision = source_updates.decide_update(image, SOURCE, ACCOUNT)
    assert decision.outcome is source_updates.UpdateOutcome.MAKE


def test_a_source_without_an_update_has_nothing_to_update_in_the_services_words() -> None:
    image = source_image(Updates={"UpdateAvailable": False, "Description": "no updates"})
    decision = source_updates.decide_update(image, SOURCE, ACCOUNT)
    assert decision.outcome is source_updates.UpdateOutcome.NOTHING_TO_UPDATE
    assert decision.reason.startswith(f"source image {SOURCE} has no update available (no updates)")


def test_a_source_that_says_nothing_of_updates_has_nothing_to_update() -> None:
    decision = source_updates.decide_update(source_image(), SOURCE, ACCOUNT)
    assert decision.outcome is source_updates.UpdateOutcome.NOTHING_TO_UPDATE


def test_another_accounts_source_is_refused_saying_to_copy_it_first() -> None:
    image = source_image(OwnerAccountId="111122223333", Updates={"UpdateAvailable": True})
    decision = source_updates.decide_update(image, SOURCE, ACCOUNT)
    assert decision.outcome is source_updates.UpdateOutcome.REFUSED
    assert "belongs to account 111122223333" in decision.reason
    assert "copy it first" in decision.reason


def test_a_source_not_yet_available_is_refused_rather_than_resolved() -> None:
    decision = source_updates.decide_update(source_image(State="PENDING"), SOURCE, ACCOUNT)
    assert decision.outcome is source_updates.UpdateOutcome.REFUSED
    assert decision.reason.startswith(f"source image {SOURCE} is PENDING, not AVAILABLE")


def test_a_missing_source_is_missing() -> None:
    decision = source_updates.decide_update(None, SOURCE, ACCOUNT)
    assert decision.outcome is source_updates.UpdateOutcome.MISSING
    assert decision.reason == f"source image {SOURCE} does not exist in this Region"


def test_the_account_comes_from_the_stack_id() -> None:
    assert contract.account_of(STACK_ID) == "123456789012"
    assert contract.account_of("") == ""


def test_a_resolved_id_names_its_source_and_is_no_image_id() -> None:
    physical_id = source_updates.resolved_id(SOURCE, updated_spec())
    assert physical_id.startswith(f"no-update-{SOURCE}-")
    assert not contract.is_image_id(physical_id)
    assert source_updates.resolved_source(physical_id) == SOURCE
    assert source_updates.resolved_source(SOURCE) is None


def test_a_resolved_id_belongs_to_the_properties_that_resolved_it() -> None:
    physical_id = source_updates.resolved_id(SOURCE, updated_spec())
    assert source_updates.resolved_for(physical_id, updated_spec(Tags=[{"Key": "t", "Value": "v"}]))
    assert not source_updates.resolved_for(physical_id, updated_spec(Name="golden-2026-12"))
    assert not source_updates.resolved_for(physical_id, updated_spec(Description="Other"))
    assert not source_updates.resolved_for(physical_id, updated_spec(SourceImageId="wsi-source002"))


def test_if_no_update_defaults_to_the_source_and_takes_fail() -> None:
    assert updated_spec().if_no_update == "USE_SOURCE"
    assert updated_spec(IfNoUpdate="FAIL").if_no_update == "FAIL"


def test_an_unknown_if_no_update_is_refused_at_deploy_time() -> None:
    with pytest.raises(properties.InvalidProperties, match="\"IfNoUpdate\" 'SKIP' is not one of"):
        updated_spec(IfNoUpdate="SKIP")


def test_the_if_no_update_option_changes_nothing_that_makes_an_image() -> None:
    old, new = updated_spec(), updated_spec(IfNoUpdate="FAIL")
    assert updates.classify_update(old, new) is updates.Change.NONE


def test_a_parked_image_is_not_another_stacks_image_to_use() -> None:
    image = {"ImageId": "wsi-aaaaaaaaa", "State": "AVAILABLE"}
    parked = {contract.PARKED_TAG: "2026-12-01T00:00:00Z"}

    assert properties.named_image_reason(image, "golden-v2", "us-east-1", {}) is None
    reason = properties.named_image_reason(image, "golden-v2", "us-east-1", parked)
    assert reason is not None and "rolled back" in reason
