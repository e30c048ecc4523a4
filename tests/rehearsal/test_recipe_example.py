"""The example app's Image Builder path, deployed and destroyed as CloudFormation would.

Recipe -> AWS::ImageBuilder::Image -> ByolWorkspaceImage
(ImportCustomWorkspaceImage) -> WorkspaceBundle, in one stack. The rehearsal
takes Image Builder's own resources as made (their ARNs, in
cloudformation.NATIVE_ARNS) and plays the custom resources and the wait
condition of the 6-hour default timeout.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CloudFormation, SynthesizedStack, native_attributes
from tests.rehearsal.embedded_aws import EmbeddedAws

STACK = "WorkspaceImageFromRecipe"


def test_a_recipe_becomes_a_workspaces_image_and_a_bundle_in_one_deploy(
    embedded_aws: EmbeddedAws, recipe_cdk_out: Path
) -> None:
    # GIVEN the example's recipe stack, and an import that moves two stages a poll
    embedded_aws.reset()
    stack = SynthesizedStack.load(recipe_cdk_out, STACK)
    function = embedded_aws.deploy_function(stack.template, recipe_cdk_out, STACK)
    cfn = CloudFormation(embedded_aws, function, stack_name=STACK)

    # WHEN CloudFormation deploys it
    deployment = cfn.deploy(stack, before_poll=lambda n: fake_workspaces.advance_imports(2))

    # THEN the stack is complete, with one AVAILABLE image imported from the built image
    assert deployment.status == "CREATE_COMPLETE", deployment.events
    (image_id, image), *others = embedded_aws.images().items()
    assert others == []
    assert image["State"] == "AVAILABLE"
    (built,) = stack.logical_ids("AWS::ImageBuilder::Image")
    source = fake_workspaces.image_source(image_id)["ImageSource"]
    assert source == {"ImageBuildVersionArn": native_attributes(stack)[built]["Arn"]}
    # AND the bundle uses it
    (bundle,) = stack.logical_ids("Custom::WorkspaceBundle")
    assert deployment.responses[bundle].data["ImageId"] == image_id
    # AND each poll logged the import's stage and percentage as it moved
    polls = [
        json.loads(line[line.index("{") :])
        for line in cfn.logs().splitlines()
        if '"poll:' in line and "progress_percent" in line
    ]
    stages = [poll["stage"] for poll in polls]
    assert "INSTALLING_COMPONENTS" in stages or "GENERALIZING" in stages
    percents = [poll["progress_percent"] for poll in polls]
    assert percents == sorted(percents) and len(set(percents)) > 2

    # WHEN the stack is destroyed
    destroyed = cfn.destroy(stack, deployment)

    # THEN the bundle and the image are gone, and nothing polls
    assert all(response.status == "SUCCESS" for response in destroyed.values())
    assert embedded_aws.images() == {}
    assert embedded_aws.poll_rules() == []
