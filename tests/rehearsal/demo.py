"""`make demo`: a monthly release of the example app, rehearsed against the embedded AWS.

The example app is synthesized with the CDK CLI at two versions of the golden
image (`-c image_name=golden-2026-11`, then `golden-2026-12`), then `cdk deploy`
of each is rehearsed, and finally `cdk destroy`.

The source WorkSpaces are prepared in the embedded AWS first, because their
ids go into the template (`-c workspace_id=...`), exactly as for a real
deploy. CloudFormation creates the two images at the same moment (they do not
depend on each other); each goes PENDING -> AVAILABLE while EventBridge's polls
invoke the function bundled in cdk.out. The bundle, which uses the first
image's id, comes after. The second version replaces both images: the bundle
moves to the new golden image in place, and the previous golden image is kept
(`-c keep_previous_versions=1`), to roll back to.

The clock is simulated: each EventBridge poll moves an injected clock on by
its schedule's rate (a minute) instead of waiting for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CloudFormation, Deployment, SynthesizedStack
from tests.rehearsal.embedded_aws import EmbeddedAws

ROOT = Path(__file__).resolve().parents[2]
STACK = "WorkspaceImageExample"
BUNDLE = "Custom::WorkspaceBundle"
POLLS_WHILE_PENDING = 3
VERSIONS = ("golden-2026-11", "golden-2026-12")


def say(text: str = "") -> None:
    print(text, flush=True)


def synth(context: dict[str, str], cdk_out: Path) -> None:
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


def progress(aws: EmbeddedAws, cfn: CloudFormation) -> Callable[[int], None]:
    def before_poll(n: int) -> None:
        if n > POLLS_WHILE_PENDING:
            fake_workspaces.finish_pending_images()
        states = ", ".join(
            f"{image_id} {image['State']}" for image_id, image in sorted(aws.images().items())
        )
        say(f"  +{cfn.clock_offset / 60:.0f} min (simulated)  EventBridge polls ({n}): {states}")

    return before_poll


def outputs(stack: SynthesizedStack, deployment: Deployment) -> None:
    images = [lid for lid in stack.image_resources() if lid in deployment.responses]
    (bundle_lid,) = stack.logical_ids(BUNDLE)
    say()
    say("Outputs:")
    say(f"{STACK}.BundleId = {deployment.responses[bundle_lid].data['BundleId']}")
    for logical_id in sorted(images):
        output = "DeveloperImageId" if logical_id.startswith("Developer") else "ImageId"
        say(f"{STACK}.{output} = {deployment.responses[logical_id].data['ImageId']}")


def names(aws: EmbeddedAws) -> dict[str, str]:
    """Each image that exists, by id: its name."""
    return {image_id: image["Name"] for image_id, image in aws.images().items()}


def bundle_image(stack: SynthesizedStack, deployment: Deployment) -> tuple[str, str]:
    (bundle_lid,) = stack.logical_ids(BUNDLE)
    data = deployment.responses[bundle_lid].data
    return data["BundleId"], data["ImageId"]


def main() -> int:
    aws = EmbeddedAws().start()
    try:
        workspace_id = fake_workspaces.seed_workspace("ws-demo00001")
        developer_workspace_id = fake_workspaces.seed_workspace("ws-demo00002")
        say(
            f"Embedded AWS at {aws.url}; prepared source WorkSpaces {workspace_id} and "
            f"{developer_workspace_id} (AVAILABLE)"
        )
        say(
            "The clock is simulated: each EventBridge poll moves it on by the schedule's "
            "rate (1 minute) instead of waiting."
        )
        stacks: list[SynthesizedStack] = []
        for version in VERSIONS:
            cdk_out = ROOT / "cdk.out" / f"demo-{version}"
            synth(
                {
                    "workspace_id": workspace_id,
                    "developer_workspace_id": developer_workspace_id,
                    "image_name": version,
                    "keep_previous_versions": "1",
                    "removal_policy": "destroy",
                },
                cdk_out,
            )
            stacks.append(SynthesizedStack.load(cdk_out, STACK))
        first, second = stacks
        function = aws.deploy_function(first.template, first.cdk_out, STACK)
        say(f"Provider function {function.name} runs {function.asset_dir.relative_to(ROOT)}")
        cfn = CloudFormation(aws, function, stack_name=STACK, on_event=lambda e: say(f"  {e}"))

        say()
        say(f"{STACK}: deploying {VERSIONS[0]}... (rehearsal of cdk deploy)")
        deployment = cfn.deploy(first, before_poll=progress(aws, cfn))
        if deployment.status != "CREATE_COMPLETE":
            say(f" ❌  {STACK}: {deployment.status}")
            return 1
        say()
        say(f" ✅  {STACK}")
        outputs(first, deployment)
        bundle_id, previous = bundle_image(first, deployment)

        say()
        say(f"{STACK}: deploying {VERSIONS[1]}... (rehearsal of cdk deploy: a stack update)")
        aws.update_function_code(function, second.template, second.cdk_out, STACK)
        update = cfn.update(first, second, deployment, before_poll=progress(aws, cfn))
        if update.status != "UPDATE_COMPLETE":
            say(f" ❌  {STACK}: {update.status}")
            return 1
        say()
        say(f" ✅  {STACK}")
        outputs(second, update)
        moved_bundle, current = bundle_image(second, update)
        images = names(aws)
        say()
        say(
            f"Release {VERSIONS[1]}: bundle {moved_bundle} moved in place from {previous} "
            f"({VERSIONS[0]}) to {current} ({images.get(current)})."
        )
        if moved_bundle != bundle_id or previous not in images:
            say("  the bundle was replaced, or the previous image is gone")
            return 1
        say(
            f"Kept: {previous} ({images[previous]}), the previous version, to roll back to "
            f"(keep_previous_versions=1): deploy with -c image_name={VERSIONS[0]}. The "
            "developer image's previous version was deleted (removal_policy=destroy)."
        )

        say()
        say(f"{STACK}: destroying... (rehearsal of cdk destroy: the bundle first)")
        destroyed = cfn.destroy(second, update)
        if any(response.status != "SUCCESS" for response in destroyed.values()):
            return 1
        if set(aws.images()) != {previous} or aws.poll_rules():
            say(f"  something was left behind: {names(aws)}")
            return 1
        say(
            f" ✅  {STACK}: destroyed; no bundle or poll schedule left. The kept previous "
            f"version {previous} ({VERSIONS[0]}) is no longer the stack's: delete it when "
            "you no longer need it."
        )
        return 0
    finally:
        aws.stop()


if __name__ == "__main__":
    sys.exit(main())
