"""The ways of making an image: each knows how to start one and read its progress.

Everything else (polling, the wait, tags, sharing, adoption, deletion) is the
shared lifecycle in ``images``. A source's ``start`` makes the one call to
WorkSpaces that starts an image (through ``workspaces``), after reading the
source where that decides whether there is anything to make (``Updated``);
its ``progress`` reads what the image itself does not tell, for the imports
that have a status of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import actions
import contract
import properties
import source_updates
from botocore.exceptions import ClientError
from common import ResourceFailed, call, log_decision
from polling_helper import own_stack_id
from workspaces import NOT_FOUND_CODES, WorkSpacesImages

# How a source image name that does not resolve is refused, as the call refuses
# a source id it cannot find or use (CopyWorkspaceImage lists both errors).
NAME_NOT_FOUND = "ResourceNotFoundException"
NAME_UNAVAILABLE = "ResourceUnavailableException"


class Source:
    """CreateWorkspaceImage: an image of a prepared WorkSpace."""

    action = actions.CREATE_ACTION

    def resource(self, source: properties.SourceSpec) -> str:
        """What a denial of ``action`` names, for the user to grant."""
        return f"WorkSpace {source.get(contract.PROP_WORKSPACE_ID)}"

    def check(self, images: WorkSpacesImages, source: properties.SourceSpec, code: str) -> None:
        """After ``start`` was refused with ``code``: raise a plainer reason, if there is one."""

    def start(
        self,
        images: WorkSpacesImages,
        source: properties.SourceSpec,
        *,
        name: str,
        description: str,
        tags: list[dict[str, str]],
    ) -> str:
        return images.create(
            workspace_id=source.get(contract.PROP_WORKSPACE_ID),
            name=name,
            description=description,
            tags=tags,
        )

    def progress(self, images: WorkSpacesImages, image_id: str) -> Mapping[str, Any] | None:
        """The image's own state says it all: nothing more to read."""
        return None


def _source_image(source: properties.SourceSpec) -> str:
    """The source image as the user named it: its id, or its name."""
    return str(
        source.get(contract.PROP_SOURCE_IMAGE_ID) or source.get(contract.PROP_SOURCE_IMAGE_NAME)
    )


def _named(
    images: WorkSpacesImages, source: properties.SourceSpec, region: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """The image of ``SourceImageName`` among this account's images in ``region``
    (None: the function's own), and why it cannot be used (or None)."""
    name = str(source.get(contract.PROP_SOURCE_IMAGE_NAME))
    where = images.in_region(region) if region else images
    image = call(
        "DescribeWorkspaceImages", lambda: where.find_owned_by_name(name), f"images named {name}"
    )
    tags = (
        call("DescribeTags", lambda: where.tags(str(image["ImageId"])))
        if image is not None and image.get("State") == "AVAILABLE"
        else None
    )
    return image, properties.named_image_reason(
        image, name, str(where.client.meta.region_name), tags
    )


def source_image_id(
    images: WorkSpacesImages, source: properties.SourceSpec, region: str | None = None
) -> str:
    """The source image's id: given, or found by its name (an image of another stack)
    in ``region`` (None: the function's own).

    A name that does not resolve is refused as the call refuses a source id it
    cannot find, so that the lifecycle treats both alike: an update (a rollback
    among them) then adopts this resource's own image of the new name, if there
    is one, even when the source version is gone.
    """
    given = source.get(contract.PROP_SOURCE_IMAGE_ID)
    if given:
        return str(given)
    image, reason = _named(images, source, region)
    if reason is not None:
        code = NAME_NOT_FOUND if image is None else NAME_UNAVAILABLE
        raise ClientError({"Error": {"Code": code, "Message": reason}}, "DescribeWorkspaceImages")
    assert image is not None
    log_decision(
        {},
        "source:resolved",
        image_name=source.get(contract.PROP_SOURCE_IMAGE_NAME),
        image_id=image["ImageId"],
    )
    return str(image["ImageId"])


def check_named(
    images: WorkSpacesImages, source: properties.SourceSpec, region: str | None, code: str
) -> None:
    """After a refusal: a source name that does not resolve says so plainly."""
    if not source.get(contract.PROP_SOURCE_IMAGE_NAME):
        return
    if code not in NOT_FOUND_CODES | {NAME_UNAVAILABLE}:
        return
    _, reason = _named(images, source, region)
    if reason is not None:
        raise ResourceFailed(reason)


class Copy(Source):
    """CopyWorkspaceImage: a copy, in this Region, of an image in another or shared here."""

    action = actions.COPY_ACTION

    def resource(self, source: properties.SourceSpec) -> str:
        return f"image {_source_image(source)} in {source.get(contract.PROP_SOURCE_REGION)}"

    def check(self, images: WorkSpacesImages, source: properties.SourceSpec, code: str) -> None:
        check_named(images, source, str(source.get(contract.PROP_SOURCE_REGION)), code)

    def start(
        self,
        images: WorkSpacesImages,
        source: properties.SourceSpec,
        *,
        name: str,
        description: str,
        tags: list[dict[str, str]],
    ) -> str:
        region = str(source.get(contract.PROP_SOURCE_REGION))
        return images.copy(
            source_image_id=source_image_id(images, source, region),
            source_region=region,
            name=name,
            description=description,
            tags=tags,
        )


class NothingToUpdate(Exception):
    """The source has no update: there is nothing to make (``updated`` answers)."""

    def __init__(self, source_image: Mapping[str, Any], reason: str) -> None:
        super().__init__(reason)
        self.source_image = dict(source_image)
        self.reason = reason


class Updated(Source):
    """CreateUpdatedWorkspaceImage: an image with the current WorkSpaces drivers and agent.

    The source is read first (one DescribeWorkspaceImages): the call is made
    only when ``Updates.UpdateAvailable`` says there is something to make, and
    only for an AVAILABLE image of this account. Any refusal of the call
    itself then carries the service's own code and message.
    """

    action = actions.UPDATED_ACTION

    def resource(self, source: properties.SourceSpec) -> str:
        return f"image {_source_image(source)}"

    def start(
        self,
        images: WorkSpacesImages,
        source: properties.SourceSpec,
        *,
        name: str,
        description: str,
        tags: list[dict[str, str]],
    ) -> str:
        source_id = source_image_id(images, source)
        image = call(
            "DescribeWorkspaceImages", lambda: images.describe(source_id), f"image {source_id}"
        )
        decision = source_updates.decide_update(
            image, source_id, contract.account_of(own_stack_id())
        )
        if decision.outcome is source_updates.UpdateOutcome.MISSING:
            # Refused as the call refuses a source it cannot find, so that an
            # update (a rollback among them) still adopts its own image.
            raise ClientError(
                {"Error": {"Code": NAME_NOT_FOUND, "Message": decision.reason}},
                "DescribeWorkspaceImages",
            )
        if decision.outcome is source_updates.UpdateOutcome.REFUSED:
            raise ResourceFailed(decision.reason)
        if decision.outcome is source_updates.UpdateOutcome.NOTHING_TO_UPDATE:
            assert image is not None
            raise NothingToUpdate(image, decision.reason)
        return images.create_updated(
            source_image_id=source_id, name=name, description=description, tags=tags
        )


class ByolImport(Source):
    """ImportWorkspaceImage: a BYOL image of an AMI."""

    action = actions.BYOL_IMPORT_ACTION

    def resource(self, source: properties.SourceSpec) -> str:
        # No resource types for the action: the grant is on "*" (and the
        # service's message names an EC2 action it was denied on the AMI).
        return "*"

    def start(
        self,
        images: WorkSpacesImages,
        source: properties.SourceSpec,
        *,
        name: str,
        description: str,
        tags: list[dict[str, str]],
    ) -> str:
        return images.import_byol(
            ec2_image_id=source.get(contract.PROP_EC2_IMAGE_ID),
            ingestion_process=source.get(contract.PROP_INGESTION_PROCESS),
            applications=list(source.get(contract.PROP_APPLICATIONS) or ()),
            name=name,
            description=description,
            tags=tags,
        )


class CustomImport(ByolImport):
    """ImportCustomWorkspaceImage: a BYOL image that EC2 Image Builder makes.

    The import has a status of its own (DescribeCustomWorkspaceImageImport):
    its stage and percentage are logged at each poll, and its ErrorDetails
    are the reason when it fails.
    """

    action = actions.CUSTOM_IMPORT_ACTION

    def start(
        self,
        images: WorkSpacesImages,
        source: properties.SourceSpec,
        *,
        name: str,
        description: str,
        tags: list[dict[str, str]],
    ) -> str:
        return images.import_custom(
            image_source={
                key: source.get(key) for key in contract.IMPORT_SOURCE_PROPS if source.get(key)
            },
            compute_type=source.get(contract.PROP_IMPORT_COMPUTE_TYPE),
            protocol=source.get(contract.PROP_PROTOCOL),
            os_version=source.get(contract.PROP_OS_VERSION),
            infrastructure_configuration_arn=source.get(
                contract.PROP_INFRASTRUCTURE_CONFIGURATION_ARN
            ),
            validation_mode=source.get(contract.PROP_IMAGE_VALIDATION_MODE),
            name=name,
            description=description,
            tags=tags,
        )

    def progress(self, images: WorkSpacesImages, image_id: str) -> Mapping[str, Any] | None:
        return call(
            "DescribeCustomWorkspaceImageImport",
            lambda: images.describe_import(image_id),
            f"image {image_id}",
        )


SOURCES: dict[str, Source] = {
    source.action: source for source in (Source(), Copy(), Updated(), ByolImport(), CustomImport())
}


def of(spec: properties.SourceSpec) -> Source:
    return SOURCES[spec.action]
