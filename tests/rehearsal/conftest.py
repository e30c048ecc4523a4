"""Fixtures of the rehearsal: the embedded AWS and a CloudFormation driver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FEATURE_FLAGS, REHEARSAL_WORKSPACE_ID
from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CloudFormation, SynthesizedStack
from tests.rehearsal.embedded_aws import EmbeddedAws

STACK_NAME = "WorkspaceImageExample"


@pytest.fixture(scope="session")
def embedded_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedAws]:
    aws = EmbeddedAws(tmp_path_factory.mktemp("embedded-aws")).start()
    yield aws
    aws.stop()


@dataclass
class Rehearsal:
    aws: EmbeddedAws
    cfn: CloudFormation
    stack: SynthesizedStack
    logical_id: str
    refs: dict[str, str] = field(default_factory=dict)

    def policy_changed_at_run_time(self) -> list[dict[str, Any]]:
        """Statements of the function's policy that the template did not make."""
        fixed = set(self.stack.logical_ids("AWS::Lambda::Permission"))
        return [
            statement
            for statement in self.aws.function_policy_statements(self.cfn.function.name)
            if statement.get("Sid") not in fixed
        ]

    def properties(self, **overrides: Any) -> dict[str, Any]:
        """The image's properties from the template, with some changed."""
        return self.properties_of(self.logical_id, **overrides)

    def properties_of(
        self, logical_id: str, attributes: dict[str, dict[str, str]] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A resource's properties from the template, resolved, with some changed."""
        props = self.stack.properties(logical_id, self.cfn.function.arn, self.refs, attributes)
        props.pop("ServiceToken")
        props.update(overrides)
        return props


def make_available_at(poll: int) -> Callable[[int], None]:
    """A before_poll hook: every PENDING image becomes AVAILABLE before poll ``poll``."""

    def before_poll(n: int) -> None:
        if n == poll:
            fake_workspaces.finish_pending_images()

    return before_poll


def assert_nothing_scheduled(rehearsal: Rehearsal) -> None:
    """No poll rule is left, and the function's policy is the template's alone."""
    assert rehearsal.aws.poll_rules() == []
    assert rehearsal.policy_changed_at_run_time() == []


def _rehearsal(aws: EmbeddedAws, cdk_out: Path, stack_name: str = STACK_NAME) -> Rehearsal:
    aws.reset()
    fake_workspaces.seed_workspace(REHEARSAL_WORKSPACE_ID)
    stack = SynthesizedStack.load(cdk_out, stack_name)
    function = aws.deploy_function(stack.template, cdk_out, stack_name)
    cfn = CloudFormation(aws, function, stack_name=stack_name)
    logical_id = sorted(stack.image_resources())[0]
    return Rehearsal(aws, cfn, stack, logical_id)


PARALLEL_STACK = "ThreeImages"
PARALLEL_WORKSPACE_IDS = ("ws-parallel01", "ws-parallel02", "ws-parallel03")


def _synth_three_images(outdir: Path, timeout_minutes: int | None) -> Path:
    """A stack of three independent images; the library's defaults but the timeout."""
    import aws_cdk as cdk

    from cdk_workspace_image import WorkspaceImage

    app = cdk.App(outdir=str(outdir), context=FEATURE_FLAGS)
    stack = cdk.Stack(app, PARALLEL_STACK)
    timeout = cdk.Duration.minutes(timeout_minutes) if timeout_minutes else None
    for n, workspace_id in enumerate(PARALLEL_WORKSPACE_IDS, start=1):
        WorkspaceImage(
            stack,
            f"Image{n}",
            workspace_id=workspace_id,
            image_name=f"parallel-{n}",
            timeout=timeout,
        )
    app.synth()
    return outdir


@pytest.fixture(scope="session")
def three_images_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each image's custom resource waits for it (55 minutes)."""
    return _synth_three_images(tmp_path_factory.mktemp("cdk.out.three"), 55)


@pytest.fixture(scope="session")
def three_long_images_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default timeout: each image answers at once and a WaitCondition waits."""
    return _synth_three_images(tmp_path_factory.mktemp("cdk.out.three-long"), None)


def _three_images(aws: EmbeddedAws, cdk_out: Path) -> Rehearsal:
    rehearsal = _rehearsal(aws, cdk_out, PARALLEL_STACK)
    for workspace_id in PARALLEL_WORKSPACE_IDS:
        fake_workspaces.seed_workspace(workspace_id)
    return rehearsal


@pytest.fixture
def three_images(embedded_aws: EmbeddedAws, three_images_cdk_out: Path) -> Rehearsal:
    return _three_images(embedded_aws, three_images_cdk_out)


@pytest.fixture
def three_long_images(embedded_aws: EmbeddedAws, three_long_images_cdk_out: Path) -> Rehearsal:
    return _three_images(embedded_aws, three_long_images_cdk_out)


@pytest.fixture
def rehearsal(embedded_aws: EmbeddedAws, example_cdk_out: Path) -> Rehearsal:
    return _rehearsal(embedded_aws, example_cdk_out)


@dataclass
class LongWait:
    """A rehearsal whose image is waited for by a WaitCondition."""

    rehearsal: Rehearsal
    handle_key: str
    handle_url: str


@pytest.fixture
def long_wait(embedded_aws: EmbeddedAws, long_wait_cdk_out: Path) -> LongWait:
    rehearsal = _rehearsal(embedded_aws, long_wait_cdk_out)
    (handle_id,) = rehearsal.stack.logical_ids("AWS::CloudFormation::WaitConditionHandle")
    handle_key, handle_url = rehearsal.cfn.new_wait_handle()
    rehearsal.refs[handle_id] = handle_url
    return LongWait(rehearsal, handle_key, handle_url)
