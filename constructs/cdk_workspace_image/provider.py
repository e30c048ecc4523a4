"""The provider function shared by every WorkspaceImage in a stack.

One function per stack (a singleton, found by its construct id at the stack's
top), whose ARN is the ServiceToken of each Custom::WorkspaceImage. crhelper
answers CloudFormation itself, so CDK's Provider framework is not used
(crhelper issue #65).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    AssetHashType,
    BundlingOptions,
    Duration,
    ILocalBundling,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_workspace_image import runtime
from cdk_workspace_image.runtime import contract

PROVIDER_ID = "CdkWorkspaceImageProvider"

# The Lambda source: lambda/workspace_image in the repo, the
# cdk_workspace_image.runtime package in an installed wheel.
RUNTIME_DIR = Path(runtime.__file__).resolve().parent
CRHELPER_VERSION = importlib.metadata.version("crhelper")


def _runtime_files() -> list[Path]:
    return sorted(path for path in RUNTIME_DIR.glob("*.py") if path.name != "__init__.py")


def _crhelper_dir() -> Path:
    spec = importlib.util.find_spec("crhelper")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("crhelper is not installed; it is a dependency of cdk-workspace-image")
    return Path(next(iter(spec.submodule_search_locations)))


def asset_hash() -> str:
    """Hash of what goes into the asset: our handler files and crhelper's version."""
    digest = hashlib.sha256(f"crhelper=={CRHELPER_VERSION}".encode())
    for path in _runtime_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class LocalBundling:
    """Bundle without Docker: copy the handler and the installed crhelper.

    crhelper is pure Python and a dependency of this library, so the copy in
    site-packages is exactly the pinned version; boto3 comes with the runtime.
    """

    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        out = Path(output_dir)
        for path in _runtime_files():
            shutil.copy2(path, out / path.name)
        shutil.copytree(
            _crhelper_dir(), out / "crhelper", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        return True


def _code() -> lambda_.Code:
    runtime_ = lambda_.Runtime.PYTHON_3_13
    return lambda_.Code.from_asset(
        str(RUNTIME_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(),
        bundling=BundlingOptions(
            local=LocalBundling(),
            # Only used when local bundling is impossible.
            image=runtime_.bundling_image,
            command=[
                "bash",
                "-c",
                f"pip install --no-deps -t /asset-output crhelper=={CRHELPER_VERSION} "
                "&& cp /asset-input/*.py /asset-output/ && rm -f /asset-output/__init__.py",
            ],
        ),
    )


class WorkspaceImageProvider(Construct):
    """The Lambda function behind every Custom::WorkspaceImage of one stack."""

    @classmethod
    def of(cls, scope: Construct) -> WorkspaceImageProvider:
        """Return the stack's provider, creating it on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PROVIDER_ID)
        if isinstance(existing, WorkspaceImageProvider):
            return existing
        return cls(stack, PROVIDER_ID)

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.THREE_MONTHS)
        self.function = lambda_.Function(
            self,
            "Function",
            description="Serves Custom::WorkspaceImage (cdk-workspace-image)",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=contract.HANDLER,
            code=_code(),
            # Each invocation makes a few API calls; their retries (workspaces.py)
            # fit well inside this.
            timeout=Duration.minutes(10),
            memory_size=256,
            log_group=self.log_group,
        )
        image_arn = stack.format_arn(
            service="workspaces", resource="workspaceimage", resource_name="*"
        )
        rule_arn = stack.format_arn(
            service="events", resource="rule", resource_name=f"{contract.RULE_NAME_PREFIX}*"
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "workspaces:CreateWorkspaceImage",
                    "workspaces:DeleteWorkspaceImage",
                    "workspaces:CreateTags",
                    "workspaces:DeleteTags",
                ],
                resources=[image_arn],
            )
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                # Read-only calls without resource-level permissions in the Service
                # Authorization Reference: they need "*".
                actions=["workspaces:DescribeWorkspaceImages", "workspaces:DescribeTags"],
                resources=["*"],
            )
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "events:PutRule",
                    "events:PutTargets",
                    "events:RemoveTargets",
                    "events:DeleteRule",
                ],
                resources=[rule_arn],
            )
        )
        # Permissions on the function itself live in a policy of their own: in
        # the role's default policy they would make the function depend on its
        # own ARN (a cycle). Each custom resource depends on this policy.
        self.self_policy = iam.Policy(
            self,
            "PollSchedulePermissions",
            roles=[self.function.role] if self.function.role else [],
            statements=[
                iam.PolicyStatement(
                    actions=["lambda:AddPermission", "lambda:RemovePermission"],
                    resources=[self.function.function_arn],
                )
            ],
        )

    @property
    def service_token(self) -> str:
        return self.function.function_arn

    def allow_imaging(self, workspace_id: str) -> None:
        """Let the function image one source WorkSpace (CreateWorkspaceImage needs its ARN)."""
        stack = Stack.of(self)
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["workspaces:CreateWorkspaceImage"],
                resources=[
                    stack.format_arn(
                        service="workspaces", resource="workspace", resource_name=workspace_id
                    )
                ],
            )
        )
