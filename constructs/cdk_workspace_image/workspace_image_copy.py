"""WorkspaceImageCopy and UpdatedWorkspaceImage: images made from another image."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from constructs import Construct

from cdk_workspace_image._validation import a_str, check_types, concrete, path_of
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
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_image_id: str,
        image_name: str,
        source_region: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        poll_interval: Duration | None = None,
        removal_policy: RemovalPolicy | None = None,
        share_with_accounts: Sequence[str] | None = None,
    ) -> None:
        """Declare a copy of an image.

        :param source_image_id: The image to copy, ``wsi-...``.
            It must be AVAILABLE, and owned by this account or shared with it.
            A token is checked at deploy time instead.
        :param image_name: The copy's name, unique in the Region.
            1-64 letters, digits, ``_ . / ( ) -``. Changing the source or the
            description makes a new copy, which needs a new name.
        :param source_region: The Region the source image is in.
            For example ``eu-west-1``. Default: this stack's Region (a copy of
            an image shared with this account).
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
        :param removal_policy: What happens to the copy when the resource
            leaves the stack. A replaced copy is always deleted.
            Default: ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``.
        :param share_with_accounts: AWS accounts to share the copy with, once
            AVAILABLE; unshared before it is deleted. 12-digit account ids.
            Default: not shared.
        """
        check_types(
            path_of(scope, construct_id),
            [
                a_str("source_image_id", source_image_id),
                a_str("source_region", source_region, optional=True),
            ],
        )
        region = source_region if source_region is not None else Stack.of(scope).region
        errors = [
            concrete(source_image_id, contract.image_id_error, "source_image_id"),
            concrete(region, contract.region_error, "source_region"),
        ]
        super().__init__(
            scope,
            construct_id,
            resource_type=contract.COPY_RESOURCE_TYPE,
            source={
                contract.PROP_SOURCE_IMAGE_ID: source_image_id,
                contract.PROP_SOURCE_REGION: region,
            },
            source_errors=[error for error in errors if error],
            grant=lambda provider: provider.allow_copying(region, source_image_id),
            image_name=image_name,
            description=description,
            tags=tags,
            timeout=timeout,
            poll_interval=poll_interval,
            removal_policy=removal_policy,
            share_with_accounts=share_with_accounts,
        )


class UpdatedWorkspaceImage(WorkspaceImageBase):
    """An image with the current WorkSpaces drivers and agent, made from another image.

    On deploy it calls CreateUpdatedWorkspaceImage and waits until the new
    image is AVAILABLE. WorkSpaces offers this only for some Windows versions,
    and only when DescribeWorkspaceImages reports an update for the source
    (``Updates.UpdateAvailable``); otherwise the deploy fails and says so.
    Windows updates and applications are not part of it. The source image is
    kept.
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
    ) -> None:
        """Declare an updated image.

        :param source_image: The image to update.
            Any image construct of this library, or
            ``WorkspaceImage.from_image_id(...)`` for one owned by this account
            in this Region.
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
        :param removal_policy: What happens to the image when the resource
            leaves the stack. A replaced image is always deleted.
            Default: ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``.
        :param share_with_accounts: AWS accounts to share the image with, once
            AVAILABLE; unshared before it is deleted. 12-digit account ids.
            Default: not shared.
        """
        check_types(path_of(scope, construct_id), [image_type_error("source_image", source_image)])
        source_image_id = source_image.image_id
        errors = [concrete(source_image_id, contract.image_id_error, "source_image")]
        super().__init__(
            scope,
            construct_id,
            resource_type=contract.UPDATED_RESOURCE_TYPE,
            source={contract.PROP_SOURCE_IMAGE_ID: source_image_id},
            source_errors=[error for error in errors if error],
            grant=lambda provider: provider.allow_updating(source_image_id),
            image_name=image_name,
            description=description,
            tags=tags,
            timeout=timeout,
            poll_interval=poll_interval,
            removal_policy=removal_policy,
            share_with_accounts=share_with_accounts,
        )
