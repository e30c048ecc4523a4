"""Fixtures of the rehearsal: the embedded AWS and a CloudFormation driver."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REHEARSAL_WORKSPACE_ID
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


def _rehearsal(aws: EmbeddedAws, cdk_out: Path) -> Rehearsal:
    aws.reset()
    fake_workspaces.seed_workspace(REHEARSAL_WORKSPACE_ID)
    stack = SynthesizedStack.load(cdk_out, STACK_NAME)
    function = aws.deploy_function(stack.template, cdk_out, STACK_NAME)
    cfn = CloudFormation(aws, function, stack_name=STACK_NAME)
    (logical_id,) = stack.image_resources()
    return Rehearsal(aws, cfn, stack, logical_id)


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
