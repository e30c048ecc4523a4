"""Never rebuild what already finished, and leave no orphans (issue #15, item 3-5).

A rollback keeps the images its deploy finished (AVAILABLE): they are parked
for the next deploy of the same resource to adopt, and any provider of the
library in the account collects them once their time is up. An image still
being made when the rollback reaches it is deleted as soon as the service
lets it: by the rollback's own Delete, or by the first provider to run after
it is done. A refused share fails the resource and keeps the image.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cdk_workspace_image.runtime import contract
from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CloudFormation, Deployment
from tests.rehearsal.conftest import (
    LongWait,
    Rehearsal,
    assert_nothing_scheduled,
    make_available_at,
)
from tests.rehearsal.embedded_aws import new_stack_id

BUNDLE = contract.BUNDLE_RESOURCE_TYPE
DAY = 24 * 3600


def tags_of(rehearsal: Rehearsal, image_id: str) -> dict[str, str]:
    return fake_workspaces.image_tags(image_id)


def first_deploy_that_rolls_back_after_the_image(rehearsal: Rehearsal) -> Deployment:
    """The example stack: the image becomes AVAILABLE, then its bundle is refused."""
    fake_workspaces.faults.inject(
        "CreateWorkspaceBundle", "ResourceLimitExceededException", "50 bundles at most"
    )
    deployment = rehearsal.cfn.deploy(rehearsal.stack, before_poll=make_available_at(1))
    assert deployment.status == "ROLLBACK_COMPLETE", deployment.events
    return deployment


def redeploy(rehearsal: Rehearsal, clock_offset: float = 0) -> CloudFormation:
    """The same template as a new stack of the same name (a first deploy that rolled
    back leaves a stack that must be deleted before the next deploy)."""
    stack = rehearsal.stack
    function = rehearsal.aws.deploy_function(
        stack.template, stack.cdk_out, stack.name, new_stack_id(stack.name)
    )
    cfn = CloudFormation(rehearsal.aws, function, stack_name=stack.name)
    cfn.resource_types.update(rehearsal.cfn.resource_types)
    cfn.clock_offset = clock_offset
    return cfn


def test_a_rollback_parks_the_image_its_deploy_finished(rehearsal: Rehearsal) -> None:
    # WHEN a first deploy rolls back after its image became AVAILABLE
    deployment = first_deploy_that_rolls_back_after_the_image(rehearsal)

    # THEN the rollback's Delete succeeds and the image is kept, parked for a week
    (image_id,) = rehearsal.aws.images()
    assert deployment.rollback[rehearsal.logical_id].status == "SUCCESS"
    assert rehearsal.aws.images()[image_id]["State"] == "AVAILABLE"
    assert contract.PARKED_TAG in tags_of(rehearsal, image_id)
    assert rehearsal.aws.parked_index()[image_id]["LogicalResourceId"] == rehearsal.logical_id
    assert [d["image_id"] for d in rehearsal.cfn.decisions("discard:parked")] == [image_id]
    assert_nothing_scheduled(rehearsal)


def test_the_next_deploy_adopts_the_parked_image_instead_of_making_it_again(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN a first deploy that rolled back after its image was finished
    first_deploy_that_rolls_back_after_the_image(rehearsal)
    (image_id,) = rehearsal.aws.images()
    creates_before = fake_workspaces.faults.calls["CreateWorkspaceImage"]

    # WHEN the stack is deployed again (a new stack of the same name), the bundle now allowed
    cfn = redeploy(rehearsal)
    deployment = cfn.deploy(rehearsal.stack)

    # THEN it succeeds with the same image: nothing is made again
    assert deployment.status == "CREATE_COMPLETE", deployment.events
    assert deployment.physical_id(rehearsal.logical_id) == image_id
    assert list(rehearsal.aws.images()) == [image_id]
    assert fake_workspaces.faults.calls["CreateWorkspaceImage"] == creates_before + 1
    assert [d["image_id"] for d in cfn.decisions("create:adopted")] == [image_id]
    # AND the image is the new stack's, and no longer parked
    tags = tags_of(rehearsal, image_id)
    assert tags[contract.OWNER_STACK_TAG] == cfn.stack_id
    assert contract.PARKED_TAG not in tags
    assert rehearsal.aws.parked_index() == {}


def test_a_parked_image_is_collected_by_any_provider_once_its_time_is_up(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN a parked image, whose stack is gone
    first_deploy_that_rolls_back_after_the_image(rehearsal)
    (image_id,) = rehearsal.aws.images()

    # WHEN another stack's provider serves a request six days later, then eight
    cfn = redeploy(rehearsal, clock_offset=rehearsal.cfn.clock_offset + 6 * DAY)
    cfn.request("Delete", "SomethingElse", {}, physical_id="not-an-image")
    kept = set(rehearsal.aws.images())
    cfn.clock_offset += 2 * DAY
    cfn.request("Delete", "SomethingElse", {}, physical_id="not-an-image")

    # THEN it is kept for its week, then deleted, and its index entry with it
    assert kept == {image_id}
    assert rehearsal.aws.images() == {}
    assert rehearsal.aws.parked_index() == {}
    assert [d["image_id"] for d in cfn.decisions("sweep:deleted")] == [image_id]


def test_an_import_still_running_at_rollback_leaves_no_orphan(
    source_rehearsal: Rehearsal,
) -> None:
    # GIVEN an image still PENDING when its first deploy rolls back (an import
    # takes hours): the rollback's Delete waits its hour, then answers
    rehearsal = source_rehearsal
    sources = set(rehearsal.aws.images())
    _, event = rehearsal.cfn.event("Create", rehearsal.logical_id, rehearsal.properties())
    rehearsal.cfn.invoke(event)
    (image_id,) = set(rehearsal.aws.images()) - sources
    fake_workspaces.set_stack_status(rehearsal.cfn.stack_id, "ROLLBACK_IN_PROGRESS")
    deleted = rehearsal.cfn.request(
        "Delete",
        rehearsal.logical_id,
        rehearsal.properties(),
        physical_id="not-known",
        max_polls=80,
    )
    assert deleted.status == "SUCCESS", deleted.reason
    assert image_id in rehearsal.aws.images()

    # WHEN the image is done later, and any provider runs (the stack, its
    # function and its role are gone with the rollback)
    fake_workspaces.finish_pending_images()
    cfn = redeploy(rehearsal, clock_offset=rehearsal.cfn.clock_offset + 3600)
    cfn.request("Delete", "SomethingElse", {}, physical_id="not-an-image")

    # THEN that provider deletes it: nothing is left
    assert set(rehearsal.aws.images()) == sources
    assert rehearsal.aws.parked_index() == {}


def test_a_refused_share_fails_with_the_services_words_and_keeps_the_image(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN WorkSpaces refuses the share once the image is AVAILABLE (BYOL
    # images, for one, can be shared only within the organization)
    def refuse_sharing(n: int) -> None:
        fake_workspaces.finish_pending_images()
        fake_workspaces.faults.inject(
            "UpdateWorkspaceImagePermission",
            "OperationNotSupportedException",
            "BYOL images can be shared only with BYOL accounts of the organization",
        )

    response = rehearsal.cfn.request(
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(ShareWithAccounts=["111122223333"]),
        before_poll=refuse_sharing,
    )

    # THEN the deploy fails with the service's words, naming the image it keeps
    assert response.status == "FAILED"
    assert "OperationNotSupportedException: BYOL images" in response.reason
    assert f"image {response.physical_id} is kept" in response.reason
    assert rehearsal.aws.images()[response.physical_id]["State"] == "AVAILABLE"
    # AND the rollback's Delete parks it instead of deleting it
    fake_workspaces.set_stack_status(rehearsal.cfn.stack_id, "ROLLBACK_IN_PROGRESS")
    rollback = rehearsal.cfn.request(
        "Delete",
        rehearsal.logical_id,
        rehearsal.properties(ShareWithAccounts=["111122223333"]),
        physical_id=response.physical_id,
    )
    assert rollback.status == "SUCCESS", rollback.reason
    assert response.physical_id in rehearsal.aws.parked_index()
    assert_nothing_scheduled(rehearsal)


def test_a_delete_that_is_not_a_rollback_still_deletes(rehearsal: Rehearsal) -> None:
    # GIVEN an image, and its stack being deleted on purpose
    created = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, rehearsal.properties(), before_poll=make_available_at(1)
    )
    fake_workspaces.set_stack_status(rehearsal.cfn.stack_id, "DELETE_IN_PROGRESS")

    deleted = rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=created.physical_id
    )

    assert deleted.status == "SUCCESS", deleted.reason
    assert rehearsal.aws.images() == {}
    assert rehearsal.aws.parked_index() == {}


def test_a_cancelled_replacement_on_the_wait_path_leaves_only_the_old_image(
    long_wait: LongWait,
) -> None:
    # GIVEN an image whose long wait is over
    rehearsal = long_wait.rehearsal
    old_props = rehearsal.properties()
    created = rehearsal.cfn.request("Create", rehearsal.logical_id, old_props)
    fake_workspaces.finish_pending_images()
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)))
    old_id = created.physical_id
    # AND a replacement that answers at once (its watcher waits for the new
    # image), cancelled before CloudFormation took that answer
    _, new_url = rehearsal.cfn.new_wait_handle()
    new_props: dict[str, Any] = {**rehearsal.properties(Name="golden-v2"), "WaitHandle": new_url}
    answered = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        new_props,
        physical_id=old_id,
        old_properties=old_props,
        max_polls=0,
    )
    assert answered.status == "SUCCESS" and answered.physical_id != old_id
    new_id = answered.physical_id

    # WHEN CloudFormation rolls back: an Update to the old properties, with the old id
    fake_workspaces.set_stack_status(rehearsal.cfn.stack_id, "UPDATE_ROLLBACK_IN_PROGRESS")
    rollback = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        old_props,
        physical_id=old_id,
        old_properties=new_props,
        before_poll=make_available_at(2),
    )

    # THEN the old image is the resource again; the new one is deleted once it
    # can be (the rollback's watcher sees to it), and no watcher or poll is left
    rehearsal.cfn.play_schedules(lambda: False, make_available_at(1))
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == old_id
    assert set(rehearsal.aws.images()) == {old_id}
    assert new_id not in rehearsal.aws.parked_index()
    assert_nothing_scheduled(rehearsal)


def test_a_rollback_never_makes_an_image_again(rehearsal: Rehearsal) -> None:
    # GIVEN version 2 replaced version 1, and version 1 was then deleted by hand
    old_props = rehearsal.properties()
    v1 = rehearsal.cfn.request(
        "Create", rehearsal.logical_id, old_props, before_poll=make_available_at(1)
    ).physical_id
    new_props = rehearsal.properties(Name="golden-v2")
    v2 = rehearsal.cfn.request(
        "Update",
        rehearsal.logical_id,
        new_props,
        physical_id=v1,
        old_properties=old_props,
        before_poll=make_available_at(1),
    ).physical_id
    rehearsal.aws.client("workspaces").delete_workspace_image(ImageId=v1)
    creates = fake_workspaces.faults.calls["CreateWorkspaceImage"]

    # WHEN another resource fails and CloudFormation rolls this one back to version 1
    fake_workspaces.set_stack_status(rehearsal.cfn.stack_id, "UPDATE_ROLLBACK_IN_PROGRESS")
    back = rehearsal.cfn.request(
        "Update", rehearsal.logical_id, old_props, physical_id=v2, old_properties=new_props
    )

    # THEN it fails saying what to do, and makes nothing (a new image of the
    # WorkSpace as it is now would not be version 1)
    assert back.status == "FAILED"
    assert "a rollback does not make an image again" in back.reason
    assert fake_workspaces.faults.calls["CreateWorkspaceImage"] == creates
    assert set(rehearsal.aws.images()) == {v2}


def park_by_hand(rehearsal: Rehearsal, name: str) -> str:
    """An image of the library's, parked and due, as a rollback leaves one."""
    image_id = fake_workspaces.seed_image(name=name)
    rehearsal.aws.client("workspaces").create_tags(
        ResourceId=image_id,
        Tags=[
            {"Key": contract.OWNER_STACK_TAG, "Value": rehearsal.cfn.stack_id},
            {"Key": contract.OWNER_LOGICAL_ID_TAG, "Value": "Gone"},
            {"Key": contract.PARKED_TAG, "Value": "2026-01-01T00:00:00Z"},
        ],
    )
    rehearsal.aws.client("ssm").put_parameter(
        Name=f"{contract.PARKED_PATH}/{image_id}",
        Value='{"Until": "2026-01-01T00:00:00Z", "StackId": "x", "LogicalResourceId": "Gone"}',
        Type="String",
    )
    return image_id


def test_a_parked_image_that_cannot_be_deleted_yet_holds_up_no_other(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN two parked images whose time is up, one of them used by a bundle
    in_use, free = park_by_hand(rehearsal, "in-use"), park_by_hand(rehearsal, "free")
    fake_workspaces.images_in_use.add(in_use)

    # WHEN a provider serves a request (and sweeps)
    rehearsal.cfn.request("Delete", "SomethingElse", {}, physical_id="not-an-image")

    # THEN the free one is deleted, and the other waits a day before it is tried again
    assert free not in rehearsal.aws.images()
    assert in_use in rehearsal.aws.images()
    until = rehearsal.aws.parked_index()[in_use]["Until"]
    assert until > datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [d["image_id"] for d in rehearsal.cfn.decisions("sweep:refused")] == [in_use]
