"""An image resource's properties: read from CloudFormation's strings
(ImageSpec, SourceSpec) and checked against the API's rules at deploy time.
Pure: no AWS calls, no clock, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import contract
from actions import (
    BYOL_IMPORT_ACTION,
    COPY_ACTION,
    CREATE_ACTION,
    CUSTOM_IMPORT_ACTION,
    UPDATED_ACTION,
)
from reasons import fit_reason


class InvalidProperties(ValueError):
    """The resource properties break a rule of the API."""


@dataclass(frozen=True)
class SourceSpec:
    """Where an image comes from: the call that starts it, and that call's arguments.

    ``args`` maps resource properties (named as the call names its parameters)
    to their values; any change of them makes a new image.
    """

    action: str
    args: tuple[tuple[str, Any], ...]

    def get(self, key: str) -> Any:
        return dict(self.args).get(key)


# The image resource types' sources: the call, its required and optional properties.
SOURCE_PROPERTIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    CREATE_ACTION: ((contract.PROP_WORKSPACE_ID,), ()),
    # The source image by id, or by name (one of another stack): exactly one.
    COPY_ACTION: (
        (contract.PROP_SOURCE_REGION,),
        (contract.PROP_SOURCE_IMAGE_ID, contract.PROP_SOURCE_IMAGE_NAME),
    ),
    UPDATED_ACTION: ((), (contract.PROP_SOURCE_IMAGE_ID, contract.PROP_SOURCE_IMAGE_NAME)),
    BYOL_IMPORT_ACTION: (
        (contract.PROP_EC2_IMAGE_ID, contract.PROP_INGESTION_PROCESS),
        (contract.PROP_APPLICATIONS,),
    ),
    CUSTOM_IMPORT_ACTION: (
        (
            contract.PROP_IMPORT_COMPUTE_TYPE,
            contract.PROP_PROTOCOL,
            contract.PROP_OS_VERSION,
            contract.PROP_INFRASTRUCTURE_CONFIGURATION_ARN,
        ),
        (*contract.IMPORT_SOURCE_PROPS, contract.PROP_IMAGE_VALIDATION_MODE),
    ),
}


def source_action(resource_type: str, props: Mapping[str, Any]) -> str:
    """The call that makes an image of this resource type, with these properties."""
    if resource_type == contract.COPY_RESOURCE_TYPE:
        return COPY_ACTION
    if resource_type == contract.UPDATED_RESOURCE_TYPE:
        return UPDATED_ACTION
    if resource_type == contract.IMPORT_RESOURCE_TYPE:
        # An ingestion process is ImportWorkspaceImage's alone.
        if props.get(contract.PROP_INGESTION_PROCESS):
            return BYOL_IMPORT_ACTION
        return CUSTOM_IMPORT_ACTION
    return CREATE_ACTION


def read_source(action: str, props: Mapping[str, Any]) -> SourceSpec:
    """The source part of an image's properties, without judging it (``read_spec``
    has checked that the required ones are there)."""
    required, optional = SOURCE_PROPERTIES[action]
    args: list[tuple[str, Any]] = [(key, props[key]) for key in required]
    for key in optional:
        value = props.get(key)
        if isinstance(value, list):
            value = tuple(str(item) for item in value)
        if value not in (None, "", ()):
            args.append((key, value))
    return SourceSpec(action, tuple(args))


def source_errors(source: SourceSpec) -> list[str]:
    """The API's rules for a source's arguments, at deploy time (tokens resolved)."""
    get = source.get
    checks: list[str | None] = []
    if source.action == CREATE_ACTION:
        checks.append(contract.workspace_id_error(get(contract.PROP_WORKSPACE_ID), "WorkspaceId"))
    if source.action in (COPY_ACTION, UPDATED_ACTION):
        checks.append(
            source_image_error(
                get(contract.PROP_SOURCE_IMAGE_ID), get(contract.PROP_SOURCE_IMAGE_NAME)
            )
        )
    if source.action == COPY_ACTION:
        checks.append(contract.region_error(get(contract.PROP_SOURCE_REGION), "SourceRegion"))
    if source.action == BYOL_IMPORT_ACTION:
        checks += [
            contract.pattern_error(
                get(contract.PROP_EC2_IMAGE_ID),
                contract.PROP_EC2_IMAGE_ID,
                contract.AMI_ID_PATTERN,
                "an AMI id",
            ),
            contract.choice_error(
                get(contract.PROP_INGESTION_PROCESS),
                contract.PROP_INGESTION_PROCESS,
                contract.INGESTION_PROCESSES,
            ),
            *(
                contract.choice_error(app, contract.PROP_APPLICATIONS, contract.APPLICATIONS)
                for app in get(contract.PROP_APPLICATIONS) or ()
            ),
        ]
    if source.action == CUSTOM_IMPORT_ACTION:
        checks += [
            *contract.import_source_errors(
                {key: get(key) for key in contract.IMPORT_SOURCE_PROPS},
                {key: key for key in contract.IMPORT_SOURCE_PROPS},
            ),
            contract.choice_error(
                get(contract.PROP_IMPORT_COMPUTE_TYPE),
                contract.PROP_IMPORT_COMPUTE_TYPE,
                contract.IMPORT_COMPUTE_TYPES,
            ),
            contract.choice_error(
                get(contract.PROP_PROTOCOL), contract.PROP_PROTOCOL, contract.PROTOCOLS
            ),
            contract.choice_error(
                get(contract.PROP_OS_VERSION), contract.PROP_OS_VERSION, contract.OS_VERSIONS
            ),
            contract.pattern_error(
                get(contract.PROP_INFRASTRUCTURE_CONFIGURATION_ARN),
                contract.PROP_INFRASTRUCTURE_CONFIGURATION_ARN,
                contract.INFRASTRUCTURE_CONFIGURATION_ARN_PATTERN,
                "an EC2 Image Builder infrastructure configuration ARN",
            ),
            contract.os_protocol_error(
                get(contract.PROP_OS_VERSION),
                get(contract.PROP_PROTOCOL),
                contract.PROP_OS_VERSION,
                contract.PROP_PROTOCOL,
            ),
        ]
        mode = get(contract.PROP_IMAGE_VALIDATION_MODE)
        if mode is not None:
            checks.append(
                contract.choice_error(
                    mode, contract.PROP_IMAGE_VALIDATION_MODE, contract.IMAGE_VALIDATION_MODES
                )
            )
    return [check for check in checks if check]


def source_image_error(image_id: Any, name: Any) -> str | None:
    """A source image is named by exactly one of its id and its name."""
    id_prop, name_prop = contract.PROP_SOURCE_IMAGE_ID, contract.PROP_SOURCE_IMAGE_NAME
    if bool(image_id) == bool(name):
        return f"give exactly one of {id_prop} and {name_prop}"
    if image_id:
        return contract.image_id_error(str(image_id), id_prop)
    return contract.name_error(str(name), name_prop)


def named_image_reason(
    image: Mapping[str, Any] | None,
    name: str,
    region: str,
    tags: Mapping[str, str] | None = None,
) -> str | None:
    """Why the image that another stack makes under ``name`` cannot be used yet, or None.

    Only this account's images are searched (DescribeWorkspaceImages, OWNED):
    names are unique per account and Region, and a bundle needs an image the
    account owns. A parked image (``tags``: a deploy that made it rolled back)
    is not that stack's image until its next deploy adopts it.
    """
    if image is None:
        return fit_reason(
            f"image {name} not found in {region} among this account's images: deploy the "
            "stack that makes it first (cdk deploy does, when both stacks are in the app)"
        )
    state = image.get("State")
    if state != "AVAILABLE":
        return fit_reason(
            f"image {name} ({image.get('ImageId')}) in {region} is {state}, not AVAILABLE: "
            "let the deploy of the stack that makes it finish first"
        )
    if contract.PARKED_TAG in (tags or {}):
        return fit_reason(
            f"image {name} ({image.get('ImageId')}) in {region} was made by a deploy that "
            "rolled back, and is kept only for that stack's next deploy: deploy the stack "
            "that makes it first"
        )
    return None


@dataclass(frozen=True)
class ImageSpec:
    """What the template asks for, with CloudFormation's strings parsed."""

    source: SourceSpec
    name: str
    description: str
    tags: Mapping[str, str] = field(default_factory=dict)
    poll_interval_minutes: float = 1
    timeout_seconds: float = contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS
    # Set when a WaitCondition waits instead of the custom resource.
    wait_handle: str | None = None
    # Accounts the image is shared with once it is AVAILABLE.
    share_with: tuple[str, ...] = ()
    # An updated image's answer when its source has no update (contract.NO_UPDATE_CHOICES).
    if_no_update: str = contract.NO_UPDATE_USE_SOURCE


def read_spec(props: Mapping[str, Any], resource_type: str = contract.RESOURCE_TYPE) -> ImageSpec:
    """Parse resource properties without judging them (old properties included)."""
    action = source_action(resource_type, props)
    required, _ = SOURCE_PROPERTIES[action]
    missing = [
        key
        for key in (*required, contract.PROP_NAME, contract.PROP_DESCRIPTION)
        if not isinstance(props.get(key), str)
    ]
    if missing:
        raise InvalidProperties(f"missing required properties: {', '.join(missing)}")
    source = read_source(action, props)
    try:
        poll = float(props.get(contract.PROP_POLL_INTERVAL_MINUTES, 1))
        timeout = float(
            props.get(contract.PROP_TIMEOUT_SECONDS, contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS)
        )
    except (TypeError, ValueError) as err:
        raise InvalidProperties(
            f"{contract.PROP_POLL_INTERVAL_MINUTES} and {contract.PROP_TIMEOUT_SECONDS} "
            f"must be numbers: {err}"
        ) from err
    return ImageSpec(
        source=source,
        name=props[contract.PROP_NAME],
        description=props[contract.PROP_DESCRIPTION],
        tags=read_tags(props.get(contract.PROP_TAGS)),
        poll_interval_minutes=poll,
        timeout_seconds=timeout,
        wait_handle=props.get(contract.PROP_WAIT_HANDLE) or None,
        share_with=read_accounts(props.get(contract.PROP_SHARE_WITH)),
        if_no_update=str(props.get(contract.PROP_IF_NO_UPDATE) or contract.NO_UPDATE_USE_SOURCE),
    )


def read_accounts(raw: Any) -> tuple[str, ...]:
    """Turn the ``ShareWithAccounts`` property (a list of strings) into a tuple."""
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list):
        raise InvalidProperties(f"{contract.PROP_SHARE_WITH} must be a list of account ids")
    return tuple(str(account) for account in raw)


def read_tags(raw: Any) -> dict[str, str]:
    """Turn the ``Tags`` property (a list of ``{Key, Value}``) into a dict."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, list) or not all(
        isinstance(tag, Mapping) and isinstance(tag.get("Key"), str) for tag in raw
    ):
        raise InvalidProperties(f'{contract.PROP_TAGS} must be a list of {{"Key", "Value"}}')
    return {tag["Key"]: str(tag.get("Value", "")) for tag in raw}


def validate_spec(spec: ImageSpec) -> ImageSpec:
    """Apply the rules the construct applies at synth time, to resolved values."""
    errors = [
        *source_errors(spec.source),
        contract.name_error(spec.name, contract.PROP_NAME),
        contract.description_error(spec.description, contract.PROP_DESCRIPTION),
        contract.poll_interval_error(
            spec.poll_interval_minutes, contract.PROP_POLL_INTERVAL_MINUTES
        ),
        contract.timeout_error(
            spec.timeout_seconds, spec.poll_interval_minutes * 60, contract.PROP_TIMEOUT_SECONDS
        ),
        *contract.tags_errors(spec.tags, contract.PROP_TAGS),
        *contract.account_ids_errors(list(spec.share_with), contract.PROP_SHARE_WITH),
        contract.choice_error(
            spec.if_no_update, contract.PROP_IF_NO_UPDATE, contract.NO_UPDATE_CHOICES
        ),
        _wait_error(spec),
    ]
    found = [error for error in errors if error]
    if found:
        raise InvalidProperties("; ".join(found))
    return spec


def _wait_error(spec: ImageSpec) -> str | None:
    if (
        spec.wait_handle is None
        and spec.timeout_seconds > contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS
    ):
        return (
            f"{contract.PROP_TIMEOUT_SECONDS} over one hour needs {contract.PROP_WAIT_HANDLE} "
            "(the WaitCondition that WorkspaceImage adds for long timeouts): CloudFormation "
            "waits at most one hour for a custom resource"
        )
    return None


def parse_properties(
    props: Mapping[str, Any], resource_type: str = contract.RESOURCE_TYPE
) -> ImageSpec:
    """Read and validate resource properties; raise InvalidProperties on any break."""
    return validate_spec(read_spec(props, resource_type))
