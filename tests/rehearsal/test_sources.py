"""Every lifecycle case of WorkspaceImage, for each other way of making an image.

CopyWorkspaceImage (WorkspaceImageCopy), CreateUpdatedWorkspaceImage
(UpdatedWorkspaceImage), ImportWorkspaceImage and ImportCustomWorkspaceImage
(ByolWorkspaceImage) share one lifecycle: each test here runs once per
source (``source_case``), against the asset bundled in cdk.out. The tests
after them are the sources' own: the stages of an import, and a copy across
Regions and of a shared image; an updated image with nothing to update is
test_updated_image.py's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import (
    SOURCE_CASES,
    LongWait,
    Rehearsal,
    SourceCase,
    _source_rehearsal,
    assert_nothing_scheduled,
    create_available,
    make_available_at,
)
from tests.rehearsal.embedded_aws import ACCOUNT_ID, REGION, EmbeddedAws


def made(rehearsal: Rehearsal) -> dict[str, dict[str, Any]]:
    """The images in this Region that the resource made (by its owner tags), not the
    sources the test seeded."""
    return {
        key: value
        for key, value in rehearsal.aws.images().items()
        if fake_workspaces.image_tags(key).get("cdk-workspace-image:logical-id")
        == rehearsal.logical_id
    }


def break_pending(rehearsal: Rehearsal) -> None:
    """Every PENDING image the resource made fails, as its source's call reports it."""
    for image_id, image in made(rehearsal).items():
        if image["State"] != "PENDING":
            continue
        if rehearsal.stack.template["Resources"][rehearsal.logical_id]["Properties"].get(
            "InfrastructureConfigurationArn"
        ):
            fake_workspaces.fail_import(image_id, "ImageBuilderFailure", "component install broke")
        else:
            fake_workspaces.set_image_state(
                image_id, "ERROR", error_code="Boom", error_message="it broke"
            )


# --- Create -------------------------------------------------------------------------


def test_create_waits_for_available_and_answers_with_the_image_id(
    source_rehearsal: Rehearsal,
) -> None:
    response = create_available(source_rehearsal)

    (image_id,) = made(source_rehearsal)
    assert response.physical_id == image_id
    assert response.data["ImageId"] == image_id
    assert response.data["Name"].endswith("-example")
    assert made(source_rehearsal)[image_id]["State"] == "AVAILABLE"
    polls = [i for i in source_rehearsal.cfn.invocations if i.scheduled]
    assert len(polls) == 2
    assert_nothing_scheduled(source_rehearsal)


def test_create_starts_the_image_from_its_source(
    source_rehearsal: Rehearsal, source_case: SourceCase
) -> None:
    create_available(source_rehearsal)

    (image_id,) = made(source_rehearsal)
    recorded = fake_workspaces.image_source(image_id)
    props = source_rehearsal.properties()
    for key in ("SourceImageId", "SourceRegion", "Ec2ImageId", "ImageBuildVersionArn"):
        if key in props:
            assert json.dumps(props[key]) in json.dumps(recorded), (key, recorded)


def test_create_tags_the_image_with_its_owner_and_the_users_tags(
    source_rehearsal: Rehearsal,
) -> None:
    response = create_available(source_rehearsal, Tags=[{"Key": "team", "Value": "euc"}])

    assert fake_workspaces.image_tags(response.physical_id) == {
        "team": "euc",
        "cdk-workspace-image:stack-id": source_rehearsal.cfn.stack_id,
        "cdk-workspace-image:logical-id": source_rehearsal.logical_id,
    }


def test_a_failed_image_fails_with_the_services_words_and_is_removed(
    source_rehearsal: Rehearsal,
) -> None:
    response = source_rehearsal.cfn.request(
        "Create",
        source_rehearsal.logical_id,
        source_rehearsal.properties(),
        before_poll=lambda n: break_pending(source_rehearsal),
    )

    assert response.status == "FAILED"
    assert "it broke" in response.reason or "component install broke" in response.reason
    assert response.physical_id.startswith("wsi-")
    assert made(source_rehearsal) == {}
    assert_nothing_scheduled(source_rehearsal)
    delete = source_rehearsal.cfn.request(
        "Delete",
        source_rehearsal.logical_id,
        source_rehearsal.properties(),
        physical_id=response.physical_id,
    )
    assert delete.status == "SUCCESS"


def test_a_poll_after_the_deadline_fails_and_the_rollback_deletes_the_image(
    source_rehearsal: Rehearsal,
) -> None:
    props = source_rehearsal.properties(TimeoutSeconds="300")

    response = source_rehearsal.cfn.request(
        "Create", source_rehearsal.logical_id, props, max_polls=20
    )

    assert response.status == "FAILED"
    assert response.reason.startswith("timed out")
    assert response.physical_id.startswith("wsi-")
    assert_nothing_scheduled(source_rehearsal)
    deleted = source_rehearsal.cfn.request(
        "Delete",
        source_rehearsal.logical_id,
        props,
        physical_id=response.physical_id,
        before_poll=make_available_at(2),
    )
    assert deleted.status == "SUCCESS", deleted.reason
    assert made(source_rehearsal) == {}


def test_a_repeated_create_adopts_its_own_image(source_rehearsal: Rehearsal) -> None:
    request_id, event = source_rehearsal.cfn.event(
        "Create", source_rehearsal.logical_id, source_rehearsal.properties()
    )
    source_rehearsal.cfn.invoke(event)
    source_rehearsal.cfn.invoke(json.loads(json.dumps(event)))

    (image_id,) = made(source_rehearsal)
    fake_workspaces.finish_pending_images()
    source_rehearsal.cfn.fire()

    assert list(made(source_rehearsal)) == [image_id]
    response = source_rehearsal.cfn.response(request_id)
    assert (response.status, response.physical_id) == ("SUCCESS", image_id)
    assert_nothing_scheduled(source_rehearsal)


def test_a_name_held_by_someone_elses_image_fails_clearly_and_leaves_it_alone(
    source_rehearsal: Rehearsal,
) -> None:
    name = source_rehearsal.properties()["Name"]
    other = fake_workspaces.seed_image(name=name)

    response = source_rehearsal.cfn.request(
        "Create", source_rehearsal.logical_id, source_rehearsal.properties()
    )

    assert response.status == "FAILED"
    assert "already exists" in response.reason
    assert other in response.reason
    assert other in source_rehearsal.aws.images()
    assert made(source_rehearsal) == {}
    assert_nothing_scheduled(source_rehearsal)


def test_bad_input_fails_at_once_and_leaves_nothing_behind(
    source_rehearsal: Rehearsal, source_case: SourceCase
) -> None:
    overrides, expected = source_case.bad_input

    response = source_rehearsal.cfn.request(
        "Create", source_rehearsal.logical_id, source_rehearsal.properties(**overrides)
    )

    assert response.status == "FAILED"
    assert expected in response.reason
    assert len(response.reason) <= 256
    assert made(source_rehearsal) == {}
    assert_nothing_scheduled(source_rehearsal)
    delete = source_rehearsal.cfn.request(
        "Delete",
        source_rehearsal.logical_id,
        source_rehearsal.properties(**overrides),
        physical_id=response.physical_id,
    )
    assert delete.status == "SUCCESS"


def test_a_lasting_denial_of_the_sources_call_names_it(source_rehearsal: Rehearsal) -> None:
    action = source_rehearsal.stack.template["Resources"][source_rehearsal.logical_id]["Type"]
    call = {
        "Custom::WorkspaceImageCopy": "CopyWorkspaceImage",
        "Custom::WorkspaceImageUpdate": "CreateUpdatedWorkspaceImage",
    }.get(action) or (
        "ImportWorkspaceImage"
        if "IngestionProcess" in source_rehearsal.properties()
        else "ImportCustomWorkspaceImage"
    )
    fake_workspaces.faults.deny(call, float("inf"))

    response = source_rehearsal.cfn.request(
        "Create", source_rehearsal.logical_id, source_rehearsal.properties()
    )

    assert response.status == "FAILED"
    assert response.reason.startswith(f"{call} on ")
    assert "grant it to the provider function's role" in response.reason
    assert made(source_rehearsal) == {}


# --- Update -------------------------------------------------------------------------


def test_a_tag_change_updates_tags_in_place_without_waiting(source_rehearsal: Rehearsal) -> None:
    old_props = source_rehearsal.properties(Tags=[{"Key": "team", "Value": "euc"}])
    created = create_available(source_rehearsal, Tags=[{"Key": "team", "Value": "euc"}])
    new_props = source_rehearsal.properties(Tags=[{"Key": "team", "Value": "vdi"}])
    before = len(source_rehearsal.cfn.invocations)

    response = source_rehearsal.cfn.request(
        "Update",
        source_rehearsal.logical_id,
        new_props,
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    assert response.status == "SUCCESS"
    assert response.physical_id == created.physical_id
    assert len(source_rehearsal.cfn.invocations) == before + 1
    assert fake_workspaces.image_tags(created.physical_id)["team"] == "vdi"
    assert list(made(source_rehearsal)) == [created.physical_id]


def test_a_new_source_and_name_make_a_new_image_and_the_cleanup_removes_the_old(
    source_rehearsal: Rehearsal, source_case: SourceCase
) -> None:
    old_props = source_rehearsal.properties()
    created = create_available(source_rehearsal)
    new_props = source_rehearsal.properties(Name="renamed-v2", **source_case.new_source())

    response = source_rehearsal.cfn.request(
        "Update",
        source_rehearsal.logical_id,
        new_props,
        physical_id=created.physical_id,
        old_properties=old_props,
        before_poll=make_available_at(1),
    )

    assert response.status == "SUCCESS", response.reason
    assert response.physical_id != created.physical_id
    assert response.data["Name"] == "renamed-v2"
    cleanup = source_rehearsal.cfn.request(
        "Delete", source_rehearsal.logical_id, old_props, physical_id=created.physical_id
    )
    assert cleanup.status == "SUCCESS"
    assert created.physical_id not in source_rehearsal.aws.images()
    assert response.physical_id in source_rehearsal.aws.images()
    assert_nothing_scheduled(source_rehearsal)


def test_a_new_source_that_keeps_the_name_fails_and_keeps_the_old_image(
    source_rehearsal: Rehearsal, source_case: SourceCase
) -> None:
    old_props = source_rehearsal.properties()
    created = create_available(source_rehearsal)

    response = source_rehearsal.cfn.request(
        "Update",
        source_rehearsal.logical_id,
        source_rehearsal.properties(**source_case.new_source()),
        physical_id=created.physical_id,
        old_properties=old_props,
    )

    assert response.status == "FAILED"
    assert "change image_name" in response.reason
    assert response.physical_id == created.physical_id
    assert list(made(source_rehearsal)) == [created.physical_id]
    assert_nothing_scheduled(source_rehearsal)


def test_a_replacement_that_breaks_is_removed_and_the_rollback_keeps_the_old(
    source_rehearsal: Rehearsal, source_case: SourceCase
) -> None:
    old_props = source_rehearsal.properties()
    created = create_available(source_rehearsal)
    new_props = source_rehearsal.properties(Name="renamed-v2", **source_case.new_source())

    failed = source_rehearsal.cfn.request(
        "Update",
        source_rehearsal.logical_id,
        new_props,
        physical_id=created.physical_id,
        old_properties=old_props,
        before_poll=lambda n: break_pending(source_rehearsal),
    )
    assert failed.status == "FAILED"
    assert list(made(source_rehearsal)) == [created.physical_id]

    rollback = source_rehearsal.cfn.request(
        "Update",
        source_rehearsal.logical_id,
        old_props,
        physical_id=failed.physical_id,
        old_properties=new_props,
    )
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == created.physical_id
    assert list(made(source_rehearsal)) == [created.physical_id]
    assert_nothing_scheduled(source_rehearsal)


# --- sharing and Delete ---------------------------------------------------------------


def test_shares_once_available_and_unshares_before_the_delete(
    source_rehearsal: Rehearsal,
) -> None:
    props = source_rehearsal.properties(ShareWithAccounts=["111122223333"])
    created = create_available(source_rehearsal, ShareWithAccounts=["111122223333"])
    workspaces = source_rehearsal.aws.client("workspaces")
    shared = workspaces.describe_workspace_image_permissions(ImageId=created.physical_id)
    assert [p["SharedAccountId"] for p in shared["ImagePermissions"]] == ["111122223333"]

    deleted = source_rehearsal.cfn.request(
        "Delete", source_rehearsal.logical_id, props, physical_id=created.physical_id
    )

    assert deleted.status == "SUCCESS", deleted.reason
    assert made(source_rehearsal) == {}


def test_delete_removes_the_image_and_a_second_delete_still_succeeds(
    source_rehearsal: Rehearsal,
) -> None:
    created = create_available(source_rehearsal)

    responses = [
        source_rehearsal.cfn.request(
            "Delete",
            source_rehearsal.logical_id,
            source_rehearsal.properties(),
            physical_id=created.physical_id,
        )
        for _ in range(2)
    ]

    assert [r.status for r in responses] == ["SUCCESS", "SUCCESS"]
    assert made(source_rehearsal) == {}


def test_delete_during_a_wait_removes_the_schedule_and_the_image(
    source_rehearsal: Rehearsal,
) -> None:
    _, event = source_rehearsal.cfn.event(
        "Create", source_rehearsal.logical_id, source_rehearsal.properties()
    )
    source_rehearsal.cfn.invoke(event)
    assert len(made(source_rehearsal)) == 1

    response = source_rehearsal.cfn.request(
        "Delete",
        source_rehearsal.logical_id,
        source_rehearsal.properties(),
        physical_id="ImageSources-made-up-1A2B3C",
        before_poll=make_available_at(2),
    )

    assert response.status == "SUCCESS"
    assert_nothing_scheduled(source_rehearsal)
    assert made(source_rehearsal) == {}


def test_a_wait_condition_waits_past_the_hour_and_ready_answers_with_the_id(
    long_source_wait: LongWait,
) -> None:
    rehearsal = long_source_wait.rehearsal
    created = rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties())
    assert created.status == "SUCCESS", created.reason
    assert rehearsal.cfn.signals(long_source_wait.handle_key) == []

    fake_workspaces.finish_pending_images()
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.cfn.signals(long_source_wait.handle_key)))

    (signal,) = rehearsal.cfn.signals(long_source_wait.handle_key)
    assert signal["Status"] == "SUCCESS"
    assert signal["Data"] == created.physical_id
    assert_nothing_scheduled(rehearsal)


# --- what each source does of its own ------------------------------------------------


def test_a_copy_from_another_region_is_made_here_and_owned_here(
    embedded_aws: EmbeddedAws, sources_cdk_out: Path
) -> None:
    rehearsal = copy_rehearsal(embedded_aws, sources_cdk_out)
    source = rehearsal.overrides["SourceImageId"]

    response = create_available(rehearsal)

    assert response.physical_id != source
    copy = embedded_aws.images()[response.physical_id]
    assert copy["OwnerAccountId"] == ACCOUNT_ID
    # The source stays where it was.
    assert source in embedded_aws.images(fake_workspaces.SECOND_REGION)
    assert source not in embedded_aws.images()


def test_a_copy_of_an_image_shared_with_this_account_can_be_bundled(
    embedded_aws: EmbeddedAws, sources_cdk_out: Path
) -> None:
    rehearsal = copy_rehearsal(embedded_aws, sources_cdk_out)
    shared = fake_workspaces.seed_image(
        owner="111122223333", name="their-golden", shared_with=[ACCOUNT_ID]
    )

    response = create_available(rehearsal, SourceImageId=shared, SourceRegion=REGION)

    assert response.status == "SUCCESS"
    bundle = embedded_aws.client("workspaces").create_workspace_bundle(
        BundleName="copied-standard",
        BundleDescription="bundle of the copy",
        ImageId=response.physical_id,
        ComputeType={"Name": "STANDARD"},
        UserStorage={"Capacity": "50"},
        RootStorage={"Capacity": "80"},
    )
    assert bundle["WorkspaceBundle"]["ImageId"] == response.physical_id


def test_a_copy_of_an_image_not_shared_with_this_account_fails_with_the_services_words(
    embedded_aws: EmbeddedAws, sources_cdk_out: Path
) -> None:
    rehearsal = copy_rehearsal(embedded_aws, sources_cdk_out)
    private = fake_workspaces.seed_image(owner="111122223333", name="their-private")

    response = rehearsal.cfn.request(
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(SourceImageId=private, SourceRegion=REGION),
    )

    assert response.status == "FAILED"
    assert response.reason.startswith("CopyWorkspaceImage failed: ResourceNotFoundException")
    assert made(rehearsal) == {}
    assert_nothing_scheduled(rehearsal)


def test_an_import_logs_its_stage_and_percentage_at_each_poll(
    embedded_aws: EmbeddedAws, sources_cdk_out: Path
) -> None:
    rehearsal = _source_rehearsal(embedded_aws, sources_cdk_out, case("CustomImport"))

    response = rehearsal.cfn.request(
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(),
        before_poll=lambda n: fake_workspaces.advance_imports(1),
    )

    assert response.status == "SUCCESS", response.reason
    polls = [
        json.loads(line[line.index("{") :])
        for line in rehearsal.cfn.logs().splitlines()
        if '"poll:wait"' in line
    ]
    # One stage on before each poll: the log follows the import as it moves.
    stages = [poll["stage"] for poll in polls]
    assert stages[:3] == ["IN_PROGRESS", "PROCESSING_SOURCE_IMAGE", "IMAGE_TESTING_START"]
    percents = [poll["progress_percent"] for poll in polls]
    assert percents == sorted(percents) and percents[-1] > percents[0]


def test_a_failed_import_reports_the_imports_error_details(
    embedded_aws: EmbeddedAws, sources_cdk_out: Path
) -> None:
    rehearsal = _source_rehearsal(embedded_aws, sources_cdk_out, case("CustomImport"))

    def fail(n: int) -> None:
        for image_id in made(rehearsal):
            fake_workspaces.fail_import(image_id, "ComponentFailed", "apps step exited with 1")

    response = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=fail
    )

    assert response.status == "FAILED"
    assert "failed: ComponentFailed: apps step exited with 1" in response.reason
    assert made(rehearsal) == {}


def copy_rehearsal(aws: EmbeddedAws, cdk_out: Path) -> Rehearsal:
    return _source_rehearsal(aws, cdk_out, case("Copy"))


def case(construct_id: str) -> SourceCase:
    return next(c for c in SOURCE_CASES if c.construct_id == construct_id)
