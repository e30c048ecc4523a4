"""`make demo`: synthesize the example app with the CDK CLI, then rehearse
`cdk deploy` and `cdk destroy` against the embedded AWS.

The source WorkSpace is prepared in the embedded AWS first, because its id
goes into the template (`-c workspace_id=...`), exactly as for a real deploy.
The image then goes PENDING -> AVAILABLE while EventBridge's polls (played
here, a minute of injected clock each) invoke the function bundled in cdk.out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CloudFormation, SynthesizedStack
from tests.rehearsal.embedded_aws import EmbeddedAws

ROOT = Path(__file__).resolve().parents[2]
STACK = "WorkspaceImageExample"
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
        (logical_id,) = stack.image_resources()
        props = stack.properties(logical_id, function.arn)
        props.pop("ServiceToken")

        say()
        say(f"{STACK}: deploying... (rehearsal of cdk deploy)")
        say(f"  CREATE_IN_PROGRESS  Custom::WorkspaceImage  {logical_id}")
        created = cfn.request("Create", logical_id, props, before_poll=progress(aws, cfn))
        if created.status != "SUCCESS":
            say(f"  CREATE_FAILED  {created.reason}")
            return 1
        say(f"  CREATE_COMPLETE     Custom::WorkspaceImage  {logical_id}")
        say()
        say(f" ✅  {STACK}")
        say()
        say("Outputs:")
        say(f"{STACK}.ImageId = {created.data['ImageId']}")
        say(f"Data returned to CloudFormation: {json.dumps(created.data)}")

        say()
        say(f"{STACK}: destroying... (rehearsal of cdk destroy)")
        deleted = cfn.request("Delete", logical_id, props, physical_id=created.physical_id)
        if deleted.status != "SUCCESS" or aws.images() or aws.poll_rules():
            say(f"  DELETE_FAILED  {deleted.reason}")
            return 1
        say(f"  DELETE_COMPLETE     Custom::WorkspaceImage  {logical_id} (image deleted)")
        say(f" ✅  {STACK}: destroyed; no image and no poll schedule left")
        return 0
    finally:
        aws.stop()


if __name__ == "__main__":
    sys.exit(main())
