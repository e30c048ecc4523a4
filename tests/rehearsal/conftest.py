"""Fixtures of the rehearsal: the embedded AWS and a CloudFormation driver."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FEATURE_FLAGS, REHEARSAL_WORKSPACE_ID
from tests.rehearsal import fake_workspaces
from tests.rehearsal.cloudformation import CdkApp, CloudFormation, SynthesizedStack
from tests.rehearsal.embedded_aws import ACCOUNT_ID, REGION, SECOND_REGION, EmbeddedAws
from tests.rehearsal.response_endpoint import Response

STACK_NAME = "WorkspaceImageExample"


@pytest.fixture(scope="session")
def embedded_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedAws]:
    aws = EmbeddedAws(tmp_path_factory.mktemp("embedded-aws")).start()
    yield aws
    aws.stop()


@dataclass
class Rehearsal:
    aws: EmbeddedAws
    cfn: CloudFormation
    stack: SynthesizedStack
    logical_id: str
    refs: dict[str, str] = field(default_factory=dict)
    # Properties of the resource under test that a test's world decides (a
    # source seeded in the embedded AWS), on top of the template's.
    overrides: dict[str, Any] = field(default_factory=dict)

    def policy_changed_at_run_time(self) -> list[dict[str, Any]]:
        """Statements of the function's policy that the template did not make."""
        fixed = set(self.stack.logical_ids("AWS::Lambda::Permission"))
        return [
            statement
            for statement in self.aws.function_policy_statements(self.cfn.function.name)
            if statement.get("Sid") not in fixed
        ]

    def properties(self, **overrides: Any) -> dict[str, Any]:
        """The image's properties from the template, with some changed."""
        return self.properties_of(self.logical_id, **overrides)

    def properties_of(
        self, logical_id: str, attributes: dict[str, dict[str, str]] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A resource's properties from the template, resolved, with some changed."""
        props = self.stack.properties(logical_id, self.cfn.function.arn, self.refs, attributes)
        props.pop("ServiceToken")
        if logical_id == self.logical_id:
            props.update(self.overrides)
        props.update(overrides)
        return props


def make_available_at(poll: int) -> Callable[[int], None]:
    """A before_poll hook: every PENDING image becomes AVAILABLE before poll ``poll``."""

    def before_poll(n: int) -> None:
        if n == poll:
            fake_workspaces.finish_pending_images()

    return before_poll


def create_available(rehearsal: Rehearsal, **overrides: Any) -> Response:
    """Create the resource under test; its image is AVAILABLE at the second poll."""
    response = rehearsal.cfn.request(
        "Create",
        rehearsal.logical_id,
        rehearsal.properties(**overrides),
        before_poll=make_available_at(2),
    )
    assert response.status == "SUCCESS", response.reason
    return response


def assert_nothing_scheduled(rehearsal: Rehearsal) -> None:
    """No poll rule or poll state is left, and the function's policy is the template's alone."""
    assert rehearsal.aws.poll_rules() == []
    assert rehearsal.aws.state_parameters() == {}
    assert rehearsal.policy_changed_at_run_time() == []


def _rehearsal(aws: EmbeddedAws, cdk_out: Path, stack_name: str = STACK_NAME) -> Rehearsal:
    aws.reset()
    fake_workspaces.seed_workspace(REHEARSAL_WORKSPACE_ID)
    stack = SynthesizedStack.load(cdk_out, stack_name)
    function = aws.deploy_function(stack.template, cdk_out, stack_name)
    cfn = CloudFormation(aws, function, stack_name=stack_name)
    cfn.resource_types.update(
        {key: value["Type"] for key, value in stack.custom_resources().items()}
    )
    logical_id = sorted(stack.image_resources())[0]
    return Rehearsal(aws, cfn, stack, logical_id)


PARALLEL_STACK = "ThreeImages"
PARALLEL_WORKSPACE_IDS = ("ws-parallel01", "ws-parallel02", "ws-parallel03")


def _synth_three_images(outdir: Path, timeout_minutes: int | None) -> Path:
    """A stack of three independent images; the library's defaults but the timeout."""
    import aws_cdk as cdk

    from cdk_workspace_image import WorkspaceImage

    app = cdk.App(outdir=str(outdir), context=FEATURE_FLAGS)
    stack = cdk.Stack(app, PARALLEL_STACK)
    timeout = cdk.Duration.minutes(timeout_minutes) if timeout_minutes else None
    for n, workspace_id in enumerate(PARALLEL_WORKSPACE_IDS, start=1):
        WorkspaceImage(
            stack,
            f"Image{n}",
            workspace_id=workspace_id,
            image_name=f"parallel-{n}",
            timeout=timeout,
        )
    app.synth()
    return outdir


@pytest.fixture(scope="session")
def three_images_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each image's custom resource waits for it (55 minutes)."""
    return _synth_three_images(tmp_path_factory.mktemp("cdk.out.three"), 55)


@pytest.fixture(scope="session")
def three_long_images_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default timeout: each image answers at once and a WaitCondition waits."""
    return _synth_three_images(tmp_path_factory.mktemp("cdk.out.three-long"), None)


def _three_images(aws: EmbeddedAws, cdk_out: Path) -> Rehearsal:
    rehearsal = _rehearsal(aws, cdk_out, PARALLEL_STACK)
    for workspace_id in PARALLEL_WORKSPACE_IDS:
        fake_workspaces.seed_workspace(workspace_id)
    return rehearsal


@pytest.fixture
def three_images(embedded_aws: EmbeddedAws, three_images_cdk_out: Path) -> Rehearsal:
    return _three_images(embedded_aws, three_images_cdk_out)


@pytest.fixture
def three_long_images(embedded_aws: EmbeddedAws, three_long_images_cdk_out: Path) -> Rehearsal:
    return _three_images(embedded_aws, three_long_images_cdk_out)


# --- a stack at the scale of a Region's quotas ----------------------------------------

SCALE_STACK = "FortyImagesTenBundles"
SCALE_IMAGES = 40  # the default quota of images per Region
SCALE_BUNDLES = 10
# Every fourth image is shared, so that sharing (and unsharing) meets the throttle too.
SCALE_SHARED_EVERY = 4
SCALE_SHARE_WITH = "111122223333"
# The rate the issue rehearses: every WorkSpaces action at 1 call/s, bursts of 2.
SCALE_RATE_PER_SECOND = 1.0
SCALE_BURST = 2
# The scale rehearsal's time scale (real seconds per handler second). At the
# default SLEEP_SCALE (0.02) the second or so that 50 processes still take to
# make their first calls after the start barrier is a minute of handler time,
# and the load never piles up as it does when Lambda starts 50 invocations at
# once. At 0.5 that second is two, as in AWS; botocore's backoff (up to 171 s
# for a call) then takes up to 86 real seconds, and a deploy and destroy
# about 3 minutes.
SCALE_TIME_SCALE = 0.5


def scale_workspace_id(n: int) -> str:
    return f"ws-scale{n:04d}"


def scale_golden_image_id(n: int) -> str:
    """An image that is there before the stack (seeded by the fixture); a bundle uses it."""
    return f"wsi-scalegold{n:02d}"


def _synth_scale(outdir: Path) -> Path:
    """40 images (each its custom resource's own 55-minute wait) and 10 bundles of
    images that exist already: no resource depends on another, so CloudFormation
    creates (and deletes) all 50 at once. Everything is deleted with the stack."""
    import aws_cdk as cdk

    from cdk_workspace_image import WorkspaceBundle, WorkspaceImage

    app = cdk.App(outdir=str(outdir), context=FEATURE_FLAGS)
    stack = cdk.Stack(app, SCALE_STACK)
    for n in range(1, SCALE_IMAGES + 1):
        WorkspaceImage(
            stack,
            f"Image{n}",
            workspace_id=scale_workspace_id(n),
            image_name=f"scale-{n}",
            timeout=cdk.Duration.minutes(55),
            removal_policy=cdk.RemovalPolicy.DESTROY,
            share_with_accounts=[SCALE_SHARE_WITH] if n % SCALE_SHARED_EVERY == 0 else None,
        )
    for n in range(1, SCALE_BUNDLES + 1):
        WorkspaceBundle(
            stack,
            f"Bundle{n}",
            image=WorkspaceImage.from_image_id(stack, f"Golden{n}", scale_golden_image_id(n)),
            bundle_name=f"scale-bundle-{n}",
            compute_type="STANDARD",
            user_storage_gib=50,
            root_storage_gib=80,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
    app.synth()
    return outdir


@pytest.fixture(scope="session")
def scale_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth_scale(tmp_path_factory.mktemp("cdk.out.scale"))


def scale_rehearsal(aws: EmbeddedAws, cdk_out: Path) -> Rehearsal:
    """The 40-image, 10-bundle stack, with its source WorkSpaces and golden images
    seeded; its invocations start together (``simultaneous``) at SCALE_TIME_SCALE."""
    rehearsal = _rehearsal(aws, cdk_out, SCALE_STACK)
    for n in range(1, SCALE_IMAGES + 1):
        fake_workspaces.seed_workspace(scale_workspace_id(n))
    for n in range(1, SCALE_BUNDLES + 1):
        fake_workspaces.seed_image(name=f"golden-{n}", image_id=scale_golden_image_id(n))
    rehearsal.cfn.simultaneous = True
    rehearsal.cfn.function.sleep_scale = SCALE_TIME_SCALE
    return rehearsal


def throttle_every_action() -> None:
    """Every WorkSpaces action at SCALE_RATE_PER_SECOND, bursts of SCALE_BURST,
    in the scale rehearsal's time."""
    fake_workspaces.faults.throttle(
        rate=SCALE_RATE_PER_SECOND, burst=SCALE_BURST, scale=SCALE_TIME_SCALE
    )


def finish_everything_at(poll: int) -> Callable[[int], None]:
    """A before_poll hook: every PENDING image and bundle is AVAILABLE before poll ``poll``."""

    def before_poll(n: int) -> None:
        if n == poll:
            fake_workspaces.finish_pending_images()
            fake_workspaces.finish_pending_bundles()

    return before_poll


@pytest.fixture
def scale(embedded_aws: EmbeddedAws, scale_cdk_out: Path) -> Rehearsal:
    return scale_rehearsal(embedded_aws, scale_cdk_out)


@pytest.fixture
def rehearsal(embedded_aws: EmbeddedAws, example_cdk_out: Path) -> Rehearsal:
    return _rehearsal(embedded_aws, example_cdk_out)


@dataclass
class LongWait:
    """A rehearsal whose image is waited for by a WaitCondition."""

    rehearsal: Rehearsal
    handle_key: str
    handle_url: str


@pytest.fixture
def long_wait(embedded_aws: EmbeddedAws, long_wait_cdk_out: Path) -> LongWait:
    rehearsal = _rehearsal(embedded_aws, long_wait_cdk_out)
    (handle_id,) = rehearsal.stack.logical_ids("AWS::CloudFormation::WaitConditionHandle")
    handle_key, handle_url = rehearsal.cfn.new_wait_handle()
    rehearsal.refs[handle_id] = handle_url
    return LongWait(rehearsal, handle_key, handle_url)


# --- the other ways of making an image ---------------------------------------------

SOURCES_STACK = "ImageSources"
# Placeholders in the template; each test seeds a real source and overrides them.
IMAGE_VERSION_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:image/golden/1.0.0/1"
INFRASTRUCTURE_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/ws"


@dataclass(frozen=True)
class SourceCase:
    """One way of making an image, as a rehearsal needs it."""

    construct_id: str
    # Seeds what the source needs in the embedded AWS; returns the overrides.
    prepare: Callable[[], dict[str, Any]]
    # A property whose bad value only the handler can judge, and the reason's words.
    bad_input: tuple[dict[str, Any], str]
    # A change of the source that makes a new image.
    new_source: Callable[[], dict[str, Any]]

    def __str__(self) -> str:
        return self.construct_id


def _seeded_copy_source() -> dict[str, Any]:
    return {
        "SourceImageId": fake_workspaces.seed_image(
            region=fake_workspaces.SECOND_REGION, name="golden-west"
        )
    }


def _seeded_update_source() -> dict[str, Any]:
    image_id = fake_workspaces.seed_image(name="golden-outdated")
    fake_workspaces.set_update_available(image_id)
    return {"SourceImageId": image_id}


SOURCE_CASES = (
    SourceCase(
        "Copy",
        _seeded_copy_source,
        ({"SourceRegion": "mars-central-1"}, "InvalidParameterValuesException"),
        _seeded_copy_source,
    ),
    SourceCase(
        "Updated",
        _seeded_update_source,
        ({"SourceImageId": "wsi-unknown0001"}, "does not exist"),
        _seeded_update_source,
    ),
    SourceCase(
        "ByolAmi",
        lambda: {"Ec2ImageId": fake_workspaces.seed_ami()},
        ({"IngestionProcess": "BYOL_SOMETHING"}, "\"IngestionProcess\" 'BYOL_SOMETHING'"),
        lambda: {"Ec2ImageId": fake_workspaces.seed_ami(name="golden-byol-2")},
    ),
    SourceCase(
        "CustomImport",
        dict,
        ({"OsVersion": "Windows_95"}, "\"OsVersion\" 'Windows_95' is not one of"),
        lambda: {"ImageBuildVersionArn": IMAGE_VERSION_ARN.replace("1.0.0/1", "1.0.1/1")},
    ),
)


def _synth_sources(outdir: Path, timeout_minutes: int) -> Path:
    """One image of each other source; the library's defaults but the timeout."""
    import aws_cdk as cdk

    from cdk_workspace_image import (
        ByolImageSource,
        ByolWorkspaceImage,
        UpdatedWorkspaceImage,
        WorkspaceImage,
        WorkspaceImageCopy,
    )

    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, SOURCES_STACK)
    timeout = cdk.Duration.minutes(timeout_minutes)
    WorkspaceImageCopy(
        stack,
        "Copy",
        source_image_id="wsi-placeholder1",
        source_region=fake_workspaces.SECOND_REGION,
        image_name="copy-example",
        timeout=timeout,
    )
    UpdatedWorkspaceImage(
        stack,
        "Updated",
        source_image=WorkspaceImage.from_image_id(stack, "Outdated", "wsi-placeholder2"),
        image_name="updated-example",
        timeout=timeout,
    )
    ByolWorkspaceImage(
        stack,
        "ByolAmi",
        source=ByolImageSource.from_ami("ami-0123456789abcdef0"),
        ingestion_process="BYOL_REGULAR_WSP",
        image_name="byol-example",
        timeout=timeout,
    )
    ByolWorkspaceImage(
        stack,
        "CustomImport",
        source=ByolImageSource.from_image_version_arn(IMAGE_VERSION_ARN),
        os_version="Windows_11",
        infrastructure_configuration_arn=INFRASTRUCTURE_ARN,
        image_name="custom-example",
        timeout=timeout,
    )
    app.synth()
    return outdir


@pytest.fixture(scope="session")
def sources_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth_sources(tmp_path_factory.mktemp("cdk.out.sources"), 55)


@pytest.fixture(scope="session")
def long_sources_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth_sources(tmp_path_factory.mktemp("cdk.out.sources-long"), 480)


def construct_resource(stack: SynthesizedStack, construct_id: str) -> str:
    """The logical id of a top-level image construct's custom resource (id + hash)."""
    (logical_id,) = [
        key for key in stack.image_resources() if re.fullmatch(rf"{construct_id}[0-9A-F]{{8}}", key)
    ]
    return logical_id


def _source_rehearsal(aws: EmbeddedAws, cdk_out: Path, case: SourceCase) -> Rehearsal:
    rehearsal = _rehearsal(aws, cdk_out, SOURCES_STACK)
    rehearsal.logical_id = construct_resource(rehearsal.stack, case.construct_id)
    rehearsal.overrides = case.prepare()
    return rehearsal


@pytest.fixture(params=SOURCE_CASES, ids=str)
def source_case(request: pytest.FixtureRequest) -> SourceCase:
    case: SourceCase = request.param
    return case


@pytest.fixture
def source_rehearsal(
    embedded_aws: EmbeddedAws, sources_cdk_out: Path, source_case: SourceCase
) -> Rehearsal:
    """A rehearsal of one image of each other source (parametrized)."""
    return _source_rehearsal(embedded_aws, sources_cdk_out, source_case)


@pytest.fixture
def long_source_wait(
    embedded_aws: EmbeddedAws, long_sources_cdk_out: Path, source_case: SourceCase
) -> LongWait:
    rehearsal = _source_rehearsal(embedded_aws, long_sources_cdk_out, source_case)
    handles = rehearsal.stack.logical_ids("AWS::CloudFormation::WaitConditionHandle")
    handle_id = next(h for h in handles if h.startswith(f"{source_case.construct_id}Handle"))
    handle_key, handle_url = rehearsal.cfn.new_wait_handle()
    rehearsal.refs[handle_id] = handle_url
    return LongWait(rehearsal, handle_key, handle_url)


# --- a monthly release: two stacks, two Regions (docs/release.md) -------------------

RELEASE_BUNDLE = "golden-standard"
RELEASE_VERSIONS = ("2026-11", "2026-12")


def synth_release(outdir: Path, version: str) -> Path:
    """The release of docs/release.md, written the obvious way, at ``version``.

    Stack Golden makes the image; stack Desktops (same Region) bundles it;
    stack GoldenWest copies it to SECOND_REGION and bundles the copy. The
    library's defaults throughout: a WaitCondition waits for each image, and
    a replaced image is kept.
    """
    import aws_cdk as cdk

    from cdk_workspace_image import WorkspaceImage, WorkspaceImageCopy

    app = cdk.App(outdir=str(outdir), context=FEATURE_FLAGS)
    east = cdk.Environment(account=ACCOUNT_ID, region=REGION)
    golden_stack = cdk.Stack(app, "Golden", env=east)
    golden = WorkspaceImage(
        golden_stack,
        "Golden",
        workspace_id=REHEARSAL_WORKSPACE_ID,
        image_name=f"golden-{version}",
    )
    desktops = cdk.Stack(app, "Desktops", env=east)
    standard_bundle(desktops, golden)
    west = cdk.Stack(
        app, "GoldenWest", env=cdk.Environment(account=ACCOUNT_ID, region=SECOND_REGION)
    )
    copy = WorkspaceImageCopy(west, "Golden", source_image=golden, image_name=f"golden-{version}")
    standard_bundle(west, copy)
    app.synth()
    return outdir


def standard_bundle(stack: Any, image: Any) -> Any:
    from cdk_workspace_image import WorkspaceBundle

    return WorkspaceBundle(
        stack,
        "Standard",
        image=image,
        bundle_name=RELEASE_BUNDLE,
        compute_type="STANDARD",
        user_storage_gib=50,
        root_storage_gib=80,
    )


@pytest.fixture(scope="session")
def release_cdk_outs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The release synthesized at each version of RELEASE_VERSIONS."""
    return {
        version: synth_release(tmp_path_factory.mktemp(f"cdk.out.release-{version}"), version)
        for version in RELEASE_VERSIONS
    }


@pytest.fixture
def release_app(embedded_aws: EmbeddedAws) -> CdkApp:
    """A fresh account with the source WorkSpace prepared, for `cdk deploy --all`."""
    embedded_aws.reset()
    fake_workspaces.seed_workspace(REHEARSAL_WORKSPACE_ID)
    return CdkApp(embedded_aws)
