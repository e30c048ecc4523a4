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
    Acknowledgment,
    AssetHashType,
    BundlingOptions,
    CfnResource,
    Duration,
    ILocalBundling,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from cdk_workspace_image import runtime
from cdk_workspace_image.runtime import contract

PROVIDER_ID = "CdkWorkspaceImageProvider"
RUNTIME = lambda_.Runtime.PYTHON_3_14

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
    return lambda_.Code.from_asset(
        str(RUNTIME_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(),
        bundling=BundlingOptions(
            local=LocalBundling(),
            # Only used when local bundling is impossible.
            image=RUNTIME.bundling_image,
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
        # A role of its own rather than AWSLambdaBasicExecutionRole: it may write
        # to this log group only.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Runs the cdk-workspace-image provider function",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        # Poll rules are named with a prefix of this stack's own, which the
        # function gets in its environment: the grants below reach only them.
        rule_prefix = (
            contract.RULE_NAME_PREFIX
            if Token.is_unresolved(stack.stack_name)
            else contract.stack_rule_prefix(stack.stack_name)
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="Serves Custom::WorkspaceImage (cdk-workspace-image)",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=contract.HANDLER,
            code=_code(),
            role=self.role,
            # Each invocation makes a few API calls; no call starts so late that
            # its retries (workspaces.py) could outlast this (common.Patience).
            timeout=Duration.seconds(contract.FUNCTION_TIMEOUT_SECONDS),
            memory_size=256,
            log_group=self.log_group,
            # Every line one JSON object: the runtime formats our records and
            # crhelper's, with each log field at the top level for Logs Insights
            # (README: "Following an image in the logs"). INFO is also the level
            # the handler gives crhelper: DEBUG would log the pre-signed ResponseURL.
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            environment={contract.ENV_RULE_PREFIX: rule_prefix},
        )
        image_arn = stack.format_arn(
            service="workspaces", resource="workspaceimage", resource_name="*"
        )
        bundle_arn = stack.format_arn(
            service="workspaces", resource="workspacebundle", resource_name="*"
        )
        rule_arn = stack.format_arn(
            service="events", resource="rule", resource_name=f"{rule_prefix}*"
        )
        # Every grant is here from the start, whether or not the stack shares or
        # bundles yet: removing the last share or bundle updates the policy
        # before the handler runs, and the handler still needs it then.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "workspaces:CreateWorkspaceImage",
                    "workspaces:DeleteWorkspaceImage",
                    "workspaces:DescribeWorkspaceImagePermissions",
                    "workspaces:UpdateWorkspaceImagePermission",
                ],
                resources=[image_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # A bundle names its image: creating or updating one acts on both.
                # Only this account's images: WorkSpaces makes bundles of an image
                # that another account shared only from a copy of it.
                actions=["workspaces:CreateWorkspaceBundle", "workspaces:UpdateWorkspaceBundle"],
                resources=[bundle_arn, image_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["workspaces:DeleteWorkspaceBundle"],
                resources=[bundle_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # No resource types in the Service Authorization Reference for these
                # (tagging is limited by the aws:RequestTag/aws:TagKeys conditions
                # only, and the handler's tag keys are the user's): they need "*".
                actions=[
                    "workspaces:DescribeWorkspaceImages",
                    "workspaces:DescribeWorkspaceBundles",
                    "workspaces:DescribeTags",
                    "workspaces:CreateTags",
                    "workspaces:DeleteTags",
                ],
                resources=["*"],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "events:PutRule",
                    "events:PutTargets",
                    "events:RemoveTargets",
                    "events:DeleteRule",
                    # A new request reads the poll that an abandoned one left (supersede).
                    "events:ListTargetsByRule",
                ],
                resources=[rule_arn],
            )
        )
        # One fixed permission lets this stack's poll rules invoke the function.
        # crhelper adds and removes a statement per resource at run time, and
        # Lambda refuses overlapping policy changes (ResourceConflictException:
        # "An update is in progress"), which parallel resources make; SourceArn
        # is matched with ArnLike, so one statement covers every rule here.
        self.poll_permission = lambda_.CfnPermission(
            self,
            "PollRulesMayInvoke",
            action="lambda:InvokeFunction",
            function_name=self.function.function_arn,
            principal="events.amazonaws.com",
            source_arn=rule_arn,
            source_account=stack.account,
        )
        wildcards = self._wildcards = WildcardAcknowledgments(
            self.role.node.find_child("DefaultPolicy")
        )
        for arn, reason in (
            (
                image_arn,
                "image ids are made by CreateWorkspaceImage at deploy time, so the policy "
                "cannot name them; the actions are only those on images",
            ),
            (
                bundle_arn,
                "bundle ids are made by CreateWorkspaceBundle at deploy time, so the policy "
                "cannot name them; the actions are only those on bundles",
            ),
            (
                "*",
                "the Describe, tag and import calls (and ec2:DescribeImages) support no "
                "resource types in the Service Authorization Reference",
            ),
            (
                rule_arn,
                "poll rules are named per resource at deploy time; the wildcard is "
                f"limited to this stack's prefix ({rule_prefix})",
            ),
        ):
            wildcards.add(arn, reason)

    @property
    def service_token(self) -> str:
        return self.function.function_arn

    def _image_arn(
        self, image_id: str, region: str | None = None, account: str | None = None
    ) -> str:
        return Stack.of(self).format_arn(
            service="workspaces",
            resource="workspaceimage",
            resource_name=image_id,
            region=region,
            account=account,
        )

    def _named(self, value: str) -> str:
        """``value`` in an ARN, or ``*`` for a token that refers to a resource: a
        grant that named another resource of the stack would make the provider
        wait for it (a cycle, for an image of this library; an hour's wait, for an
        Image Builder image). A pseudo parameter (``AWS::Region``) waits for nothing."""
        if not Token.is_unresolved(value):
            return value
        resolved = Stack.of(self).resolve(value)
        pseudo = isinstance(resolved, dict) and str(resolved.get("Ref", "")).startswith("AWS::")
        return value if pseudo else "*"

    def allow_copying(self, source_region: str, source_image_id: str) -> None:
        """Let the function copy one image (CopyWorkspaceImage).

        The Administration Guide ("Copy a custom WorkSpaces image") grants the
        action on the source image, with ``*`` for the account of an image
        that another account shares; the new copy is one of this account's
        images.
        """
        source = self._image_arn(
            self._named(source_image_id), region=self._named(source_region), account="*"
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["workspaces:CopyWorkspaceImage"],
                resources=[source, self._image_arn("*")],
            )
        )
        self._wildcards.add(
            source,
            "the source image's owner is not known at deploy time (a shared image is another "
            "account's); the Administration Guide says to give its account as * (Copy a custom "
            "WorkSpaces image)",
        )

    def allow_updating(self, source_image_id: str) -> None:
        """Let the function make an updated image of one of this account's images."""
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["workspaces:CreateUpdatedWorkspaceImage"],
                resources=list(
                    dict.fromkeys(
                        [self._image_arn(self._named(source_image_id)), self._image_arn("*")]
                    )
                ),
            )
        )

    def allow_importing(self, source_property: str, source: str, *, custom: bool) -> None:
        """Let the function import a BYOL image from ``source``.

        The Service Authorization Reference gives the two import actions (and
        DescribeCustomWorkspaceImageImport) no resource types, so they need
        ``*``. WorkSpaces shares the source AMI with itself on the caller's
        behalf, which needs ``ec2:DescribeImages`` and ``ec2:ModifyImageAttribute``
        on that AMI; an Image Builder source is read with ``imagebuilder:GetImage``.
        docs/assumptions.md says what this rests on.
        """
        stack = Stack.of(self)
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "workspaces:ImportCustomWorkspaceImage",
                    "workspaces:DescribeCustomWorkspaceImageImport",
                ]
                if custom
                else ["workspaces:ImportWorkspaceImage"],
                resources=["*"],
            )
        )
        if source_property == contract.PROP_EC2_IMAGE_ID:
            self.role.add_to_policy(
                iam.PolicyStatement(actions=["ec2:DescribeImages"], resources=["*"])
            )
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["ec2:ModifyImageAttribute"],
                    resources=[
                        stack.format_arn(
                            service="ec2",
                            account="",
                            resource="image",
                            resource_name=self._named(source),
                        )
                    ],
                )
            )
        elif source_property == contract.PROP_IMAGE_BUILD_VERSION_ARN:
            image_version = (
                stack.format_arn(service="imagebuilder", resource="image", resource_name="*")
                if Token.is_unresolved(source)
                else source
            )
            self.role.add_to_policy(
                iam.PolicyStatement(actions=["imagebuilder:GetImage"], resources=[image_version])
            )

    def allow_imaging(self, workspace_id: str) -> None:
        """Let the function image one source WorkSpace (CreateWorkspaceImage needs its ARN)."""
        stack = Stack.of(self)
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["workspaces:CreateWorkspaceImage"],
                resources=[
                    stack.format_arn(
                        service="workspaces", resource="workspace", resource_name=workspace_id
                    )
                ],
            )
        )


NAG_WILDCARD_RULE = "AwsSolutions-IAM5"


class WildcardAcknowledgments:
    """Acknowledge cdk-nag's wildcard findings that cannot be fixed, with evidence.

    Both cdk-nag majors are served without depending on cdk-nag: 2.x reads
    ``cdk_nag`` metadata on the CloudFormation resource; 3.x reads
    acknowledgments made with aws-cdk-lib's own ``Validations``. Each names the
    exact resource it covers, as cdk-nag renders it
    (``Resource::arn:<AWS::Partition>:...``).
    """

    def __init__(self, policy: IConstruct) -> None:
        self._policy = policy
        self._reasons: dict[str, str] = {}

    def add(self, arn: str, reason: str) -> None:
        finding = _nag_resource(Stack.of(self._policy).resolve(arn))
        self._reasons[finding] = reason
        cfn = self._policy.node.default_child
        assert isinstance(cfn, CfnResource)
        # The metadata holds every acknowledgment; each call writes it whole.
        cfn.add_metadata(
            "cdk_nag",
            {
                "rules_to_suppress": [
                    {"id": NAG_WILDCARD_RULE, "reason": why, "applies_to": [name]}
                    for name, why in self._reasons.items()
                ]
            },
        )
        Validations.of(self._policy).acknowledge(
            Acknowledgment(id=f"{NAG_WILDCARD_RULE}[{finding}]", reason=reason)
        )


def _nag_resource(resolved: Any) -> str:
    """Render a resolved ARN the way cdk-nag names it in a finding."""

    def render(part: Any) -> str:
        if isinstance(part, str):
            return part
        if isinstance(part, dict) and set(part) == {"Ref"}:
            return f"<{part['Ref']}>"
        if isinstance(part, dict) and set(part) == {"Fn::Join"}:
            delimiter, items = part["Fn::Join"]
            return str(delimiter).join(render(item) for item in items)
        raise ValueError(f"cannot render {part!r} as cdk-nag does")

    return f"Resource::{render(resolved)}"
