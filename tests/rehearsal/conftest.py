"""Fixtures of the rehearsal: the embedded AWS and a CloudFormation driver."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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

    def properties(self, **overrides: Any) -> dict[str, Any]:
        """The image's properties from the template, with some changed."""
        props = self.stack.properties(self.logical_id, self.cfn.function.arn)
        props.pop("ServiceToken")
        props.update(overrides)
        return props


@pytest.fixture
def rehearsal(embedded_aws: EmbeddedAws, example_cdk_out: Path) -> Rehearsal:
    embedded_aws.reset()
    fake_workspaces.seed_workspace(REHEARSAL_WORKSPACE_ID)
    stack = SynthesizedStack.load(example_cdk_out, STACK_NAME)
    function = embedded_aws.deploy_function(stack.template, example_cdk_out, STACK_NAME)
    cfn = CloudFormation(embedded_aws, function, stack_name=STACK_NAME)
    (logical_id,) = stack.image_resources()
    return Rehearsal(embedded_aws, cfn, stack, logical_id)
