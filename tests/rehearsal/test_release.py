"""A monthly release as `cdk deploy --all` plays it: stack Golden makes the image,
stack Desktops bundles it, stack GoldenWest copies it to a second Region and
bundles the copy; version after version, and back (issue #17, docs/release.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CdkApp, Deployment, SynthesizedStack
from tests.rehearsal.conftest import (
    RELEASE_BUNDLE,
    RELEASE_VERSIONS,
    Rehearsal,
    make_available_at,
)
from tests.rehearsal.embedded_aws import REGION, SECOND_REGION, EmbeddedAws
from tests.rehearsal.test_least_privilege import granted_actions

V1, V2 = RELEASE_VERSIONS


def deploy(app: CdkApp, cdk_out: Path, **options: Any) -> dict[str, Deployment]:
    """`cdk deploy --all`; each new image is AVAILABLE at its wait's second poll."""
    return app.deploy(cdk_out, before_poll=make_available_at(2), **options)


def statuses(deployments: dict[str, Deployment]) -> dict[str, str]:
    return {name: deployment.status for name, deployment in deployments.items()}


def images_by_name(aws: EmbeddedAws, region: str) -> dict[str, str]:
    return {image["Name"]: image_id for image_id, image in aws.images(region).items()}


def bundle(aws: EmbeddedAws, region: str) -> dict[str, Any]:
    """The release's bundle in ``region``: its id and its image's."""
    (found,) = [
        bundle
        for bundle in aws.client("workspaces", region).describe_workspace_bundles()["Bundles"]
        if bundle["Name"] == RELEASE_BUNDLE
    ]
    return {"BundleId": found["BundleId"], "ImageId": found["ImageId"]}


def test_a_new_version_moves_every_consumer_to_it_and_keeps_the_previous_one(
    release_app: CdkApp, release_cdk_outs: dict[str, Path]
) -> None:
    # GIVEN the release deployed at version 1
    first = deploy(release_app, release_cdk_outs[V1])
    assert set(statuses(first).values()) == {"CREATE_COMPLETE"}, statuses(first)
    aws = release_app.aws
    east_bundle, west_bundle = bundle(aws, REGION), bundle(aws, SECOND_REGION)

    # WHEN version 2 is deployed
    second = deploy(release_app, release_cdk_outs[V2])

    # THEN every stack is updated; the order is the stacks' dependencies
    assert statuses(second) == {
        "Golden": "UPDATE_COMPLETE",
        "Desktops": "UPDATE_COMPLETE",
        "GoldenWest": "UPDATE_COMPLETE",
    }
    east, west = images_by_name(aws, REGION), images_by_name(aws, SECOND_REGION)
    # the bundle in the second stack moved to v2 in place (same bundle)
    assert bundle(aws, REGION) == {**east_bundle, "ImageId": east[f"golden-{V2}"]}
    # the copy in the second Region is of v2, and its bundle moved to it
    assert (
        fake_workspaces.image_source(west[f"golden-{V2}"])["SourceImageId"]
        == (east[f"golden-{V2}"])
    )
    assert bundle(aws, SECOND_REGION) == {**west_bundle, "ImageId": west[f"golden-{V2}"]}
    # the v1 image and its copy are kept (UpdateReplacePolicy Retain), nothing else
    assert set(east) == set(west) == {f"golden-{V1}", f"golden-{V2}"}
    assert all(image["State"] == "AVAILABLE" for image in aws.images(REGION).values())


def test_no_template_of_the_release_carries_an_export_an_import_or_a_cross_region_reader(
    release_cdk_outs: dict[str, Path],
) -> None:
    for cdk_out in release_cdk_outs.values():
        for template_file in cdk_out.glob("*.template.json"):
            text = template_file.read_text()
            template = json.loads(text)

            assert "Fn::ImportValue" not in text, template_file
            assert "CrossRegion" not in text, template_file
            assert not [out for out in template.get("Outputs", {}).values() if "Export" in out]


def test_going_back_to_the_previous_version_by_name_moves_the_bundles_back_and_rebuilds_nothing(
    release_app: CdkApp, release_cdk_outs: dict[str, Path]
) -> None:
    # GIVEN version 2 deployed after version 1, which was kept
    deploy(release_app, release_cdk_outs[V1])
    deploy(release_app, release_cdk_outs[V2])
    aws = release_app.aws
    east, west = images_by_name(aws, REGION), images_by_name(aws, SECOND_REGION)
    made = dict(fake_workspaces.faults.calls)

    # WHEN version 1's templates are deployed again (image_name set back)
    back = deploy(release_app, release_cdk_outs[V1])

    # THEN each stack is updated, and each bundle uses v1 again
    assert set(statuses(back).values()) == {"UPDATE_COMPLETE"}, statuses(back)
    assert bundle(aws, REGION)["ImageId"] == east[f"golden-{V1}"]
    assert bundle(aws, SECOND_REGION)["ImageId"] == west[f"golden-{V1}"]
    # AND nothing was rebuilt: the images are those there were, each adopted by name
    assert images_by_name(aws, REGION) == east
    assert images_by_name(aws, SECOND_REGION) == west
    for stack in ("Golden", "GoldenWest"):
        adopted = release_app.stacks[stack].decisions("create:adopted")
        assert [record["image_id"] for record in adopted] == [
            (east if stack == "Golden" else west)[f"golden-{V1}"]
        ]
    # the refused creates were the only image calls (the name is taken)
    calls = fake_workspaces.faults.calls
    assert calls["CreateWorkspaceImage"] - made.get("CreateWorkspaceImage", 0) == 1
    assert calls["CopyWorkspaceImage"] - made.get("CopyWorkspaceImage", 0) == 1


@pytest.mark.parametrize("consumer", ["Desktops", "GoldenWest"])
def test_a_consumer_deployed_before_the_image_it_uses_fails_saying_which_stack_comes_first(
    release_app: CdkApp, release_cdk_outs: dict[str, Path], consumer: str
) -> None:
    # WHEN only a consumer's stack is deployed (cdk deploy --exclusively NAME)
    result = deploy(release_app, release_cdk_outs[V1], exclusively=(consumer,))

    # THEN its first resource fails at once, with what to do, and nothing is left
    deployment = result[consumer]
    assert deployment.status == "ROLLBACK_COMPLETE"
    (response,) = deployment.responses.values()
    assert response.reason.startswith(
        f"image golden-{V1} not found in {REGION} among this account's images: deploy the "
        "stack that makes it first"
    )
    aws = release_app.aws
    assert aws.images(REGION) == aws.images(SECOND_REGION) == {}
    assert aws.client("workspaces").describe_workspace_bundles()["Bundles"] == []


def test_going_back_adopts_the_kept_copy_even_when_its_source_version_is_gone(
    release_app: CdkApp, release_cdk_outs: dict[str, Path]
) -> None:
    # GIVEN version 2 deployed after version 1, and the v1 source image deleted by hand
    deploy(release_app, release_cdk_outs[V1])
    deploy(release_app, release_cdk_outs[V2])
    aws = release_app.aws
    west = images_by_name(aws, SECOND_REGION)
    aws.client("workspaces").delete_workspace_image(
        ImageId=images_by_name(aws, REGION)[f"golden-{V1}"]
    )

    # WHEN only the second Region's stack goes back to version 1
    back = deploy(release_app, release_cdk_outs[V1], exclusively=("GoldenWest",))

    # THEN its copy of v1, still there, is adopted and bundled again
    assert statuses(back) == {"GoldenWest": "UPDATE_COMPLETE"}
    assert bundle(aws, SECOND_REGION)["ImageId"] == west[f"golden-{V1}"]
    assert images_by_name(aws, SECOND_REGION) == west


def test_a_consumer_whose_update_fails_rolls_back_to_the_previous_version(
    release_app: CdkApp, release_cdk_outs: dict[str, Path]
) -> None:
    # GIVEN the release at version 1, and WorkSpaces refusing the next bundle update
    deploy(release_app, release_cdk_outs[V1])
    aws = release_app.aws
    v1_bundle = bundle(aws, REGION)
    fake_workspaces.faults.inject(
        "UpdateWorkspaceBundle", "InvalidResourceStateException", "The bundle is busy."
    )

    # WHEN version 2 is deployed
    result = deploy(release_app, release_cdk_outs[V2])

    # THEN the image's stack is updated; the bundles' stack rolls back to v1,
    # which is still there; the stacks after it are not deployed
    assert statuses(result) == {
        "Golden": "UPDATE_COMPLETE",
        "Desktops": "UPDATE_ROLLBACK_COMPLETE",
    }
    desktops = result["Desktops"]
    (failed,) = desktops.updates.values()
    assert "InvalidResourceStateException: The bundle is busy." in failed.reason
    (rolled_back,) = desktops.rollback.values()
    assert rolled_back.status == "SUCCESS"
    assert bundle(aws, REGION) == v1_bundle
    assert desktops.events[-1].startswith("UPDATE_COMPLETE     Custom::WorkspaceBundle")


def test_each_stacks_function_is_granted_what_the_release_calls(
    release_app: CdkApp, release_cdk_outs: dict[str, Path]
) -> None:
    # WHEN the release goes to version 2 and back
    for version in (V1, V2, V1):
        deploy(release_app, release_cdk_outs[version])

    # THEN each stack's role grants every call its function made (the look-ups
    # by name in another Region among them)
    for name, cfn in release_app.stacks.items():
        called = {call for invocation in cfn.invocations for call in invocation.api_calls}
        assert called <= granted_actions(release_app.templates[name].template), name
    copies = release_app.stacks["GoldenWest"].invocations
    assert "workspaces:CopyWorkspaceImage" in {call for i in copies for call in i.api_calls}


# --- one stack: the example app ----------------------------------------------------------


def test_in_one_stack_with_destroy_the_bundle_moves_then_the_replaced_image_is_deleted(
    rehearsal: Rehearsal, example_next_version_cdk_out: Path
) -> None:
    # GIVEN the example app (removal_policy=destroy) deployed
    cfn = rehearsal.cfn
    first = cfn.deploy(rehearsal.stack, before_poll=make_available_at(2))
    assert first.status == "CREATE_COMPLETE"
    (image_id,) = rehearsal.stack.image_resources()
    (bundle_id,) = rehearsal.stack.logical_ids("Custom::WorkspaceBundle")
    old_image = first.physical_id(image_id)

    # WHEN its next version (a new image_name) is deployed
    second = cfn.update(
        rehearsal.stack,
        SynthesizedStack.load(example_next_version_cdk_out, rehearsal.stack.name),
        first,
        before_poll=make_available_at(2),
    )

    # THEN the image is replaced, the same bundle moves to it, and the cleanup
    # deletes the old image (UpdateReplacePolicy Delete), after the bundle moved
    assert second.status == "UPDATE_COMPLETE", second.events
    new_image = second.physical_id(image_id)
    assert new_image != old_image
    assert second.physical_id(bundle_id) == first.physical_id(bundle_id)
    assert bundle(rehearsal.aws, REGION)["ImageId"] == new_image
    assert second.cleanup[image_id].status == "SUCCESS"
    assert set(rehearsal.aws.images()) == {new_image}
    assert second.events.index(
        f"UPDATE_COMPLETE     Custom::WorkspaceBundle  {bundle_id}"
    ) < second.events.index(f"DELETE_COMPLETE     Custom::WorkspaceImage  {image_id}")
