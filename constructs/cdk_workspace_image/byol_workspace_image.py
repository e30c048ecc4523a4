"""ByolWorkspaceImage: a BYOL WorkSpaces image imported from EC2 Image Builder or an AMI."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_imagebuilder as imagebuilder
from constructs import Construct

from cdk_workspace_image._validation import (
    a_str,
    a_str_list,
    an_instance,
    check_types,
    concrete,
    path_of,
)
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


@runtime_checkable
class IImageBuilderImage(Protocol):
    """An EC2 Image Builder image as the L2 constructs present it.

    ``aws_imagebuilder_alpha.Image``, ``Image.from_image_arn(...)`` and
    ``Image.from_image_name(...)`` of ``aws-cdk.aws-imagebuilder-alpha`` are
    such images. This library does not depend on that package: anything with
    an ``image_arn`` is taken.
    """

    @property
    def image_arn(self) -> str:
        """The image's ARN, an image version ARN (``.../image/NAME/1.0.0/1``)."""
        ...


@runtime_checkable
class IImageBuilderInfrastructureConfiguration(Protocol):
    """An EC2 Image Builder infrastructure configuration as the L2 constructs present it.

    ``aws_imagebuilder_alpha.InfrastructureConfiguration`` (and its
    ``from_infrastructure_configuration_arn``) of ``aws-cdk.aws-imagebuilder-alpha``
    is one; anything with an ``infrastructure_configuration_arn`` is taken.
    """

    @property
    def infrastructure_configuration_arn(self) -> str:
        """The infrastructure configuration's ARN."""
        ...


class ByolImageSource:
    """What a BYOL image is imported from: an Image Builder image, an AMI or an import task.

    An AMI works with either call; an Image Builder image and a VM import
    task only with ImportCustomWorkspaceImage. The factories take any value:
    ``ByolWorkspaceImage`` checks it and names the construct that got it.
    """

    def __init__(
        self,
        prop: str,
        value: object,
        label: str,
        *,
        accepts: type | tuple[type, ...] = str,
        expected: str = "a str",
    ) -> None:
        self._prop = prop
        self._given = value
        self._label = label
        self._accepts = accepts
        self._expected = expected

    @classmethod
    def from_image_builder(
        cls, image: imagebuilder.CfnImage | IImageBuilderImage
    ) -> ByolImageSource:
        """An EC2 Image Builder image of this app: ``aws_imagebuilder.CfnImage``, or the L2
        ``aws_imagebuilder_alpha.Image`` (any ``IImageBuilderImage``).

        Its ARN (``attr_arn``, or the L2's ``image_arn``: the build version ARN)
        is used, so CloudFormation imports only after Image Builder has built
        the image.
        """
        return cls(
            contract.PROP_IMAGE_BUILD_VERSION_ARN,
            image,
            "source",
            accepts=(imagebuilder.CfnImage, IImageBuilderImage),
            expected="an EC2 Image Builder image (aws_imagebuilder.CfnImage, or "
            "aws_imagebuilder_alpha.Image) for from_image_builder",
        )

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
        """The AMI id, ARN or task id (a token for a resource of the app)."""
        if isinstance(self._given, imagebuilder.CfnImage):
            return self._given.attr_arn
        if isinstance(self._given, IImageBuilderImage):
            return self._given.image_arn
        return str(self._given)

    def type_error(self) -> str | None:
        """Why the value given to the factory is not of the type it takes, or None."""
        return an_instance(self._label, self._given, self._accepts, self._expected, optional=False)

    def error(self) -> str | None:
        """Why the concrete value cannot be this kind of source, or None."""
        if Token.is_unresolved(self.value):
            return None
        errors = contract.import_source_errors(
            {self._prop: self.value}, dict.fromkeys(contract.IMPORT_SOURCE_PROPS, self._label)
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
        infrastructure_configuration: (
            imagebuilder.CfnInfrastructureConfiguration
            | IImageBuilderInfrastructureConfiguration
            | None
        ) = None,
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
        keep_after_rollback: Duration | None = None,
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
            With ``ingestion_process`` it is optional and used only for
            synth-time checks (ImportWorkspaceImage has no OS argument: the
            AMI's OS is what it is): on Windows 11, no PCoIP ingestion process
            and no Office but ``Microsoft_Office_2019``.
            Default: not checked against the OS (``ingestion_process``).
        :param infrastructure_configuration_arn: The EC2 Image Builder
            infrastructure configuration that builds and tests the image, by
            ARN. ImportCustomWorkspaceImage needs it, or
            ``infrastructure_configuration``; its instance profile's role is
            passed by the import (``iam:PassRole``).
        :param infrastructure_configuration: The same, as a construct:
            ``aws_imagebuilder.CfnInfrastructureConfiguration`` or the L2
            ``aws_imagebuilder_alpha.InfrastructureConfiguration``. Give this
            or ``infrastructure_configuration_arn``, not both.
            Default: ``infrastructure_configuration_arn``.
        :param compute_type: ``BASE``, ``GRAPHICS_G4DN``, ``GRAPHICS_G6`` or
            ``GRAPHICS_G7`` (ImportCustomWorkspaceImage). Default: ``BASE``.
        :param protocol: ``DCV``, ``PCOIP`` or ``BYOP`` (ImportCustomWorkspaceImage).
            Windows 11 does not support PCoIP. Default: ``DCV``.
        :param validation_mode: ``SERVICE_MANAGED`` or ``CUSTOMER_MANAGED``
            (ImportCustomWorkspaceImage). Default: the service's.
        :param ingestion_process: Use ImportWorkspaceImage with this ingestion
            process, for example ``BYOL_REGULAR_WSP``. The source must be an AMI.
            Default: ImportCustomWorkspaceImage is used.
        :param applications: Microsoft Office to subscribe to
            (``Microsoft_Office_2016`` or ``Microsoft_Office_2019``; one at most),
            with ``ingestion_process`` only. On Windows 11, only
            ``Microsoft_Office_2019``, and none with a GPU ingestion process.
            Default: none.
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
        :param keep_after_rollback: How long to keep an image that a deploy finished
            when that deploy rolls back. The next deploy of this resource adopts it
            instead of making it again; after this, any provider of the library in
            the account deletes it (it counts against the image quota meanwhile).
            ``Duration.days(0)`` deletes it as the rollback asks.
            Default: 7 days.
        """
        path = path_of(scope, construct_id)
        check_types(
            path,
            [
                an_instance(
                    "source",
                    source,
                    ByolImageSource,
                    "a ByolImageSource (ByolImageSource.from_image_builder(...), "
                    ".from_image_version_arn(...), .from_ami(...) or .from_import_task(...))",
                    optional=False,
                ),
                *(
                    a_str(name, value, optional=True)
                    for name, value in {
                        "os_version": os_version,
                        "infrastructure_configuration_arn": infrastructure_configuration_arn,
                        "compute_type": compute_type,
                        "protocol": protocol,
                        "validation_mode": validation_mode,
                        "ingestion_process": ingestion_process,
                    }.items()
                ),
                an_instance(
                    "infrastructure_configuration",
                    infrastructure_configuration,
                    (
                        imagebuilder.CfnInfrastructureConfiguration,
                        IImageBuilderInfrastructureConfiguration,
                    ),
                    "an EC2 Image Builder infrastructure configuration "
                    "(aws_imagebuilder.CfnInfrastructureConfiguration, or "
                    "aws_imagebuilder_alpha.InfrastructureConfiguration)",
                ),
                a_str_list("applications", applications),
            ],
        )
        check_types(path, [source.type_error()])
        apps = list(applications or [])
        infrastructure_arn = _infrastructure_arn(
            infrastructure_configuration_arn, infrastructure_configuration
        )
        both = (
            '"infrastructure_configuration" and "infrastructure_configuration_arn" name the '
            "same thing: give one of them"
            if infrastructure_configuration_arn is not None
            and infrastructure_configuration is not None
            else None
        )
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
                os_version,
                custom_only={
                    "infrastructure_configuration_arn": infrastructure_configuration_arn,
                    "infrastructure_configuration": infrastructure_configuration,
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
                contract.PROP_INFRASTRUCTURE_CONFIGURATION_ARN: infrastructure_arn or "",
            }
            if validation_mode is not None:
                properties[contract.PROP_IMAGE_VALIDATION_MODE] = validation_mode
            errors = [
                *(
                    _custom_errors(
                        source,
                        os_version=os_version,
                        infrastructure_configuration_arn=infrastructure_arn,
                        compute_type=compute_type or DEFAULT_COMPUTE_TYPE,
                        protocol=protocol or DEFAULT_PROTOCOL,
                        validation_mode=validation_mode,
                        applications=apps,
                    )
                ),
                *([both] if both else []),
            ]
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
            keep_after_rollback=keep_after_rollback,
        )


def _choice(choices: tuple[str, ...]) -> Callable[[str, str], str | None]:
    """A check for ``concrete``: the value is one of ``choices``."""
    return lambda value, label: contract.choice_error(value, label, choices)


def _infrastructure_arn(
    arn: str | None,
    configuration: imagebuilder.CfnInfrastructureConfiguration
    | IImageBuilderInfrastructureConfiguration
    | None,
) -> str | None:
    """The infrastructure configuration's ARN, from whichever argument gave it."""
    if isinstance(configuration, imagebuilder.CfnInfrastructureConfiguration):
        return configuration.attr_arn
    if configuration is not None:
        return configuration.infrastructure_configuration_arn
    return arn


def _byol_errors(
    source: ByolImageSource,
    ingestion_process: str,
    applications: list[str],
    os_version: str | None,
    custom_only: Mapping[str, object],
) -> list[str]:
    """ImportWorkspaceImage's rules."""
    tokens = [
        value
        for value in (ingestion_process, os_version, *applications)
        if value is not None and Token.is_unresolved(value)
    ]
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
        None
        if os_version is None
        else concrete(os_version, _choice(contract.OS_VERSIONS), "os_version"),
        # The OS rules need every value they compare to be known now.
        *(
            []
            if os_version is None or tokens
            else [
                contract.ingestion_os_error(
                    os_version, ingestion_process, "os_version", "ingestion_process"
                ),
                contract.office_os_error(
                    os_version, ingestion_process, applications, "os_version", "applications"
                ),
            ]
        ),
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
        '(ImportCustomWorkspaceImage builds the image with it), or "infrastructure_configuration"'
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
        if os_version is None or Token.is_unresolved(os_version) or Token.is_unresolved(protocol)
        else contract.os_protocol_error(os_version, protocol, "os_version", "protocol"),
        None
        if validation_mode is None
        else concrete(validation_mode, _choice(contract.IMAGE_VALIDATION_MODES), "validation_mode"),
        '"applications" needs "ingestion_process" (only ImportWorkspaceImage subscribes to Office)'
        if applications
        else None,
    ]
    return [error for error in errors if error]
