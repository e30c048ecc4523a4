"""The provider's IAM grants exactly what the handler calls.

Every lifecycle path runs against the bundled asset while botocore's events
record each AWS call the handler makes; the synthesized role must grant each
of them and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.rehearsal import fake_workspaces
from tests.rehearsal.conftest import (
    SOURCE_CASES,
    LongWait,
    Rehearsal,
    _source_rehearsal,
    make_available_at,
)
from tests.rehearsal.embedded_aws import EmbeddedAws

# The Lambda service writes the function's logs with these, not the handler.
RUNTIME_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}


def granted_actions(template: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            actions.update(listed if isinstance(listed, list) else [listed])
    return actions


def available_at_next_poll(n: int) -> None:
    fake_workspaces.finish_pending_images()


def every_path(rehearsal: Rehearsal) -> set[str]:
    cfn, logical_id = rehearsal.cfn, rehearsal.logical_id
    old = rehearsal.properties(
        Tags=[{"Key": "a", "Value": "1"}], ShareWithAccounts=["111122223333"]
    )
    created = cfn.request("Create", logical_id, old, before_poll=available_at_next_poll)
    retagged = rehearsal.properties(Tags=[{"Key": "b", "Value": "2"}])
    cfn.request("Update", logical_id, retagged, physical_id=created.physical_id, old_properties=old)
    renamed = rehearsal.properties(Name="golden-v2", Tags=[{"Key": "b", "Value": "2"}])
    replaced = cfn.request(
        "Update",
        logical_id,
        renamed,
        physical_id=created.physical_id,
        old_properties=retagged,
        before_poll=available_at_next_poll,
    )
    # The bundle of the new image, swapped to the first image, then deleted.
    (bundle_id,) = rehearsal.stack.logical_ids("Custom::WorkspaceBundle")
    bundle_props = rehearsal.properties_of(bundle_id, attributes={logical_id: replaced.data})
    bundle = cfn.request("Create", bundle_id, bundle_props, resource_type="Custom::WorkspaceBundle")
    swapped = {**bundle_props, "ImageId": created.physical_id}
    cfn.request(
        "Update",
        bundle_id,
        swapped,
        physical_id=bundle.physical_id,
        old_properties=bundle_props,
        resource_type="Custom::WorkspaceBundle",
    )
    cfn.request(
        "Delete",
        bundle_id,
        swapped,
        physical_id=bundle.physical_id,
        resource_type="Custom::WorkspaceBundle",
    )
    cfn.request("Delete", logical_id, retagged, physical_id=created.physical_id)
    # A Delete that never learned the image id finds it by name and owner tags.
    cfn.request("Delete", logical_id, renamed, physical_id="not-an-image")
    assert replaced.physical_id not in rehearsal.aws.images()
    return {call for invocation in cfn.invocations for call in invocation.api_calls}


def test_the_role_grants_exactly_what_the_handler_calls(rehearsal: Rehearsal) -> None:
    called = every_path(rehearsal)

    assert {"workspaces:CreateWorkspaceImage", "workspaces:UpdateWorkspaceBundle"} <= called
    assert granted_actions(rehearsal.stack.template) - RUNTIME_ACTIONS == called


def test_the_long_wait_needs_nothing_more(long_wait: LongWait) -> None:
    rehearsal = long_wait.rehearsal
    created = rehearsal.cfn.request("Create", rehearsal.logical_id, rehearsal.properties())
    available_at_next_poll(1)
    rehearsal.cfn.play_schedules(lambda: bool(rehearsal.cfn.signals(long_wait.handle_key)))
    rehearsal.cfn.request(
        "Delete", rehearsal.logical_id, rehearsal.properties(), physical_id=created.physical_id
    )

    called = {call for invocation in rehearsal.cfn.invocations for call in invocation.api_calls}
    assert "events:PutRule" in called
    assert called <= granted_actions(rehearsal.stack.template)


# Granted for WorkSpaces to act on the caller's behalf, never called by the handler:
# it shares the source AMI with itself, and reads the Image Builder image
# (docs/assumptions.md says what this rests on).
ON_BEHALF = {"ec2:DescribeImages", "ec2:ModifyImageAttribute", "imagebuilder:GetImage"}


def test_every_source_is_granted_what_it_calls_and_calls_what_it_is_granted(
    embedded_aws: EmbeddedAws, sources_cdk_out: Path
) -> None:
    called: set[str] = set()
    for case in SOURCE_CASES:
        rehearsal = _source_rehearsal(embedded_aws, sources_cdk_out, case)
        cfn, logical_id = rehearsal.cfn, rehearsal.logical_id
        old = rehearsal.properties(
            Tags=[{"Key": "a", "Value": "1"}], ShareWithAccounts=["111122223333"]
        )
        # PENDING at the first poll, so that an import's progress is read.
        created = cfn.request("Create", logical_id, old, before_poll=make_available_at(2))
        assert created.status == "SUCCESS", (case, created.reason)
        new = rehearsal.properties(Tags=[{"Key": "b", "Value": "2"}])
        cfn.request("Update", logical_id, new, physical_id=created.physical_id, old_properties=old)
        cfn.request("Delete", logical_id, new, physical_id=created.physical_id)
        called |= {call for invocation in cfn.invocations for call in invocation.api_calls}

    granted = granted_actions(rehearsal.stack.template)
    assert called <= granted
    source_actions = {
        "workspaces:CopyWorkspaceImage",
        "workspaces:CreateUpdatedWorkspaceImage",
        "workspaces:ImportWorkspaceImage",
        "workspaces:ImportCustomWorkspaceImage",
        "workspaces:DescribeCustomWorkspaceImageImport",
    }
    assert source_actions <= called
    # Nothing granted beyond what some path calls, what WorkSpaces does on the
    # caller's behalf, adoption (DescribeTags, which these paths do not take),
    # and what a WorkSpace's image and bundles (none in this stack) call.
    unused = granted - called - RUNTIME_ACTIONS - ON_BEHALF
    assert unused <= {
        "workspaces:DescribeTags",
        "workspaces:CreateWorkspaceImage",
        "workspaces:CreateWorkspaceBundle",
        "workspaces:UpdateWorkspaceBundle",
        "workspaces:DeleteWorkspaceBundle",
        "workspaces:DescribeWorkspaceBundles",
    }
