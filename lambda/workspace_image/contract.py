"""Names and rules shared by the construct and the Lambda handler.

The construct imports this module as ``cdk_workspace_image.runtime.contract``
to validate concrete values at synth time; the handler imports it as
``contract`` to validate the same properties at deploy time, when tokens have
been resolved. Keep it free of imports from this project so both can load it.

Limits come from botocore's WorkSpaces service model (CreateWorkspaceImage,
CreateTags) and from CloudFormation's custom resource limits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# One resource type per way of making an image; each is served by the same
# lifecycle (images.py) with its own source (sources.py).
RESOURCE_TYPE = "Custom::WorkspaceImage"  # CreateWorkspaceImage, from a WorkSpace
COPY_RESOURCE_TYPE = "Custom::WorkspaceImageCopy"  # CopyWorkspaceImage
UPDATED_RESOURCE_TYPE = "Custom::WorkspaceImageUpdate"  # CreateUpdatedWorkspaceImage
# ImportWorkspaceImage when IngestionProcess is given, else ImportCustomWorkspaceImage.
IMPORT_RESOURCE_TYPE = "Custom::WorkspaceImageImport"
IMAGE_RESOURCE_TYPES = (
    RESOURCE_TYPE,
    COPY_RESOURCE_TYPE,
    UPDATED_RESOURCE_TYPE,
    IMPORT_RESOURCE_TYPE,
)
# Created after a long wait's WaitCondition: answers with the image id, so that
# whatever uses the id waits for the image.
READY_RESOURCE_TYPE = "Custom::WorkspaceImageReady"
PROP_IMAGE_ID = "ImageId"
# A bundle (CreateWorkspaceBundle) of an image; CloudFormation has none either.
BUNDLE_RESOURCE_TYPE = "Custom::WorkspaceBundle"
HANDLER = "index.handler"

# Resource properties, PascalCase like the API they mirror.
PROP_WORKSPACE_ID = "WorkspaceId"
PROP_NAME = "Name"
PROP_DESCRIPTION = "Description"
PROP_TAGS = "Tags"
PROP_POLL_INTERVAL_MINUTES = "PollIntervalMinutes"
PROP_TIMEOUT_SECONDS = "TimeoutSeconds"
# The URL of a WaitConditionHandle, present when the wait outlasts what a
# custom resource may wait (see WAIT_CONDITION_ABOVE_SECONDS).
PROP_WAIT_HANDLE = "WaitHandle"
# Accounts the image is shared with once AVAILABLE (UpdateWorkspaceImagePermission).
PROP_SHARE_WITH = "ShareWithAccounts"
# How many replaced versions of the image to keep (``keep_previous_versions``);
# absent: all of them. Pruning the older ones is the handler's (docs/release.md).
PROP_KEEP_PREVIOUS_VERSIONS = "KeepPreviousVersions"
# What an updated image (CreateUpdatedWorkspaceImage) is when DescribeWorkspaceImages
# reports no update for its source: the source itself (nothing is made), or a failure.
PROP_IF_NO_UPDATE = "IfNoUpdate"
NO_UPDATE_USE_SOURCE = "USE_SOURCE"
NO_UPDATE_FAIL = "FAIL"
NO_UPDATE_CHOICES = (NO_UPDATE_USE_SOURCE, NO_UPDATE_FAIL)

# The sources of the other image resource types, named as their API calls name them.
PROP_SOURCE_IMAGE_ID = "SourceImageId"  # CopyWorkspaceImage, CreateUpdatedWorkspaceImage
PROP_SOURCE_REGION = "SourceRegion"  # CopyWorkspaceImage
# The source by name instead of id, for a source image made in another stack:
# the handler finds it among this account's images in SourceRegion (a copy's)
# or in its own Region (an update's). Names are literals known at synth; ids
# change with every version, so an id must not travel between stacks.
PROP_SOURCE_IMAGE_NAME = "SourceImageName"
PROP_EC2_IMAGE_ID = "Ec2ImageId"  # either import
PROP_IMAGE_BUILD_VERSION_ARN = "ImageBuildVersionArn"  # ImportCustomWorkspaceImage
PROP_EC2_IMPORT_TASK_ID = "Ec2ImportTaskId"  # ImportCustomWorkspaceImage
PROP_INGESTION_PROCESS = "IngestionProcess"  # ImportWorkspaceImage
PROP_APPLICATIONS = "Applications"  # ImportWorkspaceImage
PROP_IMPORT_COMPUTE_TYPE = "ComputeType"  # ImportCustomWorkspaceImage (not a bundle's)
PROP_PROTOCOL = "Protocol"
PROP_OS_VERSION = "OsVersion"
PROP_INFRASTRUCTURE_CONFIGURATION_ARN = "InfrastructureConfigurationArn"
PROP_IMAGE_VALIDATION_MODE = "ImageValidationMode"
IMPORT_SOURCE_PROPS = (PROP_EC2_IMAGE_ID, PROP_IMAGE_BUILD_VERSION_ARN, PROP_EC2_IMPORT_TASK_ID)

# Custom::WorkspaceBundle properties, mirroring CreateWorkspaceBundle.
PROP_BUNDLE_NAME = "BundleName"
PROP_BUNDLE_DESCRIPTION = "BundleDescription"
PROP_COMPUTE_TYPE = "ComputeType"
PROP_USER_STORAGE_GIB = "UserStorageGiB"
PROP_ROOT_STORAGE_GIB = "RootStorageGiB"
# The bundle's image by name: alone for an image of another stack (found at
# deploy among this account's images in the bundle's Region), beside ImageId
# for one of the same stack, so that a new version shows in `cdk diff`.
PROP_IMAGE_NAME = "ImageName"
ATTR_BUNDLE_ID = "BundleId"

# Key of the EventBridge input that invokes the watcher of a long wait.
WATCH_EVENT_KEY = "WorkspaceImageWatch"
# The UniqueId under which the watcher signals the image id.
SIGNAL_UNIQUE_ID = "ImageId"

# Attributes the handler returns in Data (Fn::GetAtt names).
ATTR_IMAGE_ID = "ImageId"
ATTR_NAME = "Name"

# Tags the handler adds to every image it creates, so that a repeated Create
# can recognise its own image (CreateWorkspaceImage has no client token).
OWNER_STACK_TAG = "cdk-workspace-image:stack-id"
OWNER_LOGICAL_ID_TAG = "cdk-workspace-image:logical-id"
# An image that a rolled-back deploy finished is kept until this time (ISO
# 8601, UTC) for the next deploy of its resource to adopt; after it, any
# provider of the library in the account and Region deletes it (retention.py).
PARKED_TAG = "cdk-workspace-image:parked-until"
RESERVED_TAG_KEYS = frozenset({OWNER_STACK_TAG, OWNER_LOGICAL_ID_TAG, PARKED_TAG})

# EventBridge rules that schedule polls are named with this prefix, then the
# stack's own id (``stack_rule_prefix``): the UUID in its StackId, which
# CloudFormation gives each stack, nested stacks included, whatever its name.
# The function's IAM policy and its one fixed invoke permission are scoped to
# the stack's prefix, which the template computes from ``AWS::StackId`` too.
RULE_NAME_PREFIX = "cdk-wsi-"
# The function's environment variable that holds its stack's StackId
# (``AWS::StackId``): the handler serves only events of that stack, and names
# rules and keeps state under that stack's own prefix.
ENV_STACK_ID = "OWNER_STACK_ID"
# Poll and watch state (the ResponseURL or the WaitCondition's URL among it)
# is kept in SSM Parameter Store as a SecureString under this path and the
# stack's UUID, never in the EventBridge rule's target, which anyone with
# events:ListTargetsByRule can read. The target carries only this key, with
# the logical id of the resource whose state to load.
# The function's environment variable that lists, comma-separated, every
# account that an image of the stack is shared with (share_with_accounts): the
# function shares with no other, whatever a request says (trust.share_error).
ENV_SHARE_ACCOUNTS = "SHARE_WITH_ACCOUNTS"
# The environment variable that lets the rehearsal's local HTTPS endpoint
# ("127.0.0.1:PORT") stand in for CloudFormation's buckets (trust.py). The
# provider never sets it: tests/constructs/test_workspace_image.py checks that.
ENV_REHEARSAL_ENDPOINT = "CDK_WORKSPACE_IMAGE_REHEARSAL_ENDPOINT"
# EventBridge invokes the function only through this alias (of $LATEST), and
# CloudFormation only unqualified: the two entry points stay apart, so that
# whoever can put targets on the stack's rules can hand the function a
# schedule reference, never a CloudFormation request (index.handler).
POLL_ALIAS = "poll"
STATE_PATH = "/cdk-workspace-image"
SCHEDULE_EVENT_KEY = "CdkWorkspaceImageSchedule"
# The account's index of parked images, one String parameter per image, which
# every provider reads to collect those whose time is up: it outlives the stack
# (and the function) that parked them.
PARKED_PATH = f"{STATE_PATH}/parked"
# How long an image that a rolled-back deploy finished is kept for the next
# deploy to adopt; 0 deletes it as the rollback asks.
PROP_KEEP_AFTER_ROLLBACK_HOURS = "KeepAfterRollbackHours"
DEFAULT_KEEP_AFTER_ROLLBACK_HOURS = 7 * 24

NAME_CHAR = re.compile(r"[a-zA-Z0-9_./()\-]")
NAME_CHARS = "letters, digits, _ . / ( ) -"
DESCRIPTION_CHAR = re.compile(r"[a-zA-Z0-9_./() \-]")
DESCRIPTION_CHARS = "letters, digits, spaces, _ . / ( ) -"
WORKSPACE_ID_PATTERN = re.compile(r"^ws-[0-9a-z]{8,63}$")
IMAGE_ID_PATTERN = re.compile(r"^wsi-[0-9a-z]{9,63}$")
BUNDLE_ID_PATTERN = re.compile(r"^wsb-[0-9a-z]{8,63}$")
ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
# Patterns and enums of botocore's model for the import and copy calls.
REGION_PATTERN = re.compile(r"^[-0-9a-z]{1,31}$")
AMI_ID_PATTERN = re.compile(r"^ami\-([a-f0-9]{8}|[a-f0-9]{17})$")
IMPORT_TASK_ID_PATTERN = re.compile(r"^import-ami\-([a-zA-Z0-9]{8}|[a-zA-Z0-9]{17})$")
IMAGE_BUILD_VERSION_ARN_PATTERN = re.compile(
    r"^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws(?:-[a-z-]+)?):image/[a-z0-9-_]+/"
    r"(?:(?:([0-9]+|x)\.([0-9]+|x)\.([0-9]+|x))|(?:[0-9]+\.[0-9]+\.[0-9]+/[0-9]+))$"
)
INFRASTRUCTURE_CONFIGURATION_ARN_PATTERN = re.compile(
    r"^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):infrastructure-configuration/"
    r"[a-z0-9-_]+$"
)
INGESTION_PROCESSES = (
    "BYOL_REGULAR",
    "BYOL_GRAPHICS",
    "BYOL_GRAPHICSPRO",
    "BYOL_GRAPHICS_G4DN",
    "BYOL_REGULAR_WSP",
    "BYOL_GRAPHICS_G4DN_WSP",
    "BYOL_REGULAR_BYOP",
    "BYOL_GRAPHICS_G4DN_BYOP",
)
APPLICATIONS = ("Microsoft_Office_2016", "Microsoft_Office_2019")
IMPORT_COMPUTE_TYPES = ("BASE", "GRAPHICS_G4DN", "GRAPHICS_G6", "GRAPHICS_G7")
PROTOCOLS = ("PCOIP", "DCV", "BYOP")
OS_VERSIONS = ("Windows_10", "Windows_11")
IMAGE_VALIDATION_MODES = ("CUSTOMER_MANAGED", "SERVICE_MANAGED")
# Windows 11 and the BYOL imports (botocore's WorkSpaces model, 1.44):
# - ImportCustomWorkspaceImage, Protocol: "Windows 11 does not support PCOIP
#   protocol." The Administration Guide says the same of Windows 11 WorkSpaces;
#   ImportWorkspaceImage has no OS argument, and its ingestion processes name
#   the protocol (PCoIP unless they end in _WSP, which is DCV, or _BYOP).
# - ImportWorkspaceImage, Applications: "non-GPU DCV (formerly WSP) WorkSpaces
#   with Windows 11 support only Microsoft_Office_2019. GPU DCV (formerly WSP)
#   WorkSpaces with Windows 11 do not support Office installation."
WINDOWS_11 = "Windows_11"
PCOIP = "PCOIP"
WINDOWS_11_OFFICE = ("Microsoft_Office_2019",)
# The ComputeType names of botocore's model (shape Compute).
COMPUTE_TYPES = (
    "VALUE",
    "STANDARD",
    "PERFORMANCE",
    "POWER",
    "GRAPHICS",
    "POWERPRO",
    "GENERALPURPOSE_4XLARGE",
    "GENERALPURPOSE_8XLARGE",
    "GRAPHICSPRO",
    "GRAPHICS_G4DN",
    "GRAPHICSPRO_G4DN",
    "GRAPHICS_G6_XLARGE",
    "GRAPHICS_G6_2XLARGE",
    "GRAPHICS_G6_4XLARGE",
    "GRAPHICS_G6_8XLARGE",
    "GRAPHICS_G6_16XLARGE",
    "GRAPHICS_GR6_4XLARGE",
    "GRAPHICS_GR6_8XLARGE",
    "GRAPHICS_G6F_LARGE",
    "GRAPHICS_G6F_XLARGE",
    "GRAPHICS_G6F_2XLARGE",
    "GRAPHICS_G6F_4XLARGE",
    "GRAPHICS_GR6F_4XLARGE",
    "GRAPHICS_G7_2XLARGE",
    "GRAPHICS_G7_4XLARGE",
    "GRAPHICS_G7_8XLARGE",
    "GRAPHICS_G7_12XLARGE",
)
# Volume sizes WorkSpaces accepts, per compute type (Administration Guide, "Modify a
# WorkSpace in WorkSpaces Personal" and "Create a custom WorkSpaces image and bundle
# for WorkSpaces Personal"):
# - Value, Standard, Performance, Power, PowerPro: "[80, 10] [80, 50] [80, 100]
#   [175 to 2000, 100 to 2000]".
# - GeneralPurpose.4xlarge and .8xlarge: "a minimum of 175GB for the root volume and
#   100 GB for the user volume".
# - Graphics, GraphicsPro and their .g4dn kinds "can have the root and user volumes
#   both set to 100 GB minimum". For the later GPU types (G6, Gr6, G6f, Gr6f, G7) the
#   guide says only that storage scales with size, starting at "Root: 100 GB, User:
#   100 GB" for the smallest, so 100/100 is the floor checked here and the service
#   judges the rest.
# A pair is allowed when both sizes fall in one group.
GiBRange = tuple[int, int]


@dataclass(frozen=True)
class VolumeGroup:
    """Root and user sizes that go together: any whole GiB in one of each's ranges."""

    root: tuple[GiBRange, ...]
    user: tuple[GiBRange, ...]


MAX_VOLUME_GIB = 2000
SMALL_ROOT_GROUP = VolumeGroup(root=((80, 80),), user=((10, 10), (50, 50), (100, 100)))
LARGE_ROOT_GROUP = VolumeGroup(root=((175, MAX_VOLUME_GIB),), user=((100, MAX_VOLUME_GIB),))
GPU_GROUP = VolumeGroup(root=((100, MAX_VOLUME_GIB),), user=((100, MAX_VOLUME_GIB),))
VOLUME_GROUPS: dict[str, tuple[VolumeGroup, ...]] = {
    **dict.fromkeys(
        ("VALUE", "STANDARD", "PERFORMANCE", "POWER", "POWERPRO"),
        (SMALL_ROOT_GROUP, LARGE_ROOT_GROUP),
    ),
    **dict.fromkeys(("GENERALPURPOSE_4XLARGE", "GENERALPURPOSE_8XLARGE"), (LARGE_ROOT_GROUP,)),
    **dict.fromkeys((name for name in COMPUTE_TYPES if name.startswith("GRAPHICS")), (GPU_GROUP,)),
}
# WorkSpaces tags: \p{L}\p{Z}\p{N} plus _ . : / = + - @ ; Python's \w covers
# letters, digits and underscore in every script.
TAG_PATTERN = re.compile(r"^[\w\s.:/=+\-@]*$")
TAG_CHARS = "letters, digits, spaces, _ . : / = + - @"

MAX_TAGS_PER_RESOURCE = 50
MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - len(RESERVED_TAG_KEYS)
MAX_TAG_KEY_LENGTH = 127
MAX_TAG_VALUE_LENGTH = 255

MIN_POLL_INTERVAL_MINUTES = 1
# CloudFormation waits at most one hour for a custom resource (ServiceTimeout).
MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS = 3600
# Up to here the custom resource itself waits (one hour, less a margin); a
# longer timeout waits in an AWS::CloudFormation::WaitCondition instead.
WAIT_CONDITION_ABOVE_SECONDS = 55 * 60
# A WaitCondition waits at most 12 hours.
MAX_TIMEOUT_SECONDS = 12 * 3600


# The provider function's timeout. Each invocation makes a few API calls, and
# no call starts so late that it could outlast this (common.Patience).
FUNCTION_TIMEOUT_SECONDS = 10 * 60

# A Delete waits this long for a PENDING image to be done, so that it can be
# deleted; it fits in the custom resource's ServiceTimeout (one hour).
DELETE_WAIT_SECONDS = 55 * 60
# How long a bundle may stay PENDING before the deploy fails; it fits in the
# bundle resource's ServiceTimeout (30 minutes).
BUNDLE_WAIT_SECONDS = 25 * 60


def stack_uuid(stack_id: str) -> str:
    """The UUID of a StackId (``arn:...:stack/NAME/UUID``), unique to each stack."""
    parts = stack_id.split("/")
    if len(parts) != 3 or not STACK_UUID_PATTERN.match(parts[2]):
        raise ValueError(f"not a CloudFormation StackId: {stack_id!r}")
    return parts[2]


def account_of(stack_id: str) -> str:
    """The account in a StackId ARN (``arn:aws:cloudformation:REGION:ACCOUNT:stack/...``)."""
    parts = stack_id.split(":")
    return parts[4] if len(parts) > 5 else ""


STACK_UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def stack_rule_prefix(stack_id: str) -> str:
    """The name prefix of one stack's poll rules, from its StackId.

    The template computes the same from ``AWS::StackId`` (provider.py), so the
    grants and the invoke permission match the names the handler uses.
    """
    return f"{RULE_NAME_PREFIX}{stack_uuid(stack_id)}-"


def state_path(stack_id: str) -> str:
    """Where one stack's poll and watch state lives in SSM Parameter Store."""
    return f"{STATE_PATH}/{stack_uuid(stack_id)}"


def stack_name_of(stack_id: str) -> str:
    """The stack's name, from its StackId (``arn:...:stack/NAME/UUID``)."""
    parts = stack_id.split("/")
    return parts[1] if len(parts) >= 3 else stack_id


def name_error(value: str, label: str) -> str | None:
    """Return why ``value`` is not a valid image name, or None."""
    if not 1 <= len(value) <= 64:
        return f'"{label}" must be 1-64 characters long, got {len(value)}: {value!r}'
    bad = _first_char_outside(value, NAME_CHAR)
    if bad is not None:
        return f'"{label}" {value!r} contains {bad!r}; allowed: {NAME_CHARS}'
    return None


def description_error(value: str, label: str, max_length: int = 256) -> str | None:
    """Return why ``value`` is not a valid description (of an image, by default), or None."""
    if not 1 <= len(value) <= max_length:
        return f'"{label}" must be 1-{max_length} characters long, got {len(value)}'
    bad = _first_char_outside(value, DESCRIPTION_CHAR)
    if bad is not None:
        return f'"{label}" {value!r} contains {bad!r}; allowed: {DESCRIPTION_CHARS}'
    return None


def workspace_id_error(value: str, label: str) -> str | None:
    """Return why ``value`` is not a WorkSpace id, or None."""
    if not WORKSPACE_ID_PATTERN.match(value):
        return (
            f'"{label}" {value!r} is not a WorkSpace id; expected "ws-" followed by '
            "8-63 lowercase letters or digits, as DescribeWorkspaces shows it"
        )
    return None


def tags_errors(tags: Mapping[str, str], label: str) -> list[str]:
    """Return every reason why ``tags`` cannot be put on an image."""
    errors: list[str] = []
    if len(tags) > MAX_USER_TAGS:
        errors.append(
            f'"{label}" has {len(tags)} tags; at most {MAX_USER_TAGS} are allowed '
            f"({MAX_TAGS_PER_RESOURCE} per image, {len(RESERVED_TAG_KEYS)} of them "
            "used by cdk-workspace-image to recognise its own images)"
        )
    for key, value in tags.items():
        if key in RESERVED_TAG_KEYS:
            errors.append(f'"{label}" key {key!r} is reserved for cdk-workspace-image')
        elif key.lower().startswith("aws:"):
            errors.append(f'"{label}" key {key!r} starts with "aws:", which AWS reserves')
        if not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            errors.append(
                f'"{label}" key {key[:40]!r} must be 1-{MAX_TAG_KEY_LENGTH} characters, '
                f"got {len(key)}"
            )
        elif not TAG_PATTERN.match(key):
            errors.append(f'"{label}" key {key!r} has a character outside {TAG_CHARS}')
        if len(value) > MAX_TAG_VALUE_LENGTH:
            errors.append(
                f'"{label}" value of {key[:40]!r} must be at most {MAX_TAG_VALUE_LENGTH} '
                f"characters, got {len(value)}"
            )
        elif not TAG_PATTERN.match(value):
            errors.append(f'"{label}" value of {key!r} has a character outside {TAG_CHARS}')
    return errors


def poll_interval_error(minutes: float, label: str) -> str | None:
    """Return why ``minutes`` is not a usable poll interval, or None."""
    if minutes != int(minutes) or minutes < MIN_POLL_INTERVAL_MINUTES:
        return (
            f'"{label}" must be a whole number of minutes, at least '
            f"{MIN_POLL_INTERVAL_MINUTES} (EventBridge schedules run at most once a minute), "
            f"got {minutes:g} minutes"
        )
    return None


def timeout_error(seconds: float, poll_interval_seconds: float, label: str) -> str | None:
    """Return why ``seconds`` is not a usable timeout, or None."""
    if seconds > MAX_TIMEOUT_SECONDS:
        return (
            f'"{label}" must be at most 12 hours: a CloudFormation WaitCondition waits at '
            f"most 12 hours, got {seconds / 3600:g} hours"
        )
    if seconds <= poll_interval_seconds:
        return (
            f'"{label}" ({seconds / 60:g} minutes) must be longer than the poll interval '
            f"({poll_interval_seconds / 60:g} minutes), or no poll fits in it"
        )
    return None


# Parked images count against the image quota (40 per Region): a year at most.
MAX_KEEP_AFTER_ROLLBACK_HOURS = 365 * 24


def keep_after_rollback_error(hours: float, label: str) -> str | None:
    """Return why ``hours`` is not how long to keep a finished image after a rollback."""
    if not 0 <= hours <= MAX_KEEP_AFTER_ROLLBACK_HOURS:
        return (
            f'"{label}" must be between 0 and 365 days (a parked image counts against the '
            f"image quota), got {hours / 24:g} days"
        )
    return None


def keep_previous_versions_error(value: object, label: str) -> str | None:
    """Return why ``value`` is not a number of previous versions to keep, or None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return (
            f'"{label}" must be a whole number, 0 or more, or None to keep every '
            f"previous version; got {value!r}"
        )
    return None


def account_ids_errors(accounts: list[str], label: str) -> list[str]:
    """Return why any of ``accounts`` cannot be shared with."""
    errors = [
        f'"{label}" {account!r} is not an AWS account id (12 digits)'
        for account in accounts
        if not ACCOUNT_ID_PATTERN.match(account)
    ]
    if len(set(accounts)) != len(accounts):
        errors.append(f'"{label}" lists an account more than once')
    return errors


def bundle_name_error(value: str, label: str) -> str | None:
    """Bundle names follow the rule of image names (botocore: WorkspaceBundleName)."""
    return name_error(value, label)


def bundle_description_error(value: str, label: str) -> str | None:
    """Bundle descriptions allow one character less (botocore: WorkspaceBundleDescription)."""
    return description_error(value, label, max_length=255)


def compute_type_error(value: str, label: str) -> str | None:
    if value not in COMPUTE_TYPES:
        return f'"{label}" {value!r} is not a WorkSpaces compute type; one of: ' + ", ".join(
            COMPUTE_TYPES
        )
    return None


def storage_error(
    compute_type: str, root_gib: float, user_gib: float, root_label: str, user_label: str
) -> str | None:
    """Return why a root and user volume size cannot go together for ``compute_type``, or None.

    An unknown compute type passes here: ``compute_type_error`` reports it.
    """
    groups = VOLUME_GROUPS.get(compute_type)
    if groups is None or any(
        _in_ranges(root_gib, group.root) and _in_ranges(user_gib, group.user) for group in groups
    ):
        return None
    rule = ", or ".join(
        f"{root_label} {_describe(group.root)} with {user_label} {_describe(group.user)}"
        for group in groups
    )
    return (
        f'"{root_label}" {root_gib:g} and "{user_label}" {user_gib:g} do not go together '
        f"for {compute_type}; allowed: {rule} (GiB)"
    )


def image_id_error(value: str, label: str) -> str | None:
    """Return why ``value`` is not a WorkSpaces image id, or None."""
    if not is_image_id(value):
        return (
            f'"{label}" {value!r} is not an image id; expected "wsi-" followed by '
            "9-63 lowercase letters or digits"
        )
    return None


def region_error(value: str, label: str) -> str | None:
    if not REGION_PATTERN.match(value):
        return f'"{label}" {value!r} is not a Region name (for example us-east-1)'
    return None


def pattern_error(value: str, label: str, pattern: re.Pattern[str], what: str) -> str | None:
    """Return why ``value`` does not match ``pattern`` (described as ``what``), or None."""
    if not pattern.match(value):
        return f'"{label}" {value!r} is not {what}'
    return None


def choice_error(value: str, label: str, choices: tuple[str, ...]) -> str | None:
    if value not in choices:
        return f'"{label}" {value!r} is not one of: {", ".join(choices)}'
    return None


def os_protocol_error(
    os_version: str, protocol: str, os_label: str, protocol_label: str
) -> str | None:
    """Why ``protocol`` cannot serve an image of ``os_version`` (ImportCustomWorkspaceImage)."""
    if os_version == WINDOWS_11 and protocol == PCOIP:
        return (
            f'"{protocol_label}" PCOIP cannot serve "{os_label}" Windows_11: Windows 11 does '
            "not support PCoIP (ImportCustomWorkspaceImage API reference); use DCV"
        )
    return None


def ingestion_protocol(ingestion_process: str) -> str:
    """The protocol an ImportWorkspaceImage ingestion process names: DCV, BYOP or PCOIP."""
    if ingestion_process.endswith("_WSP"):
        return "DCV"
    if ingestion_process.endswith("_BYOP"):
        return "BYOP"
    return PCOIP


def ingestion_os_error(
    os_version: str, ingestion_process: str, os_label: str, ingestion_label: str
) -> str | None:
    """Why ``ingestion_process`` cannot import an image of ``os_version`` (ImportWorkspaceImage)."""
    if (
        os_version == WINDOWS_11
        and ingestion_process in INGESTION_PROCESSES
        and ingestion_protocol(ingestion_process) == PCOIP
    ):
        return (
            f'"{ingestion_label}" {ingestion_process} is a PCoIP ingestion process, and '
            f'"{os_label}" Windows_11 does not support PCoIP: use one that ends in _WSP '
            "(DCV), for example BYOL_REGULAR_WSP"
        )
    return None


def office_os_error(
    os_version: str,
    ingestion_process: str,
    applications: Sequence[str],
    os_label: str,
    applications_label: str,
) -> str | None:
    """Why Office ``applications`` cannot be subscribed on ``os_version`` (ImportWorkspaceImage).

    Only the documented Windows 11 cases are judged: the ImportWorkspaceImage
    API reference says nothing of Windows 10 or of BYOP ingestion processes.
    """
    if os_version != WINDOWS_11 or not applications:
        return None
    if (
        ingestion_process not in INGESTION_PROCESSES
        or ingestion_protocol(ingestion_process) != "DCV"
    ):
        return None
    if "GRAPHICS" in ingestion_process:
        return (
            f'"{applications_label}" cannot subscribe to Office with {ingestion_process} on '
            f'"{os_label}" Windows_11: GPU DCV WorkSpaces with Windows 11 do not support Office '
            "installation (ImportWorkspaceImage API reference); leave applications out"
        )
    other = [app for app in applications if app not in WINDOWS_11_OFFICE]
    if other:
        return (
            f'"{applications_label}" {other[0]} is not available on "{os_label}" Windows_11: '
            "Windows 11 supports only Microsoft_Office_2019 (ImportWorkspaceImage API reference)"
        )
    return None


def import_source_errors(sources: Mapping[str, str], labels: Mapping[str, str]) -> list[str]:
    """Exactly one image source for ImportCustomWorkspaceImage, each of its own form."""
    given = {key: value for key, value in sources.items() if value}
    if len(given) != 1:
        names = " or ".join(f'"{labels[key]}"' for key in IMPORT_SOURCE_PROPS)
        return [f"give exactly one image source: {names}; got {len(given)}"]
    ((key, value),) = given.items()
    forms = {
        PROP_EC2_IMAGE_ID: (AMI_ID_PATTERN, 'an AMI id ("ami-" and 8 or 17 hex digits)'),
        PROP_IMAGE_BUILD_VERSION_ARN: (
            IMAGE_BUILD_VERSION_ARN_PATTERN,
            "an EC2 Image Builder image version ARN (arn:aws:imagebuilder:REGION:ACCOUNT:"
            "image/NAME/1.0.0 or .../1.0.0/1)",
        ),
        PROP_EC2_IMPORT_TASK_ID: (
            IMPORT_TASK_ID_PATTERN,
            'a VM import task id ("import-ami-" and 8 or 17 letters or digits)',
        ),
    }
    pattern, what = forms[key]
    error = pattern_error(value, labels[key], pattern, what)
    return [error] if error else []


def is_image_id(value: str) -> bool:
    """Tell whether ``value`` looks like a WorkSpaces image id."""
    return bool(IMAGE_ID_PATTERN.match(value))


def is_bundle_id(value: str) -> bool:
    """Tell whether ``value`` looks like a WorkSpaces bundle id."""
    return bool(BUNDLE_ID_PATTERN.match(value))


def _in_ranges(size: float, ranges: tuple[GiBRange, ...]) -> bool:
    # The range test comes first: int() of NaN or infinity raises.
    return any(low <= size <= high for low, high in ranges) and size == int(size)


def _describe(ranges: tuple[GiBRange, ...]) -> str:
    return ", ".join(str(low) if low == high else f"{low}-{high}" for low, high in ranges)


def _first_char_outside(value: str, allowed: re.Pattern[str]) -> str | None:
    return next((char for char in value if not allowed.fullmatch(char)), None)
