"""`make demo`: synthesize the example app with the CDK CLI, then rehearse
`cdk deploy` and `cdk destroy` of its two images and bundle against the
embedded AWS.

The source WorkSpaces are prepared in the embedded AWS first, because their
ids go into the template (`-c workspace_id=...`), exactly as for a real
deploy. CloudFormation creates the two images at the same moment (they do not
depend on each other); each goes PENDING -> AVAILABLE while EventBridge's
polls (played here, a minute of injected clock each) invoke the function
bundled in cdk.out. The bundle, which uses the first image's id, comes after.
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
BUNDLE = "Custom::WorkspaceBundle"
POLLS_WHILE_PENDING = 3


def say(text: str = "") -> None:
    print(text, flush=True)


def synth(workspace_id: str, developer_workspace_id: str, cdk_out: Path) -> None:
    context = {
        "workspace_id": workspace_id,
        "developer_workspace_id": developer_workspace_id,
        "removal_policy": "destroy",
    }
    say("$ cdk synth " + " ".join(f"-c {key}={value}" for key, value in context.items()))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "cdk"),
            "synth",
            "--quiet",
            "--no-notices",
            "--output",
            str(cdk_out),
            *(arg for key, value in context.items() for arg in ("-c", f"{key}={value}")),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )


def progress(aws: EmbeddedAws, cfn: CloudFormation):
    def before_poll(n: int) -> None:
        if n > POLLS_WHILE_PENDING:
            fake_workspaces.finish_pending_images()
        states = ", ".join(
            f"{image_id} {image['State']}" for image_id, image in sorted(aws.images().items())
        )
        say(f"  +{cfn.clock_offset / 60:.0f} min  EventBridge polls ({n}): {states}")

    return before_poll


def main() -> int:
    aws = EmbeddedAws().start()
    try:
        workspace_id = fake_workspaces.seed_workspace("ws-demo00001")
        developer_workspace_id = fake_workspaces.seed_workspace("ws-demo00002")
        say(
            f"Embedded AWS at {aws.url}; prepared source WorkSpaces {workspace_id} and "
            f"{developer_workspace_id} (AVAILABLE)"
        )
        cdk_out = ROOT / "cdk.out"
        synth(workspace_id, developer_workspace_id, cdk_out)
        stack = SynthesizedStack.load(cdk_out, STACK)
        function = aws.deploy_function(stack.template, cdk_out, STACK)
        say(f"Provider function {function.name} runs {function.asset_dir.relative_to(ROOT)}")
        cfn = CloudFormation(aws, function, stack_name=STACK, on_event=lambda e: say(f"  {e}"))

        say()
        say(f"{STACK}: deploying... (rehearsal of cdk deploy)")
        deployment = cfn.deploy(stack, before_poll=progress(aws, cfn))
        if deployment.status != "CREATE_COMPLETE":
            say(f" ❌  {STACK}: {deployment.status}")
            return 1
        images = [lid for lid in stack.image_resources() if lid in deployment.responses]
        (bundle_lid,) = stack.logical_ids(BUNDLE)
        say()
        say(f" ✅  {STACK}")
        say()
        say("Outputs:")
        say(f"{STACK}.BundleId = {deployment.responses[bundle_lid].data['BundleId']}")
        for logical_id in sorted(images):
            output = "DeveloperImageId" if logical_id.startswith("Developer") else "ImageId"
            say(f"{STACK}.{output} = {deployment.responses[logical_id].data['ImageId']}")

        say()
        say(f"{STACK}: destroying... (rehearsal of cdk destroy: the bundle first)")
        destroyed = cfn.destroy(stack, deployment)
        if any(response.status != "SUCCESS" for response in destroyed.values()):
            return 1
        if aws.images() or aws.poll_rules():
            say("  something was left behind")
            return 1
        say(f" ✅  {STACK}: destroyed; no bundle, image or poll schedule left")
        return 0
    finally:
        aws.stop()


if __name__ == "__main__":
    sys.exit(main())
