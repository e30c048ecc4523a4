"""`make demo`: synthesize the example app with the CDK CLI, then rehearse
`cdk deploy` and `cdk destroy` of its image and bundle against the embedded AWS.

The source WorkSpace is prepared in the embedded AWS first, because its id
goes into the template (`-c workspace_id=...`), exactly as for a real deploy.
The image then goes PENDING -> AVAILABLE while EventBridge's polls (played
here, a minute of injected clock each) invoke the function bundled in cdk.out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CloudFormation, SynthesizedStack
from tests.rehearsal.embedded_aws import EmbeddedAws

ROOT = Path(__file__).resolve().parents[2]
STACK = "WorkspaceImageExample"
IMAGE = "Custom::WorkspaceImage"
BUNDLE = "Custom::WorkspaceBundle"
POLLS_WHILE_PENDING = 3


def say(text: str = "") -> None:
    print(text, flush=True)


def synth(workspace_id: str, cdk_out: Path) -> None:
    say(f"$ cdk synth -c workspace_id={workspace_id} -c removal_policy=destroy")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "cdk"),
            "synth",
            "--quiet",
            "--no-notices",
            "--output",
            str(cdk_out),
            "-c",
            f"workspace_id={workspace_id}",
            "-c",
            "removal_policy=destroy",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )


def progress(aws: EmbeddedAws, cfn: CloudFormation):
    def before_poll(n: int) -> None:
        (image_id,) = aws.images()
        if n > POLLS_WHILE_PENDING:
            fake_workspaces.set_image_state(image_id, "AVAILABLE")
        state = aws.images()[image_id]["State"]
        say(f"  +{cfn.clock_offset / 60:.0f} min  EventBridge poll {n}: {image_id} is {state}")

    return before_poll


def main() -> int:
    aws = EmbeddedAws().start()
    try:
        workspace_id = fake_workspaces.seed_workspace("ws-demo00001")
        say(f"Embedded AWS at {aws.url}; prepared source WorkSpace {workspace_id} (AVAILABLE)")
        cdk_out = ROOT / "cdk.out"
        synth(workspace_id, cdk_out)
        stack = SynthesizedStack.load(cdk_out, STACK)
        function = aws.deploy_function(stack.template, cdk_out, STACK)
        say(f"Provider function {function.name} runs {function.asset_dir.relative_to(ROOT)}")
        cfn = CloudFormation(aws, function, stack_name=STACK)
        (image_lid,) = stack.image_resources()
        (bundle_lid,) = stack.logical_ids(BUNDLE)
        image_props = _props(stack, image_lid, function.arn)

        say()
        say(f"{STACK}: deploying... (rehearsal of cdk deploy)")
        say(f"  CREATE_IN_PROGRESS  {IMAGE}  {image_lid}")
        image = cfn.request("Create", image_lid, image_props, before_poll=progress(aws, cfn))
        if not _complete("CREATE", IMAGE, image_lid, image.status, image.reason):
            return 1
        # The bundle refers to the image's id, so CloudFormation creates it next.
        bundle_props = _props(stack, bundle_lid, function.arn, {image_lid: image.data})
        say(f"  CREATE_IN_PROGRESS  {BUNDLE}  {bundle_lid}")
        bundle = cfn.request("Create", bundle_lid, bundle_props, resource_type=BUNDLE)
        if not _complete("CREATE", BUNDLE, bundle_lid, bundle.status, bundle.reason):
            return 1
        say()
        say(f" ✅  {STACK}")
        say()
        say("Outputs:")
        say(f"{STACK}.BundleId = {bundle.data['BundleId']}")
        say(f"{STACK}.ImageId = {image.data['ImageId']}")

        say()
        say(f"{STACK}: destroying... (rehearsal of cdk destroy: the bundle first)")
        deleted = cfn.request(
            "Delete", bundle_lid, bundle_props, physical_id=bundle.physical_id, resource_type=BUNDLE
        )
        if not _complete("DELETE", BUNDLE, bundle_lid, deleted.status, deleted.reason):
            return 1
        deleted = cfn.request("Delete", image_lid, image_props, physical_id=image.physical_id)
        if not _complete("DELETE", IMAGE, image_lid, deleted.status, deleted.reason):
            return 1
        if aws.images() or aws.poll_rules():
            say("  something was left behind")
            return 1
        say(f" ✅  {STACK}: destroyed; no bundle, image or poll schedule left")
        return 0
    finally:
        aws.stop()


def _props(
    stack: SynthesizedStack,
    logical_id: str,
    function_arn: str,
    attributes: dict[str, dict[str, str]] | None = None,
) -> dict[str, object]:
    props = stack.properties(logical_id, function_arn, attributes=attributes)
    props.pop("ServiceToken")
    return props


def _complete(action: str, resource_type: str, logical_id: str, status: str, reason: str) -> bool:
    if status != "SUCCESS":
        say(f"  {action}_FAILED       {resource_type}  {logical_id}  {reason}")
        return False
    say(f"  {action}_COMPLETE     {resource_type}  {logical_id}")
    return True


if __name__ == "__main__":
    sys.exit(main())
