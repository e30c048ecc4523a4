"""WorkspaceImageCopy and UpdatedWorkspaceImage: images made from another image."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

from aws_cdk import CfnResource, Duration, RemovalPolicy
from constructs import Construct

from cdk_workspace_image._reference import ImageReference, refer, warn
from cdk_workspace_image._validation import (
    a_str,
    an_instance,
    check_types,
    concrete,
    fail,
    path_of,
)
from cdk_workspace_image.runtime import contract
from cdk_workspace_image.workspace_image import (
    IWorkspaceImage,
    WorkspaceImageBase,
    image_type_error,
)


class WorkspaceImageCopy(WorkspaceImageBase):
    """A copy, in this stack's Region, of an image in another Region or shared with this account.

    On deploy it calls CopyWorkspaceImage and waits until the copy is
    AVAILABLE. The copy belongs to this account, so it can be bundled
    (``WorkspaceBundle``), shared and copied again; an image that another
    account shares can be bundled only through such a copy.

    The source is an image construct of this app (``source_image``), or an
    image id and its Region (``source_image_id`` and ``source_region``). A
    source in another stack, another Region's for example, is found by its
    name when this stack deploys, and this stack deploys after the source's:
    no CloudFormation export carries its id, so a new version of the source
    deploys (docs/release.md).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image_name: str,
        source_image: IWorkspaceImage | None = None,
        source_image_id: str | None = None,
        source_region: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        poll_interval: Duration | None = None,
        removal_policy: RemovalPolicy | None = None,
        share_with_accounts: Sequence[str] | None = None,
        keep_previous_versions: int | None = None,
        keep_after_rollback: Duration | None = None,
    ) -> None:
        """Declare a copy of an image.

        :param image_name: The copy's name, unique in the Region.
            1-64 letters, digits, ``_ . / ( ) -``. Changing the source or the
            description makes a new copy, which needs a new name.
        :param source_image: The image to copy: an image construct of this app.
            Its Region is its stack's. One of another stack is found by its
            name (``image_name``, which must then be a string) when this stack
            deploys, and this stack deploys after that one.
            Give this or ``source_image_id``.
        :param source_image_id: The image to copy, ``wsi-...``, with ``source_region``.
            It must be AVAILABLE, and owned by this account or shared with it.
            A token is checked at deploy time instead.
        :param source_region: The Region of ``source_image_id``, for example
            ``eu-west-1``; for an image shared with this account in this
            Region, this stack's (``stack.region``). Required with
            ``source_image_id``; not given with ``source_image``.
        :param description: The copy's description.
            1-256 letters, digits, spaces, ``_ . / ( ) -``.
            Default: derived from ``image_name``.
        :param tags: Tags for the copy, on top of those from ``Tags.of(...)``.
            Changing tags updates the copy in place. Default: no tags.
        :param timeout: How long to wait for the copy to become AVAILABLE.
            Up to 55 minutes the custom resource waits; longer, up to 12
            hours, a WaitCondition waits instead. Default: 2 hours.
        :param poll_interval: How often to check the copy's state.
            Whole minutes, at least 1. Default: 1 minute.
        :param removal_policy: What happens to the copy when it leaves the
            stack, or is replaced by a new version, as for aws-cdk-lib's own
            resources: ``RETAIN`` and ``RETAIN_ON_UPDATE_OR_DELETE`` keep a
            replaced copy, ``DESTROY`` deletes it.
            Default: ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``.
        :param share_with_accounts: AWS accounts to share the copy with, once
            AVAILABLE; unshared before it is deleted. 12-digit account ids.
            Default: not shared.
        :param keep_previous_versions: How many replaced versions to keep.
            The most recent are kept and older ones deleted; 0 deletes a
            replaced copy whatever ``removal_policy`` says, 1 or more keeps it.
            Default: as ``removal_policy`` says.
        :param keep_after_rollback: How long to keep an image that a deploy finished
            when that deploy rolls back. The next deploy of this resource adopts it
            instead of making it again; after this, any provider of the library in
            the account deletes it (it counts against the image quota meanwhile).
            ``Duration.days(0)`` deletes it as the rollback asks.
            Default: 7 days.
        """
        check_types(
            path_of(scope, construct_id),
            [
                a_str("source_image_id", source_image_id, optional=True),
                a_str("source_region", source_region, optional=True),
                None if source_image is None else image_type_error("source_image", source_image),
            ],
        )
        source, errors, reference = _copy_source(
            scope, construct_id, source_image, source_image_id, source_region
        )
        region = str(source[contract.PROP_SOURCE_REGION])
        # A source found by name has no id at synth: any image of its Region.
        granted_id = (
            "*"
            if reference is not None and reference.by_name
            else str(source[contract.PROP_SOURCE_IMAGE_ID])
        )
        super().__init__(
            scope,
            construct_id,
            resource_type=contract.COPY_RESOURCE_TYPE,
            source=source,
            source_errors=errors,
            grant=lambda provider: provider.allow_copying(region, granted_id),
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
        if reference is not None:
            warn(self, reference)


def _copy_source(
    scope: Construct,
    construct_id: str,
    source_image: IWorkspaceImage | None,
    source_image_id: str | None,
    source_region: str | None,
) -> tuple[dict[str, object], list[str], ImageReference | None]:
    """The copy's source properties, the errors found in them, and how it refers to
    ``source_image``."""
    path = path_of(scope, construct_id)
    if (source_image is None) == (source_image_id is None):
        fail(
            path,
            [
                'give exactly one of "source_image" (an image construct) and "source_image_id" '
                '(with "source_region")'
            ],
        )
    if source_image_id is not None:
        if source_region is None:
            # It used to default to this stack's Region, which silently copied
            # from the wrong Region when the image was in another (issue #17).
            fail(
                path,
                [
                    '"source_region" is required with "source_image_id": the Region the image '
                    "is in, for example us-east-1 (this stack's, stack.region, for an image "
                    "shared with this account here)"
                ],
            )
        assert source_region is not None
        checks = [
            concrete(source_image_id, contract.image_id_error, "source_image_id"),
            concrete(source_region, contract.region_error, "source_region"),
        ]
        return (
            {
                contract.PROP_SOURCE_IMAGE_ID: source_image_id,
                contract.PROP_SOURCE_REGION: source_region,
            },
            [error for error in checks if error],
            None,
        )
    assert source_image is not None
    if source_region is not None:
        fail(
            path,
            [
                '"source_region" goes with "source_image_id" only: the Region of "source_image" '
                "is its stack's"
            ],
        )
    reference = refer(scope, construct_id, source_image, "source_image", same_region=False)
    found: list[str] = []
    if reference.by_name:
        source: dict[str, object] = {contract.PROP_SOURCE_IMAGE_NAME: reference.image_name}
    else:
        image_id = str(reference.image_id)
        source = {contract.PROP_SOURCE_IMAGE_ID: image_id}
        error = concrete(image_id, contract.image_id_error, "source_image")
        found = [error] if error else []
    source[contract.PROP_SOURCE_REGION] = reference.region
    return source, found, reference


class NoUpdate(enum.Enum):
    """What an ``UpdatedWorkspaceImage`` is when its source has no update."""

    USE_SOURCE = contract.NO_UPDATE_USE_SOURCE
    """The source image itself: nothing is made, and ``image_id`` is the source's.

    The source is not the construct's: it is never deleted, shared or tagged,
    so ``tags`` and ``share_with_accounts`` do not apply to it.
    """

    FAIL = contract.NO_UPDATE_FAIL
    """The deploy fails, saying that there is nothing to update."""


class UpdatedWorkspaceImage(WorkspaceImageBase):
    """An image with the current WorkSpaces drivers and agent, made from another image.

    On deploy it reads the source (DescribeWorkspaceImages). When WorkSpaces
    reports an update for it (``Updates.UpdateAvailable``), it calls
    CreateUpdatedWorkspaceImage and waits until the new image is AVAILABLE.
    When there is none, the usual case for a fresh image, it makes nothing
    and stands for the source image itself (``if_no_update``). WorkSpaces
    updates only this account's images, and only some Windows versions;
    Windows updates and applications are not part of it. The source image is
    kept (docs/updated-image.md).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_image: IWorkspaceImage,
        image_name: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        poll_interval: Duration | None = None,
        removal_policy: RemovalPolicy | None = None,
        share_with_accounts: Sequence[str] | None = None,
        keep_previous_versions: int | None = None,
        keep_after_rollback: Duration | None = None,
        if_no_update: NoUpdate | None = None,
    ) -> None:
        """Declare an updated image.

        :param source_image: The image to update.
            Any image construct of this library, or
            ``WorkspaceImage.from_image_id(...)`` for one owned by this account
            in this Region. One of another stack (in this Region) is found by
            its name when this stack deploys, after that one.
        :param image_name: The new image's name, unique in the Region.
            1-64 letters, digits, ``_ . / ( ) -``. Changing the source or the
            description makes a new image, which needs a new name.
        :param description: The new image's description.
            1-256 letters, digits, spaces, ``_ . / ( ) -``.
            Default: derived from ``image_name``.
        :param tags: Tags for the image, on top of those from ``Tags.of(...)``.
            Changing tags updates the image in place. Default: no tags.
        :param timeout: How long to wait for the image to become AVAILABLE.
            Up to 55 minutes the custom resource waits; longer, up to 12
            hours, a WaitCondition waits instead. Default: 2 hours.
        :param poll_interval: How often to check the image's state.
            Whole minutes, at least 1. Default: 1 minute.
        :param removal_policy: What happens to the image when it leaves the
            stack, or is replaced by a new version, as for aws-cdk-lib's own
            resources: ``RETAIN`` and ``RETAIN_ON_UPDATE_OR_DELETE`` keep a
            replaced image, ``DESTROY`` deletes it.
            Default: ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``.
        :param share_with_accounts: AWS accounts to share the image with, once
            AVAILABLE; unshared before it is deleted. 12-digit account ids.
            Default: not shared.
        :param keep_previous_versions: How many replaced versions to keep.
            The most recent are kept and older ones deleted; 0 deletes a
            replaced image whatever ``removal_policy`` says, 1 or more keeps it.
            Default: as ``removal_policy`` says.
        :param keep_after_rollback: How long to keep an image that a deploy finished
            when that deploy rolls back. The next deploy of this resource adopts it
            instead of making it again; after this, any provider of the library in
            the account deletes it (it counts against the image quota meanwhile).
            ``Duration.days(0)`` deletes it as the rollback asks.
            Default: 7 days.
        :param if_no_update: What the image is when the source has no update.
            ``NoUpdate.USE_SOURCE``: the source image itself, and nothing is made
            (``tags`` and ``share_with_accounts`` then do not apply: the source
            is not this construct's); ``NoUpdate.FAIL``: the deploy fails. Decided
            when the image is created or replaced: a new ``image_name`` decides
            again. Default: ``NoUpdate.USE_SOURCE``.
        """
        check_types(
            path_of(scope, construct_id),
            [
                image_type_error("source_image", source_image),
                an_instance(
                    "if_no_update",
                    if_no_update,
                    NoUpdate,
                    "a NoUpdate (NoUpdate.USE_SOURCE or NoUpdate.FAIL)",
                ),
            ],
        )
        reference = refer(scope, construct_id, source_image, "source_image", same_region=True)
        if reference.by_name:
            # Found by name at deploy, in this Region: any of its images.
            source: dict[str, object] = {contract.PROP_SOURCE_IMAGE_NAME: reference.image_name}
            source_image_id, errors = "*", []
        else:
            source_image_id = str(reference.image_id)
            source = {contract.PROP_SOURCE_IMAGE_ID: source_image_id}
            error = concrete(source_image_id, contract.image_id_error, "source_image")
            errors = [error] if error else []
        super().__init__(
            scope,
            construct_id,
            resource_type=contract.UPDATED_RESOURCE_TYPE,
            source=source,
            source_errors=errors,
            grant=lambda provider: provider.allow_updating(source_image_id),
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
        cfn = self.resource.node.default_child
        assert isinstance(cfn, CfnResource)
        cfn.add_property_override(
            contract.PROP_IF_NO_UPDATE, (if_no_update or NoUpdate.USE_SOURCE).value
        )
        # With nothing to update it is its source: no image bears its name then,
        # so another stack could not find it by name (_reference.refer).
        self._may_be_its_source = if_no_update is not NoUpdate.FAIL
        warn(self, reference)
