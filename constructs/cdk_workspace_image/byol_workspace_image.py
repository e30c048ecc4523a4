"""ByolWorkspaceImage: a BYOL WorkSpaces image imported from EC2 Image Builder or an AMI."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_imagebuilder as imagebuilder
from constructs import Construct

from cdk_workspace_image._validation import concrete
from cdk_workspace_image.runtime import contract
from cdk_workspace_image.workspace_image import WorkspaceImageBase

# The Administration Guide (Bring Your Own Windows desktop licenses) gives "at
# least 90 minutes" for a BYOL import, and three hours with Microsoft Office;
# ImportCustomWorkspaceImage also runs Image Builder's build and tests. A
# timeout only fails an import still in progress, so the default is well past
# both, and within the 12 hours of a WaitCondition.
DEFAULT_IMPORT_TIMEOUT = Duration.hours(6)
DEFAULT_COMPUTE_TYPE = "BASE"
DEFAULT_PROTOCOL = "DCV"


class ByolImageSource:
    """What a BYOL image is imported from: an Image Builder image, an AMI or an import task.

    An AMI works with either call; an Image Builder image and a VM import
    task only with ImportCustomWorkspaceImage.
    """

    def __init__(self, prop: str, value: str, label: str) -> None:
        self._prop = prop
        self._value = value
        self._label = label

    @classmethod
    def from_image_builder(cls, image: imagebuilder.CfnImage) -> ByolImageSource:
        """An ``AWS::ImageBuilder::Image`` of this app.

        Its ARN (``attr_arn``, the build version ARN) is used, so CloudFormation
        imports only after Image Builder has built the image.
        """
        return cls(contract.PROP_IMAGE_BUILD_VERSION_ARN, image.attr_arn, "source")

    @classmethod
    def from_image_version_arn(cls, arn: str) -> ByolImageSource:
        """An EC2 Image Builder image version, by ARN.

        ``arn:aws:imagebuilder:REGION:ACCOUNT:image/NAME/1.0.0`` or ``.../1.0.0/1``.
        """
        return cls(contract.PROP_IMAGE_BUILD_VERSION_ARN, arn, "source (image version ARN)")

    @classmethod
    def from_ami(cls, ami_id: str) -> ByolImageSource:
        """An AMI of this account and Region, ``ami-...``."""
        return cls(contract.PROP_EC2_IMAGE_ID, ami_id, "source (AMI id)")

    @classmethod
    def from_import_task(cls, task_id: str) -> ByolImageSource:
        """A VM Import task, ``import-ami-...``."""
        return cls(contract.PROP_EC2_IMPORT_TASK_ID, task_id, "source (import task id)")

    @property
    def is_ami(self) -> bool:
        return bool(self._prop == contract.PROP_EC2_IMAGE_ID)

    @property
    def property_name(self) -> str:
        """The resource property (and ImageSource member) this source fills."""
        return self._prop

    @property
    def value(self) -> str:
        return self._value

    def error(self) -> str | None:
        """Why the concrete value cannot be this kind of source, or None."""
        if Token.is_unresolved(self._value):
            return None
        errors = contract.import_source_errors(
            {self._prop: self._value}, dict.fromkeys(contract.IMPORT_SOURCE_PROPS, self._label)
        )
        return errors[0] if errors else None


class ByolWorkspaceImage(WorkspaceImageBase):
    """A BYOL (bring your own license) WorkSpaces image, imported and waited for.

    The call follows from the arguments:

    - without ``ingestion_process``: ImportCustomWorkspaceImage. EC2 Image
      Builder makes the image from the source (an Image Builder image, an AMI
      or a VM import task) with ``infrastructure_configuration_arn``; each
      poll logs the import's stage and percentage.
    - with ``ingestion_process``: ImportWorkspaceImage, from an AMI, with
      optional Microsoft Office ``applications``.

    The account must be enabled for BYOL. An import that fails deletes its
    image and fails the deploy with the service's reasons.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: ByolImageSource,
        image_name: str,
        os_version: str | None = None,
        infrastructure_configuration_arn: str | None = None,
        compute_type: str | None = None,
        protocol: str | None = None,
        validation_mode: str | None = None,
        ingestion_process: str | None = None,
        applications: Sequence[str] | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        poll_interval: Duration | None = None,
        removal_policy: RemovalPolicy | None = None,
        share_with_accounts: Sequence[str] | None = None,
        keep_previous_versions: int | None = None,
    ) -> None:
        """Declare a BYOL image.

        :param source: What to import: ``ByolImageSource.from_image_builder(...)``,
            ``.from_image_version_arn(...)``, ``.from_ami(...)`` or
            ``.from_import_task(...)``.
        :param image_name: The image's name, unique in the Region.
            1-64 letters, digits, ``_ . / ( ) -``. Changing the source, an
            import argument or the description makes a new image, which needs
            a new name.
        :param os_version: ``Windows_10`` or ``Windows_11``.
            Required for ImportCustomWorkspaceImage (no ``ingestion_process``).
        :param infrastructure_configuration_arn: The EC2 Image Builder
            infrastructure configuration that builds and tests the image.
            Required for ImportCustomWorkspaceImage; its instance profile's
            role is passed by the import (``iam:PassRole``).
        :param compute_type: ``BASE``, ``GRAPHICS_G4DN``, ``GRAPHICS_G6`` or
            ``GRAPHICS_G7`` (ImportCustomWorkspaceImage). Default: ``BASE``.
        :param protocol: ``DCV``, ``PCOIP`` or ``BYOP`` (ImportCustomWorkspaceImage).
            Default: ``DCV``.
        :param validation_mode: ``SERVICE_MANAGED`` or ``CUSTOMER_MANAGED``
            (ImportCustomWorkspaceImage). Default: the service's.
        :param ingestion_process: Use ImportWorkspaceImage with this ingestion
            process, for example ``BYOL_REGULAR_WSP``. The source must be an AMI.
            Default: ImportCustomWorkspaceImage is used.
        :param applications: Microsoft Office to subscribe to
            (``Microsoft_Office_2016`` or ``Microsoft_Office_2019``; one at most),
            with ``ingestion_process`` only. Default: none.
        :param description: The image's description.
            1-256 letters, digits, spaces, ``_ . / ( ) -``.
            Default: derived from ``image_name``.
        :param tags: Tags for the image, on top of those from ``Tags.of(...)``.
            Changing tags updates the image in place. Default: no tags.
        :param timeout: How long to wait for the import to finish.
            Up to 55 minutes the custom resource waits; longer, up to 12
            hours, a WaitCondition waits instead. Default: 6 hours (a BYOL
            import takes at least 90 minutes, three hours with Office).
        :param poll_interval: How often to check the import.
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
        """
        apps = list(applications or [])
        if ingestion_process is not None:
            properties: dict[str, object] = {
                contract.PROP_EC2_IMAGE_ID: source.value,
                contract.PROP_INGESTION_PROCESS: ingestion_process,
            }
            if apps:
                properties[contract.PROP_APPLICATIONS] = apps
            errors = _byol_errors(
                source,
                ingestion_process,
                apps,
                custom_only={
                    "os_version": os_version,
                    "infrastructure_configuration_arn": infrastructure_configuration_arn,
                    "compute_type": compute_type,
                    "protocol": protocol,
                    "validation_mode": validation_mode,
                },
            )
        else:
            properties = {
                source.property_name: source.value,
                contract.PROP_IMPORT_COMPUTE_TYPE: compute_type or DEFAULT_COMPUTE_TYPE,
                contract.PROP_PROTOCOL: protocol or DEFAULT_PROTOCOL,
                contract.PROP_OS_VERSION: os_version or "",
                contract.PROP_INFRASTRUCTURE_CONFIGURATION_ARN: (
                    infrastructure_configuration_arn or ""
                ),
            }
            if validation_mode is not None:
                properties[contract.PROP_IMAGE_VALIDATION_MODE] = validation_mode
            errors = _custom_errors(
                source,
                os_version=os_version,
                infrastructure_configuration_arn=infrastructure_configuration_arn,
                compute_type=compute_type or DEFAULT_COMPUTE_TYPE,
                protocol=protocol or DEFAULT_PROTOCOL,
                validation_mode=validation_mode,
                applications=apps,
            )
        super().__init__(
            scope,
            construct_id,
            resource_type=contract.IMPORT_RESOURCE_TYPE,
            source=properties,
            source_errors=errors,
            grant=lambda provider: provider.allow_importing(
                source.property_name, source.value, custom=ingestion_process is None
            ),
            image_name=image_name,
            description=description,
            tags=tags,
            timeout=timeout or DEFAULT_IMPORT_TIMEOUT,
            poll_interval=poll_interval,
            removal_policy=removal_policy,
            share_with_accounts=share_with_accounts,
            keep_previous_versions=keep_previous_versions,
        )


def _choice(choices: tuple[str, ...]) -> Callable[[str, str], str | None]:
    """A check for ``concrete``: the value is one of ``choices``."""
    return lambda value, label: contract.choice_error(value, label, choices)


def _byol_errors(
    source: ByolImageSource,
    ingestion_process: str,
    applications: list[str],
    custom_only: Mapping[str, str | None],
) -> list[str]:
    """ImportWorkspaceImage's rules."""
    errors = [
        None
        if source.is_ami
        else '"ingestion_process" needs an AMI source (ImportWorkspaceImage imports only '
        "AMIs); for an Image Builder image or an import task, leave ingestion_process out",
        source.error(),
        concrete(
            ingestion_process,
            _choice(contract.INGESTION_PROCESSES),
            "ingestion_process",
        ),
        *(
            concrete(
                app,
                _choice(contract.APPLICATIONS),
                "applications",
            )
            for app in applications
        ),
        '"applications" takes one item at most (ImportWorkspaceImage allows only one)'
        if len(applications) > 1
        else None,
        *(
            f'"{name}" is for ImportCustomWorkspaceImage; leave it out with "ingestion_process"'
            for name, value in custom_only.items()
            if value is not None
        ),
    ]
    return [error for error in errors if error]


def _custom_errors(
    source: ByolImageSource,
    *,
    os_version: str | None,
    infrastructure_configuration_arn: str | None,
    compute_type: str,
    protocol: str,
    validation_mode: str | None,
    applications: list[str],
) -> list[str]:
    """ImportCustomWorkspaceImage's rules."""

    errors = [
        source.error(),
        '"os_version" is required without "ingestion_process" (ImportCustomWorkspaceImage)'
        if os_version is None
        else concrete(os_version, _choice(contract.OS_VERSIONS), "os_version"),
        '"infrastructure_configuration_arn" is required without "ingestion_process" '
        "(ImportCustomWorkspaceImage builds the image with it)"
        if infrastructure_configuration_arn is None
        else concrete(
            infrastructure_configuration_arn,
            lambda value, label: contract.pattern_error(
                value,
                label,
                contract.INFRASTRUCTURE_CONFIGURATION_ARN_PATTERN,
                "an EC2 Image Builder infrastructure configuration ARN",
            ),
            "infrastructure_configuration_arn",
        ),
        concrete(compute_type, _choice(contract.IMPORT_COMPUTE_TYPES), "compute_type"),
        concrete(protocol, _choice(contract.PROTOCOLS), "protocol"),
        None
        if validation_mode is None
        else concrete(validation_mode, _choice(contract.IMAGE_VALIDATION_MODES), "validation_mode"),
        '"applications" needs "ingestion_process" (only ImportWorkspaceImage subscribes to Office)'
        if applications
        else None,
    ]
    return [error for error in errors if error]
