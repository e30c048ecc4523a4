"""WorkspaceImage: an Amazon WorkSpaces image as a CloudFormation resource."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

import jsii
from aws_cdk import (
    CfnDeletionPolicy,
    CfnResource,
    CfnWaitCondition,
    CfnWaitConditionHandle,
    CustomResource,
    Duration,
    ITaggable,
    RemovalPolicy,
    Stack,
    TagManager,
    TagType,
    Token,
)
from constructs import Construct

from cdk_workspace_image._tagging import render_tags
from cdk_workspace_image._validation import (
    a_str,
    a_str_list,
    a_str_mapping,
    an_instance,
    check_types,
    concrete,
    concrete_items,
    concrete_list,
    duplicate_name_error,
    fail,
    own_account_error,
    path_of,
    record_name,
)
from cdk_workspace_image.provider import WorkspaceImageProvider
from cdk_workspace_image.runtime import contract

# The Administration Guide says creating an image "can take up to 45 minutes"
# (Create a custom WorkSpaces image and bundle, step 3), and users report
# longer. A timeout only ever fails an image that is still PENDING (ERROR fails
# at once), and failing a slow but healthy build wastes the whole wait plus a
# rollback: so the default is well past the documented figure, and past the
# one hour a custom resource can wait, which makes a WaitCondition wait.
DEFAULT_TIMEOUT = Duration.hours(2)
DEFAULT_POLL_INTERVAL = Duration.minutes(1)
# The Ready resource of a long wait only reads the image.
QUICK_ANSWER_TIMEOUT = Duration.minutes(15)
SERVICE_TIMEOUT = Duration.seconds(contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS)
# Kept when it leaves the stack or is replaced, as aws-cdk-lib's resources
# are; when the deploy that created it rolls back, CloudFormation sends a
# Delete, and the handler parks a finished image for the next deploy to adopt
# (keep_after_rollback) rather than deleting it.
DEFAULT_REMOVAL_POLICY = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE


@runtime_checkable
class IWorkspaceImage(Protocol):
    """A WorkSpaces image that a bundle can use: made here, or imported."""

    @property
    def image_id(self) -> str:
        """The image's id, ``wsi-...``."""
        ...


class ImportedWorkspaceImage(Construct):
    """An image made elsewhere, referenced by its id (``WorkspaceImage.from_image_id``)."""

    def __init__(self, scope: Construct, construct_id: str, image_id: str) -> None:
        path = path_of(scope, construct_id)
        check_types(path, [a_str("image_id", image_id)])
        fail(path, [concrete(image_id, contract.image_id_error, "image_id")])
        super().__init__(scope, construct_id)
        self._image_id = image_id

    @property
    def image_id(self) -> str:
        """The image's id, ``wsi-...``."""
        return self._image_id


@jsii.implements(ITaggable)
class WorkspaceImageBase(Construct):
    """What every image construct shares, whatever makes the image.

    The custom resource and, for a timeout over 55 minutes, its wait condition
    and Ready resource; tags (``Tags.of``), sharing, the removal policies and
    the synth-time checks of the options common to all sources. A subclass
    names its resource type and its source's properties, checks them, and
    grants the provider what its call needs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_type: str,
        source: Mapping[str, object],
        source_errors: Sequence[str],
        grant: Callable[[WorkspaceImageProvider], None],
        image_name: str,
        description: str | None,
        tags: Mapping[str, str] | None,
        timeout: Duration | None,
        poll_interval: Duration | None,
        removal_policy: RemovalPolicy | None,
        share_with_accounts: Sequence[str] | None,
        keep_previous_versions: int | None = None,
        keep_after_rollback: Duration | None = None,
    ) -> None:
        path = path_of(scope, construct_id)
        check_types(
            path,
            [
                *common_type_errors(
                    image_name=image_name,
                    description=description,
                    tags=tags,
                    timeout=timeout,
                    poll_interval=poll_interval,
                    removal_policy=removal_policy,
                    share_with_accounts=share_with_accounts,
                ),
                an_instance(
                    "keep_after_rollback",
                    keep_after_rollback,
                    Duration,
                    "a Duration (for example Duration.days(7))",
                ),
            ],
        )
        timeout = timeout or DEFAULT_TIMEOUT
        poll_interval = poll_interval or DEFAULT_POLL_INTERVAL
        description = description if description is not None else f"Image {image_name}"
        tags = dict(tags or {})
        _validate(
            scope,
            path,
            source_errors=source_errors,
            image_name=image_name,
            description=description,
            tags=tags,
            timeout=timeout,
            poll_interval=poll_interval,
            share_with_accounts=share_with_accounts,
            keep_previous_versions=keep_previous_versions,
            keep_after_rollback=keep_after_rollback,
        )
        super().__init__(scope, construct_id)
        record_name(self, path, IMAGE_KIND, image_name)
        # What a construct of another stack finds the image by (``_reference``),
        # and whether it may have no image of that name (an updated image that
        # resolved to its source).
        self._literal_name: str | None = None if Token.is_unresolved(image_name) else image_name
        self._may_be_its_source = False

        self._tags = TagManager(TagType.KEY_VALUE, resource_type, tags)
        provider = WorkspaceImageProvider.of(self)
        grant(provider)
        if share_with_accounts:
            provider.allow_sharing(share_with_accounts)
        timeout_seconds = int(timeout.to_seconds())
        properties: dict[str, object] = {
            **source,
            contract.PROP_NAME: image_name,
            contract.PROP_DESCRIPTION: description,
            contract.PROP_POLL_INTERVAL_MINUTES: int(poll_interval.to_minutes()),
            contract.PROP_TIMEOUT_SECONDS: timeout_seconds,
        }
        if share_with_accounts:
            # A list token (a CommaDelimitedList parameter) goes as it is: it
            # resolves to a list of strings, which the handler checks.
            properties[contract.PROP_SHARE_WITH] = (
                share_with_accounts
                if Token.is_unresolved(share_with_accounts)
                else list(share_with_accounts)
            )
        if keep_previous_versions is not None:
            properties[contract.PROP_KEEP_PREVIOUS_VERSIONS] = keep_previous_versions
        if keep_after_rollback is not None:
            properties[contract.PROP_KEEP_AFTER_ROLLBACK_HOURS] = keep_after_rollback.to_hours(
                integral=False
            )
        handle: CfnWaitConditionHandle | None = None
        if timeout_seconds > contract.WAIT_CONDITION_ABOVE_SECONDS:
            # A handle that was signalled cannot be signalled again, so each new
            # image (and each timeout) gets a handle and wait condition of its own.
            generation = _generation(self, source, image_name, description, timeout_seconds)
            handle = CfnWaitConditionHandle(self, f"Handle{generation}")
            properties[contract.PROP_WAIT_HANDLE] = handle.ref
        self._resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=resource_type,
            properties=properties,
            removal_policy=removal_policy or DEFAULT_REMOVAL_POLICY,
            # The handler keeps its own deadline (timeout); CloudFormation's is the
            # longest it allows, so that a Delete can wait for a PENDING image.
            service_timeout=SERVICE_TIMEOUT,
        )
        # Poll rules must be allowed to invoke the function before it runs.
        self._resource.node.add_dependency(provider.poll_permission)
        cfn = self._resource.node.default_child
        assert isinstance(cfn, CfnResource)
        # removal_policy sets both policies, as for aws-cdk-lib's own resources:
        # RETAIN and RETAIN_ON_UPDATE_OR_DELETE keep a replaced image (the last
        # good version, to roll back to), DESTROY deletes it. keep_previous_versions
        # says it outright: 0 deletes, more keeps (the handler prunes the older).
        if keep_previous_versions == 0:
            cfn.cfn_options.update_replace_policy = CfnDeletionPolicy.DELETE
        elif keep_previous_versions is not None:
            cfn.cfn_options.update_replace_policy = CfnDeletionPolicy.RETAIN
        self._keeps_previous = cfn.cfn_options.update_replace_policy != CfnDeletionPolicy.DELETE
        self._wait_condition: CfnWaitCondition | None = None
        self._ready: CustomResource | None = None
        if handle is not None:
            self._wait_condition = CfnWaitCondition(
                self,
                f"Wait{generation}",
                handle=handle.ref,
                timeout=str(timeout_seconds),
                count=1,
            )
            self._wait_condition.node.add_dependency(cfn)
            # The id that users get comes from a resource created after the wait.
            self._ready = CustomResource(
                self,
                "Ready",
                service_token=provider.service_token,
                resource_type=contract.READY_RESOURCE_TYPE,
                properties={
                    contract.PROP_IMAGE_ID: self._resource.get_att_string(contract.ATTR_IMAGE_ID)
                },
                service_timeout=QUICK_ANSWER_TIMEOUT,
            )
            self._ready.node.add_dependency(self._wait_condition)
        render_tags(self._tags, self._resource)

    @property
    def tags(self) -> TagManager:
        """The image's tags, as ``Tags.of(...)`` sees them."""
        return self._tags

    @property
    def image_id(self) -> str:
        """The image's id, ``wsi-...``, resolved only once the image is AVAILABLE.

        Without a wait condition this is ``Fn::GetAtt ImageId`` of the custom
        resource, which answers when the image is AVAILABLE. With one, the
        custom resource answers as soon as the image is started, so the id
        comes from a second, small resource (``Custom::WorkspaceImageReady``)
        that depends on the wait condition and answers with the id once
        CloudFormation creates it. Whatever uses ``image_id`` references that
        resource, so CloudFormation creates it only after the image is AVAILABLE.
        (The wait condition's ``Data`` attribute is a JSON object, not a
        string, so it cannot be taken apart in the template.)
        """
        if self._ready is not None:
            return self._ready.get_att_string(contract.ATTR_IMAGE_ID)
        return self._resource.get_att_string(contract.ATTR_IMAGE_ID)

    @property
    def wait_condition(self) -> CfnWaitCondition | None:
        """The wait condition of a timeout over 55 minutes, else None."""
        return self._wait_condition

    @property
    def image_name(self) -> str:
        """The image's name (``Fn::GetAtt Name``)."""
        return self._resource.get_att_string(contract.ATTR_NAME)

    @property
    def resource(self) -> CustomResource:
        """The underlying custom resource."""
        return self._resource


class WorkspaceImage(WorkspaceImageBase):
    """An Amazon WorkSpaces image created from a prepared WorkSpace.

    On deploy it calls CreateWorkspaceImage, waits until the image is
    AVAILABLE, and exposes its id as ``image_id``. If the image goes to ERROR
    the deployment fails with the service's ErrorCode and ErrorMessage.

    ``Tags.of(scope).add(key, value)`` reaches the image as it reaches native
    resources.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workspace_id: str,
        image_name: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        poll_interval: Duration | None = None,
        removal_policy: RemovalPolicy | None = None,
        share_with_accounts: Sequence[str] | None = None,
        keep_previous_versions: int | None = None,
        keep_after_rollback: Duration | None = None,
    ) -> None:
        """Declare an image.

        :param workspace_id: The source WorkSpace, ``ws-...``.
            It must be AVAILABLE, not encrypted, and is unavailable to its user
            while it is imaged. A token (for example a reference) is checked at
            deploy time instead.
        :param image_name: The image's name, unique in the Region.
            1-64 letters, digits, ``_ . / ( ) -``. Changing the source WorkSpace
            or the description makes a new image, which needs a new name.
        :param description: The image's description.
            1-256 letters, digits, spaces, ``_ . / ( ) -``.
            Default: derived from ``image_name``.
        :param tags: Tags for the image, on top of those from ``Tags.of(...)``.
            Changing tags updates the image in place.
            Default: no tags.
        :param timeout: How long to wait for the image to become AVAILABLE.
            Up to 55 minutes the custom resource itself waits (its
            ServiceTimeout). Longer, up to 12 hours, an
            ``AWS::CloudFormation::WaitCondition`` waits instead, and
            ``image_id`` comes from it (see ``image_id``).
            Default: 2 hours (the Administration Guide gives up to 45
            minutes; a timeout fails only an image still PENDING).
        :param poll_interval: How often to check the image's state.
            Whole minutes, at least 1 (EventBridge's finest schedule).
            Default: 1 minute.
        :param removal_policy: What happens to the image when it leaves the
            stack, or is replaced by a new version (DeletionPolicy and
            UpdateReplacePolicy, as for aws-cdk-lib's own resources).
            ``RETAIN`` and ``RETAIN_ON_UPDATE_OR_DELETE`` keep a replaced image,
            to roll back to; ``DESTROY`` deletes it once its successor is
            AVAILABLE. Default: ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``:
            kept, since an image is slow to rebuild; if the deploy that creates
            it rolls back, kept for ``keep_after_rollback`` for the next deploy.
        :param share_with_accounts: AWS accounts to share the image with.
            Shared once the image is AVAILABLE (UpdateWorkspaceImagePermission),
            kept in step on update, and unshared before the image is deleted.
            12-digit account ids. Default: not shared.
        :param keep_previous_versions: How many replaced versions to keep.
            After a new version, the most recent replaced ones are kept and older
            ones deleted (WorkSpaces allows 40 images per Region by default).
            0 deletes a replaced image (UpdateReplacePolicy Delete); 1 or more
            keeps it (Retain), whatever ``removal_policy`` says.
            Default: as ``removal_policy`` says (every version, by default).
        :param keep_after_rollback: How long to keep an image that a deploy finished
            when that deploy rolls back. The next deploy of this resource adopts it
            instead of making it again; after this, any provider of the library in
            the account deletes it (it counts against the image quota meanwhile).
            ``Duration.days(0)`` deletes it as the rollback asks.
            Default: 7 days.
        """
        check_types(path_of(scope, construct_id), [a_str("workspace_id", workspace_id)])
        super().__init__(
            scope,
            construct_id,
            resource_type=contract.RESOURCE_TYPE,
            source={contract.PROP_WORKSPACE_ID: workspace_id},
            source_errors=[
                error
                for error in [concrete(workspace_id, contract.workspace_id_error, "workspace_id")]
                if error
            ],
            grant=lambda provider: provider.allow_imaging(workspace_id),
            image_name=image_name,
            description=description,
            tags=tags,
            timeout=timeout,
            poll_interval=poll_interval,
            removal_policy=removal_policy,
            share_with_accounts=share_with_accounts,
            keep_previous_versions=keep_previous_versions,
            keep_after_rollback=keep_after_rollback,
        )

    @classmethod
    def from_image_id(cls, scope: Construct, construct_id: str, image_id: str) -> IWorkspaceImage:
        """Reference an image made elsewhere, for example to bundle it.

        :param image_id: The image's id, ``wsi-...``; a token is accepted as it is.
        """
        return ImportedWorkspaceImage(scope, construct_id, image_id)


def _generation(
    scope: Construct,
    source: Mapping[str, object],
    image_name: str,
    description: str,
    timeout_seconds: int,
) -> str:
    """A short, stable hash of what makes a new image (or a new wait) on update."""
    # For a WorkSpace's image this is the hash it had before there were other sources.
    resolved = Stack.of(scope).resolve([*source.values(), image_name, description, timeout_seconds])
    return hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()[:8].upper()


IMAGE_KIND = "image"


def common_type_errors(
    *,
    image_name: object,
    description: object,
    tags: object,
    timeout: object,
    poll_interval: object,
    removal_policy: object,
    share_with_accounts: object,
) -> list[str | None]:
    """Why any argument that every image construct takes is of the wrong type."""
    return [
        a_str("image_name", image_name),
        a_str("description", description, optional=True),
        a_str_mapping("tags", tags),
        an_instance("timeout", timeout, Duration, "a Duration (for example Duration.hours(2))"),
        an_instance(
            "poll_interval", poll_interval, Duration, "a Duration (for example Duration.minutes(1))"
        ),
        an_instance("removal_policy", removal_policy, RemovalPolicy, "a RemovalPolicy"),
        a_str_list("share_with_accounts", share_with_accounts),
    ]


def image_type_error(name: str, value: object) -> str | None:
    """Why ``value`` is not an ``IWorkspaceImage`` that a bundle or an update can take."""
    if hasattr(value, "image_arn") and not isinstance(value, WorkspaceImageBase):
        # An aws_imagebuilder_alpha.Image has an image_id too: its AMI's.
        return (
            f'"{name}" is an EC2 Image Builder image, not a WorkSpaces image; import it first: '
            "ByolWorkspaceImage(source=ByolImageSource.from_image_builder(image), ...)"
        )
    return an_instance(
        name,
        value,
        IWorkspaceImage,
        "an IWorkspaceImage (an image construct of this library, or "
        'WorkspaceImage.from_image_id(scope, id, "wsi-..."))',
        optional=False,
    )


def _validate(
    scope: Construct,
    path: str,
    *,
    source_errors: Sequence[str],
    image_name: str,
    description: str,
    tags: Mapping[str, str],
    timeout: Duration,
    poll_interval: Duration,
    share_with_accounts: Sequence[str] | None,
    keep_previous_versions: int | None,
    keep_after_rollback: Duration | None,
) -> None:
    """Check concrete values at synth time; tokens are checked by the handler."""
    fail(
        path,
        [
            '"keep_previous_versions" must be a concrete number, not a token: it decides '
            "the UpdateReplacePolicy when the template is synthesized"
            if keep_previous_versions is not None and Token.is_unresolved(keep_previous_versions)
            else None
        ],
    )
    fail(
        path,
        [
            '"keep_after_rollback" must be a concrete Duration, not a token'
            if keep_after_rollback is not None and keep_after_rollback.is_unresolved()
            else None
        ],
    )
    durations = {"timeout": timeout, "poll_interval": poll_interval}
    fail(
        path,
        [
            f'"{name}" must be a concrete Duration, not a token: it decides the '
            "poll schedule, the ServiceTimeout and whether a WaitCondition is needed "
            "when the template is synthesized"
            for name, duration in durations.items()
            if duration.is_unresolved()
        ],
    )
    poll_minutes = poll_interval.to_seconds() / 60
    accounts = concrete_list(share_with_accounts)
    fail(
        path,
        [
            *source_errors,
            concrete(image_name, contract.name_error, "image_name"),
            duplicate_name_error(scope, IMAGE_KIND, "image_name", image_name),
            concrete(description, contract.description_error, "description"),
            contract.poll_interval_error(poll_minutes, "poll_interval"),
            contract.timeout_error(timeout.to_seconds(), poll_interval.to_seconds(), "timeout"),
            *contract.tags_errors(concrete_items(tags), "tags"),
            *contract.account_ids_errors(accounts, "share_with_accounts"),
            own_account_error(scope, accounts, "share_with_accounts"),
            None
            if keep_after_rollback is None or keep_after_rollback.is_unresolved()
            else contract.keep_after_rollback_error(
                keep_after_rollback.to_hours(integral=False), "keep_after_rollback"
            ),
            None
            if keep_previous_versions is None
            else contract.keep_previous_versions_error(
                keep_previous_versions, "keep_previous_versions"
            ),
        ],
    )
