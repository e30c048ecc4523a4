"""WorkspaceBundle: a WorkSpaces bundle of an image, as a CloudFormation resource."""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import (
    CfnDeletionPolicy,
    CfnResource,
    CustomResource,
    Duration,
    ITaggable,
    RemovalPolicy,
    TagManager,
    TagType,
    Token,
)
from constructs import Construct

from cdk_workspace_image._reference import refer, warn
from cdk_workspace_image._tagging import render_tags
from cdk_workspace_image._validation import (
    a_str,
    a_str_mapping,
    a_whole_number,
    an_instance,
    check_types,
    concrete,
    concrete_items,
    duplicate_name_error,
    fail,
    path_of,
    record_name,
)
from cdk_workspace_image.provider import WorkspaceImageProvider
from cdk_workspace_image.runtime import contract
from cdk_workspace_image.workspace_image import IWorkspaceImage, image_type_error

BUNDLE_KIND = "bundle"

DEFAULT_REMOVAL_POLICY = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
# A new bundle is PENDING for a while; the handler waits until it is AVAILABLE.
BUNDLE_SERVICE_TIMEOUT = Duration.minutes(30)


@jsii.implements(ITaggable)
class WorkspaceBundle(Construct):
    """A custom WorkSpaces bundle of an image, ready for ``aws_workspaces.CfnWorkspace``.

    A change of ``image`` (a new version) updates the bundle in place
    (UpdateWorkspaceBundle); a change of anything else makes a new bundle,
    which needs a new name. The bundle's ``ImageName`` property is the image's
    name, so that `cdk diff` shows the bundle moving to each new version.

    An image of the same stack is referred to by its id: CloudFormation
    creates the bundle after the image is AVAILABLE and deletes it before the
    image. An image of another stack (in the same Region) is found by its name
    when this stack deploys, and this stack deploys after the image's: no
    CloudFormation export carries its id, so a new version deploys
    (docs/release.md).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: IWorkspaceImage,
        bundle_name: str,
        compute_type: str,
        user_storage_gib: int,
        root_storage_gib: int,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy | None = None,
    ) -> None:
        """Declare a bundle.

        :param image: The image the bundle launches WorkSpaces from.
            Any image construct of this library (``WorkspaceImage``,
            ``WorkspaceImageCopy``, ``UpdatedWorkspaceImage``, ``ByolWorkspaceImage``),
            or ``WorkspaceImage.from_image_id(...)`` for one owned by this account.
            One of another stack must be in this Region, and have a string
            ``image_name``.
        :param bundle_name: The bundle's name, unique in the Region.
            1-64 letters, digits, ``_ . / ( ) -``.
        :param compute_type: The compute type, e.g. ``"STANDARD"`` or ``"POWER"``.
            One of the names of botocore's ``Compute`` shape.
        :param user_storage_gib: The user volume, in GiB.
            10, 50 or 100 with an 80 GiB root; 100-2000 with a larger root.
        :param root_storage_gib: The root volume, in GiB.
            80, or 175-2000.
        :param description: The bundle's description.
            1-255 letters, digits, spaces, ``_ . / ( ) -``.
            Default: derived from ``bundle_name``.
        :param tags: Tags for the bundle, on top of those from ``Tags.of(...)``.
            Default: no tags.
        :param removal_policy: What happens to the bundle when it leaves the stack.
            A replaced bundle (a new name) is always deleted (UpdateReplacePolicy
            Delete); a new image version keeps the bundle.
            Default: ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``, like the image.
        """
        path = path_of(scope, construct_id)
        check_types(
            path,
            [
                image_type_error("image", image),
                a_str("bundle_name", bundle_name),
                a_str("compute_type", compute_type),
                a_whole_number("user_storage_gib", user_storage_gib, "whole GiB"),
                a_whole_number("root_storage_gib", root_storage_gib, "whole GiB"),
                a_str("description", description, optional=True),
                a_str_mapping("tags", tags),
                an_instance("removal_policy", removal_policy, RemovalPolicy, "a RemovalPolicy"),
            ],
        )
        description = description if description is not None else f"Bundle {bundle_name}"
        tags = dict(tags or {})
        _validate(
            scope,
            path,
            bundle_name=bundle_name,
            description=description,
            compute_type=compute_type,
            user_storage_gib=user_storage_gib,
            root_storage_gib=root_storage_gib,
            tags=tags,
        )
        reference = refer(scope, construct_id, image, "image", same_region=True)
        super().__init__(scope, construct_id)
        record_name(self, path, BUNDLE_KIND, bundle_name)
        warn(self, reference)
        image_properties: dict[str, object] = {}
        if reference.image_id is not None:
            image_properties[contract.PROP_IMAGE_ID] = reference.image_id
        if reference.image_name is not None:
            image_properties[contract.PROP_IMAGE_NAME] = reference.image_name
        self._tags = TagManager(TagType.KEY_VALUE, contract.BUNDLE_RESOURCE_TYPE, tags)
        provider = WorkspaceImageProvider.of(self)
        self._resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=contract.BUNDLE_RESOURCE_TYPE,
            properties={
                contract.PROP_BUNDLE_NAME: bundle_name,
                contract.PROP_BUNDLE_DESCRIPTION: description,
                **image_properties,
                contract.PROP_COMPUTE_TYPE: compute_type,
                contract.PROP_USER_STORAGE_GIB: user_storage_gib,
                contract.PROP_ROOT_STORAGE_GIB: root_storage_gib,
            },
            removal_policy=removal_policy or DEFAULT_REMOVAL_POLICY,
            service_timeout=BUNDLE_SERVICE_TIMEOUT,
        )
        self._resource.node.add_dependency(provider.poll_permission)
        cfn = self._resource.node.default_child
        assert isinstance(cfn, CfnResource)
        # A replaced bundle still uses the old image, whose delete the service
        # refuses while it does: delete it, as a replaced image is deleted.
        cfn.cfn_options.update_replace_policy = CfnDeletionPolicy.DELETE
        render_tags(self._tags, self._resource)

    @property
    def bundle_id(self) -> str:
        """The bundle's id, ``wsb-...``: ``CfnWorkspace(bundle_id=...)`` takes it."""
        return self._resource.get_att_string(contract.ATTR_BUNDLE_ID)

    @property
    def tags(self) -> TagManager:
        """The bundle's tags, as ``Tags.of(...)`` sees them."""
        return self._tags

    @property
    def resource(self) -> CustomResource:
        """The underlying Custom::WorkspaceBundle resource."""
        return self._resource


def _validate(
    scope: Construct,
    path: str,
    *,
    bundle_name: str,
    description: str,
    compute_type: str,
    user_storage_gib: int,
    root_storage_gib: int,
    tags: Mapping[str, str],
) -> None:
    """Check concrete values at synth time; tokens are checked by the handler."""
    # The storage rule depends on the compute type, so all three must be concrete.
    storage = (compute_type, user_storage_gib, root_storage_gib)
    fail(
        path,
        [
            concrete(bundle_name, contract.bundle_name_error, "bundle_name"),
            duplicate_name_error(scope, BUNDLE_KIND, "bundle_name", bundle_name),
            concrete(description, contract.bundle_description_error, "description"),
            concrete(compute_type, contract.compute_type_error, "compute_type"),
            None
            if any(Token.is_unresolved(value) for value in storage)
            else contract.storage_error(
                compute_type,
                root_storage_gib,
                user_storage_gib,
                "root_storage_gib",
                "user_storage_gib",
            ),
            *contract.tags_errors(concrete_items(tags), "tags"),
        ],
    )
