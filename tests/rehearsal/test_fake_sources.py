"""The fake's other sources of an image behave as the service's API model says.

moto 5.2 has no ImportWorkspaceImage, ImportCustomWorkspaceImage,
DescribeCustomWorkspaceImageImport, CopyWorkspaceImage or
CreateUpdatedWorkspaceImage; the fake adds them. These tests pin that
behaviour through boto3, against the same server the handler talks to, in
both of the Regions the embedded AWS serves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.rehearsal import fake_workspaces
from tests.rehearsal.embedded_aws import ACCOUNT_ID, REGION, SECOND_REGION, EmbeddedAws
from tests.rehearsal.fake_clients import image
from tests.rehearsal.fake_workspaces import faults

OTHER_ACCOUNT = "111122223333"
UNKNOWN_IMAGE_ID = "wsi-000000000"
UNKNOWN_AMI_ID = "ami-0123456789abcdef0"
INFRASTRUCTURE = (
    f"arn:aws:imagebuilder:{REGION}:{ACCOUNT_ID}:infrastructure-configuration/golden-infra"
)
IMAGE_BUILD_VERSION = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT_ID}:image/golden-recipe/1.0.0/1"
# The stages of a custom image import, in the order the API model lists them.
STAGES = [
    "PENDING",
    "IN_PROGRESS",
    "PROCESSING_SOURCE_IMAGE",
    "IMAGE_TESTING_START",
    "UPDATING_OPERATING_SYSTEM",
    "IMAGE_COMPATIBILITY_CHECKING",
    "IMAGE_TESTING_GENERALIZATION",
    "CREATING_TEST_INSTANCE",
    "INSTALLING_COMPONENTS",
    "GENERALIZING",
    "VALIDATING",
    "PUBLISHING",
    "COMPLETED",
]
TAGS = [{"Key": "team", "Value": "desktops"}]


@pytest.fixture
def aws(embedded_aws: EmbeddedAws) -> Iterator[EmbeddedAws]:
    """A fresh account in both Regions with no switch set; reset afterwards."""
    embedded_aws.reset()
    yield embedded_aws
    embedded_aws.reset()


@pytest.fixture
def workspaces(aws: EmbeddedAws) -> Any:
    """A client in REGION, the Region the handler runs in."""
    return aws.client("workspaces")


@pytest.fixture
def west(aws: EmbeddedAws) -> Any:
    """A client in SECOND_REGION."""
    return aws.client("workspaces", SECOND_REGION)


@pytest.fixture
def unchecked(aws: EmbeddedAws) -> Any:
    """A client that sends what botocore would refuse, to reach the server's checks."""
    return aws.client("workspaces", config=Config(parameter_validation=False))


# --- helpers -------------------------------------------------------------------


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def described(workspaces: Any, image_id: str) -> dict[str, Any]:
    (found,) = workspaces.describe_workspace_images(ImageIds=[image_id])["Images"]
    return dict(found)


def byol(workspaces: Any, ami_id: str, name: str = "golden-byol", **extra: Any) -> str:
    return str(
        workspaces.import_workspace_image(
            Ec2ImageId=ami_id,
            IngestionProcess="BYOL_REGULAR_WSP",
            ImageName=name,
            ImageDescription="golden BYOL image",
            **extra,
        )["ImageId"]
    )


def custom_request(**overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "ImageName": "golden-custom",
        "ImageDescription": "golden image from Image Builder",
        "ComputeType": "BASE",
        "Protocol": "DCV",
        "ImageSource": {"ImageBuildVersionArn": IMAGE_BUILD_VERSION},
        "InfrastructureConfigurationArn": INFRASTRUCTURE,
        "Platform": "WINDOWS",
        "OsVersion": "Windows_11",
    }
    request.update(overrides)
    return request


def custom(workspaces: Any, **overrides: Any) -> str:
    return str(workspaces.import_custom_workspace_image(**custom_request(**overrides))["ImageId"])


def import_of(workspaces: Any, image_id: str) -> dict[str, Any]:
    found = workspaces.describe_custom_workspace_image_import(ImageId=image_id)
    found.pop("ResponseMetadata")
    return dict(found)


def copy(workspaces: Any, source_id: str, region: str = SECOND_REGION, **extra: Any) -> str:
    return str(
        workspaces.copy_workspace_image(
            Name=extra.pop("Name", "golden-copy"),
            SourceImageId=source_id,
            SourceRegion=region,
            **extra,
        )["ImageId"]
    )


def updated(workspaces: Any, source_id: str, name: str = "golden-updated", **extra: Any) -> str:
    return str(
        workspaces.create_updated_workspace_image(
            Name=name, Description="golden image updated", SourceImageId=source_id, **extra
        )["ImageId"]
    )


# --- ImportWorkspaceImage ------------------------------------------------------


def test_import_makes_a_pending_byol_windows_image_of_the_account(workspaces: Any) -> None:
    # GIVEN a licensed Windows AMI of the account
    ami_id = fake_workspaces.seed_ami()

    # WHEN it is imported
    image_id = byol(workspaces, ami_id)

    # THEN a PENDING Windows image of the account, on dedicated hardware, exists
    found = described(workspaces, image_id)
    assert {key: found[key] for key in ("Name", "Description", "State", "OwnerAccountId")} == {
        "Name": "golden-byol",
        "Description": "golden BYOL image",
        "State": "PENDING",
        "OwnerAccountId": ACCOUNT_ID,
    }
    assert found["OperatingSystem"] == {"Type": "WINDOWS"}
    assert found["RequiredTenancy"] == "DEDICATED"


def test_import_records_the_ami_it_was_made_from(workspaces: Any) -> None:
    # GIVEN an AMI
    ami_id = fake_workspaces.seed_ami()

    # WHEN it is imported with an Office subscription
    image_id = byol(workspaces, ami_id, Applications=["Microsoft_Office_2019"])

    # THEN the image records the AMI, the ingestion process and the application
    assert fake_workspaces.image_source(image_id) == {
        "Ec2ImageId": ami_id,
        "IngestionProcess": "BYOL_REGULAR_WSP",
        "Applications": ["Microsoft_Office_2019"],
    }


def test_import_is_finished_by_finish_pending_images(workspaces: Any) -> None:
    # GIVEN a PENDING imported image
    image_id = byol(workspaces, fake_workspaces.seed_ami())

    # WHEN the service is done building
    fake_workspaces.finish_pending_images()

    # THEN it is AVAILABLE
    assert described(workspaces, image_id)["State"] == "AVAILABLE"


def test_import_of_an_unknown_ami_is_not_found(workspaces: Any, aws: EmbeddedAws) -> None:
    # GIVEN no AMI with that id
    # WHEN it is imported
    with pytest.raises(ClientError) as raised:
        byol(workspaces, UNKNOWN_AMI_ID)

    # THEN it is not found, and no image was made
    code, message = error_of(raised)
    assert code == "ResourceNotFoundException"
    assert UNKNOWN_AMI_ID in message
    assert aws.images() == {}


def test_import_of_an_ami_of_the_other_region_is_not_found(workspaces: Any) -> None:
    # GIVEN an AMI in the second Region only
    ami_id = fake_workspaces.seed_ami(region=SECOND_REGION)

    # WHEN it is imported in the first
    # THEN it is not found there
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        byol(workspaces, ami_id)


def test_import_of_an_ami_another_account_owns_is_invalid(
    workspaces: Any, aws: EmbeddedAws
) -> None:
    # GIVEN an AMI the account can see but another account owns
    ami_id = fake_workspaces.seed_ami(owner=OTHER_ACCOUNT)

    # WHEN it is imported
    with pytest.raises(ClientError) as raised:
        byol(workspaces, ami_id)

    # THEN it is refused: the account must own the image
    code, message = error_of(raised)
    assert code == "InvalidParameterValuesException"
    assert "you must own the image" in message
    assert aws.images() == {}


def test_import_with_a_name_already_taken_already_exists(workspaces: Any) -> None:
    # GIVEN an image named golden, made from a WorkSpace
    image(workspaces, name="golden")

    # WHEN an AMI is imported under the same name
    # THEN the name is taken
    with pytest.raises(workspaces.exceptions.ResourceAlreadyExistsException):
        byol(workspaces, fake_workspaces.seed_ami(), name="golden")


def test_import_with_an_unknown_ingestion_process_is_invalid(workspaces: Any) -> None:
    # GIVEN an AMI
    ami_id = fake_workspaces.seed_ami()

    # WHEN it is imported with an ingestion process outside the model's enum
    with pytest.raises(ClientError) as raised:
        workspaces.import_workspace_image(
            Ec2ImageId=ami_id,
            IngestionProcess="BYOL_FANCY",
            ImageName="golden-byol",
            ImageDescription="golden BYOL image",
        )

    # THEN the value is refused, and the message names the member
    code, message = error_of(raised)
    assert code == "InvalidParameterValuesException"
    assert "'IngestionProcess'" in message


def test_import_with_a_malformed_ami_id_is_invalid(workspaces: Any) -> None:
    # GIVEN an AMI id that does not match the model's pattern
    # WHEN it is imported
    # THEN it is refused before any lookup
    with pytest.raises(workspaces.exceptions.InvalidParameterValuesException):
        byol(workspaces, "ami-XYZ")


def test_import_with_two_applications_is_invalid(workspaces: Any) -> None:
    # GIVEN an AMI
    ami_id = fake_workspaces.seed_ami()

    # WHEN it is imported with two Office versions (the API takes one at this time)
    # THEN it is refused
    with pytest.raises(workspaces.exceptions.InvalidParameterValuesException):
        byol(workspaces, ami_id, Applications=["Microsoft_Office_2016", "Microsoft_Office_2019"])


# --- ImportCustomWorkspaceImage and DescribeCustomWorkspaceImageImport ---------


def test_custom_import_answers_the_image_id_and_a_pending_state(workspaces: Any) -> None:
    # GIVEN an Image Builder image version
    # WHEN it is imported
    answer = workspaces.import_custom_workspace_image(**custom_request())

    # THEN the answer has the image's id and the import's state, PENDING
    assert answer["ImageId"].startswith("wsi-")
    assert answer["State"] == "PENDING"


def test_custom_import_makes_a_pending_image_of_the_account(workspaces: Any) -> None:
    # GIVEN an Image Builder image version
    # WHEN it is imported
    image_id = custom(workspaces)

    # THEN a PENDING Windows image of the account exists
    found = described(workspaces, image_id)
    assert (found["State"], found["OwnerAccountId"], found["OperatingSystem"]) == (
        "PENDING",
        ACCOUNT_ID,
        {"Type": "WINDOWS"},
    )


def test_custom_import_starts_pending_at_zero_percent(workspaces: Any) -> None:
    # GIVEN a custom image import just made
    image_id = custom(workspaces)

    # WHEN it is described
    found = import_of(workspaces, image_id)

    # THEN it is PENDING at 0 %, with the source and infrastructure it was given
    assert found["ImageId"] == image_id
    assert found["State"] == "PENDING"
    assert found["ProgressPercentage"] == 0
    assert found["ImageSource"] == {"ImageBuildVersionArn": IMAGE_BUILD_VERSION}
    assert found["InfrastructureConfigurationArn"] == INFRASTRUCTURE
    assert found["StateMessage"]
    assert "ErrorDetails" not in found


def test_custom_import_goes_through_the_stages_in_order(workspaces: Any) -> None:
    # GIVEN a custom image import
    image_id = custom(workspaces)

    # WHEN it is moved on one stage at a time
    seen = [import_of(workspaces, image_id)["State"]]
    for _ in range(len(STAGES) + 1):
        fake_workspaces.advance_imports()
        seen.append(import_of(workspaces, image_id)["State"])

    # THEN it went through every stage in the model's order and stayed COMPLETED
    assert seen == [*STAGES, "COMPLETED", "COMPLETED"]


def test_custom_import_progress_rises_to_100_at_completed(workspaces: Any) -> None:
    # GIVEN a custom image import
    image_id = custom(workspaces)

    # WHEN it is moved on to the end
    percentages = [import_of(workspaces, image_id)["ProgressPercentage"]]
    for _ in range(len(STAGES) - 1):
        fake_workspaces.advance_imports()
        percentages.append(import_of(workspaces, image_id)["ProgressPercentage"])

    # THEN the percentage rose at every stage, from 0 to 100
    assert percentages[0] == 0
    assert percentages[-1] == 100
    assert all(later > earlier for earlier, later in pairwise(percentages))


def test_custom_import_image_is_pending_until_the_import_completes(workspaces: Any) -> None:
    # GIVEN a custom image import one stage short of COMPLETED
    image_id = custom(workspaces)
    fake_workspaces.advance_imports(steps=len(STAGES) - 2)
    assert import_of(workspaces, image_id)["State"] == "PUBLISHING"
    assert described(workspaces, image_id)["State"] == "PENDING"

    # WHEN it takes its last step
    fake_workspaces.advance_imports()

    # THEN the image is AVAILABLE
    assert described(workspaces, image_id)["State"] == "AVAILABLE"


def test_custom_import_names_its_builder_instance_once_started(workspaces: Any) -> None:
    # GIVEN a custom image import that has started
    image_id = custom(workspaces)
    assert "ImageBuilderInstanceId" not in import_of(workspaces, image_id)

    # WHEN it is moved on
    fake_workspaces.advance_imports()

    # THEN it names an EC2 instance
    assert import_of(workspaces, image_id)["ImageBuilderInstanceId"].startswith("i-")


def test_failed_custom_import_has_error_details_and_fails_its_image(workspaces: Any) -> None:
    # GIVEN a custom image import under way
    image_id = custom(workspaces)
    fake_workspaces.advance_imports(steps=4)

    # WHEN it fails its compatibility check
    fake_workspaces.fail_import(image_id, "OfficeInstalled", "Office is installed.")

    # THEN the import is ERROR with the details, and so is its image
    found = import_of(workspaces, image_id)
    assert found["State"] == "ERROR"
    assert found["ErrorDetails"] == [
        {"ErrorCode": "OfficeInstalled", "ErrorMessage": "Office is installed."}
    ]
    image_found = described(workspaces, image_id)
    assert (image_found["State"], image_found["ErrorCode"]) == ("ERROR", "OfficeInstalled")


def test_failed_custom_import_is_not_moved_on(workspaces: Any) -> None:
    # GIVEN a failed custom image import
    image_id = custom(workspaces)
    fake_workspaces.fail_import(image_id, "ImageBuilderFailure", "The build failed.")

    # WHEN imports are moved on and pending images finished
    fake_workspaces.advance_imports()
    fake_workspaces.finish_pending_images()

    # THEN it stays ERROR, and so does its image
    assert import_of(workspaces, image_id)["State"] == "ERROR"
    assert described(workspaces, image_id)["State"] == "ERROR"


def test_finish_pending_images_completes_custom_imports(workspaces: Any) -> None:
    # GIVEN a custom image import just made
    image_id = custom(workspaces)

    # WHEN the service is done building
    fake_workspaces.finish_pending_images()

    # THEN the import is COMPLETED at 100 % and the image AVAILABLE
    found = import_of(workspaces, image_id)
    assert (found["State"], found["ProgressPercentage"]) == ("COMPLETED", 100)
    assert described(workspaces, image_id)["State"] == "AVAILABLE"


def test_custom_import_of_an_ami_of_the_account(workspaces: Any) -> None:
    # GIVEN an AMI of the account
    ami_id = fake_workspaces.seed_ami()

    # WHEN it is the import's source
    image_id = custom(workspaces, ImageSource={"Ec2ImageId": ami_id})

    # THEN the import reports that source
    assert import_of(workspaces, image_id)["ImageSource"] == {"Ec2ImageId": ami_id}


def test_custom_import_of_an_unknown_ami_is_not_found(workspaces: Any, aws: EmbeddedAws) -> None:
    # GIVEN no AMI with that id
    # WHEN it is the import's source
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        custom(workspaces, ImageSource={"Ec2ImageId": UNKNOWN_AMI_ID})

    # THEN no image was made
    assert aws.images() == {}


def test_custom_import_of_a_vm_import_task_is_taken_as_given(workspaces: Any) -> None:
    # GIVEN a VM import task id (moto has no such tasks to check)
    # WHEN it is the import's source
    image_id = custom(workspaces, ImageSource={"Ec2ImportTaskId": "import-ami-0123456789abcdef0"})

    # THEN the import reports that source
    assert import_of(workspaces, image_id)["ImageSource"] == {
        "Ec2ImportTaskId": "import-ami-0123456789abcdef0"
    }


def test_custom_import_without_a_source_is_invalid(unchecked: Any, aws: EmbeddedAws) -> None:
    # GIVEN an ImageSource that sets none of its members
    # WHEN it is imported
    with pytest.raises(ClientError) as raised:
        unchecked.import_custom_workspace_image(**custom_request(ImageSource={}))

    # THEN it is refused, and nothing was made
    code, message = error_of(raised)
    assert code == "InvalidParameterValuesException"
    assert "exactly one" in message
    assert aws.images() == {}


def test_custom_import_with_two_sources_is_invalid(unchecked: Any, aws: EmbeddedAws) -> None:
    # GIVEN an ImageSource that sets two of its members
    two = {"ImageBuildVersionArn": IMAGE_BUILD_VERSION, "Ec2ImageId": fake_workspaces.seed_ami()}

    # WHEN it is imported
    with pytest.raises(ClientError) as raised:
        unchecked.import_custom_workspace_image(**custom_request(ImageSource=two))

    # THEN it is refused, and nothing was made
    code, message = error_of(raised)
    assert code == "InvalidParameterValuesException"
    assert "it sets 2" in message
    assert aws.images() == {}


def test_custom_import_with_a_malformed_image_builder_arn_is_invalid(workspaces: Any) -> None:
    # GIVEN an image ARN that is not an Image Builder image version
    not_a_version = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT_ID}:image/golden-recipe"

    # WHEN it is the import's source
    with pytest.raises(ClientError) as raised:
        custom(workspaces, ImageSource={"ImageBuildVersionArn": not_a_version})

    # THEN the member's pattern refuses it
    code, message = error_of(raised)
    assert code == "InvalidParameterValuesException"
    assert "'ImageSource.ImageBuildVersionArn'" in message


def test_custom_import_with_a_malformed_infrastructure_arn_is_invalid(workspaces: Any) -> None:
    # GIVEN an infrastructure configuration ARN of another service
    # WHEN it is imported with it
    # THEN it is refused
    with pytest.raises(workspaces.exceptions.InvalidParameterValuesException):
        custom(workspaces, InfrastructureConfigurationArn="arn:aws:s3:::not-infrastructure")


def test_custom_import_of_windows_11_over_pcoip_is_invalid(workspaces: Any) -> None:
    # GIVEN Windows 11, which does not support PCoIP
    # WHEN it is imported for PCoIP
    # THEN it is refused
    with pytest.raises(workspaces.exceptions.InvalidParameterValuesException):
        custom(workspaces, OsVersion="Windows_11", Protocol="PCOIP")


def test_custom_import_with_a_name_already_taken_already_exists(workspaces: Any) -> None:
    # GIVEN a custom import named golden-custom
    custom(workspaces)

    # WHEN a second import takes the same name
    # THEN the name is taken
    with pytest.raises(workspaces.exceptions.ResourceAlreadyExistsException):
        custom(workspaces)


def test_describe_import_of_an_unknown_image_is_not_found(workspaces: Any) -> None:
    # GIVEN no image at all
    # WHEN the import of an unknown image id is described
    # THEN it is not found
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        workspaces.describe_custom_workspace_image_import(ImageId=UNKNOWN_IMAGE_ID)


def test_describe_import_of_an_image_not_imported_is_not_found(workspaces: Any) -> None:
    # GIVEN an image made from a WorkSpace
    image_id = image(workspaces)

    # WHEN its custom import is described
    # THEN there is none
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        workspaces.describe_custom_workspace_image_import(ImageId=image_id)


def test_describe_import_of_a_deleted_image_is_not_found(workspaces: Any) -> None:
    # GIVEN a completed custom import whose image was deleted
    image_id = custom(workspaces)
    fake_workspaces.finish_pending_images()
    workspaces.delete_workspace_image(ImageId=image_id)

    # WHEN its import is described
    # THEN it is not found
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        workspaces.describe_custom_workspace_image_import(ImageId=image_id)


# --- CopyWorkspaceImage ----------------------------------------------------------


def test_copy_from_the_second_region_makes_a_pending_image_here(
    workspaces: Any, aws: EmbeddedAws
) -> None:
    # GIVEN an AVAILABLE image in the second Region
    source_id = fake_workspaces.seed_image(region=SECOND_REGION)

    # WHEN it is copied into the first
    image_id = copy(workspaces, source_id, Description="golden copy")

    # THEN a PENDING copy of the account is here, and the source stays where it was
    found = described(workspaces, image_id)
    assert (found["Name"], found["Description"], found["State"], found["OwnerAccountId"]) == (
        "golden-copy",
        "golden copy",
        "PENDING",
        ACCOUNT_ID,
    )
    assert list(aws.images()) == [image_id]
    assert list(aws.images(region=SECOND_REGION)) == [source_id]


def test_copy_takes_operating_system_and_tenancy_from_the_source(workspaces: Any) -> None:
    # GIVEN a Linux image on dedicated hardware in the second Region
    source_id = fake_workspaces.seed_image(
        region=SECOND_REGION, operating_system="LINUX", required_tenancy="DEDICATED"
    )

    # WHEN it is copied
    found = described(workspaces, copy(workspaces, source_id))

    # THEN the copy has the source's operating system and tenancy
    assert (found["OperatingSystem"], found["RequiredTenancy"]) == (
        {"Type": "LINUX"},
        "DEDICATED",
    )


def test_copy_records_its_source(workspaces: Any) -> None:
    # GIVEN an image in the second Region
    source_id = fake_workspaces.seed_image(region=SECOND_REGION)

    # WHEN it is copied
    image_id = copy(workspaces, source_id)

    # THEN the copy records the source image, Region and owner
    assert fake_workspaces.image_source(image_id) == {
        "SourceImageId": source_id,
        "SourceRegion": SECOND_REGION,
        "SourceOwnerAccountId": ACCOUNT_ID,
    }


def test_copy_made_from_the_second_region_lands_there(west: Any, aws: EmbeddedAws) -> None:
    # GIVEN an AVAILABLE image in the first Region
    source_id = fake_workspaces.seed_image(region=REGION)

    # WHEN a client of the second Region copies it
    image_id = copy(west, source_id, region=REGION)

    # THEN the copy is in the second Region, and finish_pending_images finishes it there
    assert image_id in aws.images(region=SECOND_REGION)
    assert image_id not in aws.images()
    fake_workspaces.finish_pending_images()
    assert aws.images(region=SECOND_REGION)[image_id]["State"] == "AVAILABLE"


def test_copy_within_the_region(workspaces: Any) -> None:
    # GIVEN an AVAILABLE image in this Region
    source_id = fake_workspaces.seed_image(region=REGION)

    # WHEN it is copied from this Region
    image_id = copy(workspaces, source_id, region=REGION)

    # THEN a second image exists here
    assert described(workspaces, image_id)["State"] == "PENDING"


def test_copy_looks_for_the_source_in_the_source_region(workspaces: Any) -> None:
    # GIVEN an image in the first Region only
    source_id = fake_workspaces.seed_image(region=REGION)

    # WHEN it is copied from the second
    with pytest.raises(ClientError) as raised:
        copy(workspaces, source_id, region=SECOND_REGION)

    # THEN it is not found there
    code, message = error_of(raised)
    assert code == "ResourceNotFoundException"
    assert source_id in message and SECOND_REGION in message


def test_copy_of_an_unknown_image_is_not_found(workspaces: Any, aws: EmbeddedAws) -> None:
    # GIVEN no image at all
    # WHEN an unknown image is copied
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        copy(workspaces, UNKNOWN_IMAGE_ID)

    # THEN nothing was made
    assert aws.images() == {}


@pytest.mark.parametrize("state", ["PENDING", "ERROR"])
def test_copy_of_a_source_that_is_not_available_is_unavailable(
    workspaces: Any, aws: EmbeddedAws, state: str
) -> None:
    # GIVEN a source image that is not AVAILABLE
    source_id = fake_workspaces.seed_image(region=SECOND_REGION, state=state)

    # WHEN it is copied
    with pytest.raises(ClientError) as raised:
        copy(workspaces, source_id)

    # THEN it is unavailable, and nothing was made
    code, message = error_of(raised)
    assert code == "ResourceUnavailableException"
    assert state in message
    assert aws.images() == {}


def test_copy_of_an_image_shared_by_another_account_is_owned_here(workspaces: Any) -> None:
    # GIVEN an image of another account, shared with this one, in the second Region
    source_id = fake_workspaces.seed_image(
        region=SECOND_REGION, owner=OTHER_ACCOUNT, shared_with=[ACCOUNT_ID]
    )

    # WHEN it is copied
    image_id = copy(workspaces, source_id)

    # THEN the copy belongs to this account and records the owner it came from
    assert described(workspaces, image_id)["OwnerAccountId"] == ACCOUNT_ID
    assert fake_workspaces.image_source(image_id)["SourceOwnerAccountId"] == OTHER_ACCOUNT


def test_copy_of_another_accounts_image_not_shared_is_not_found(
    workspaces: Any, aws: EmbeddedAws
) -> None:
    # GIVEN an image of another account, shared with a third account only
    source_id = fake_workspaces.seed_image(
        region=SECOND_REGION, owner=OTHER_ACCOUNT, shared_with=["444455556666"]
    )

    # WHEN this account copies it
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        copy(workspaces, source_id)

    # THEN nothing was made
    assert aws.images() == {}


def test_copy_with_a_name_taken_here_already_exists(workspaces: Any) -> None:
    # GIVEN an image named golden-copy here, and a source in the second Region
    image(workspaces, name="golden-copy")
    source_id = fake_workspaces.seed_image(region=SECOND_REGION)

    # WHEN the source is copied under the same name
    # THEN the name is taken
    with pytest.raises(workspaces.exceptions.ResourceAlreadyExistsException):
        copy(workspaces, source_id, Name="golden-copy")


def test_copy_from_an_unknown_region_is_invalid(workspaces: Any) -> None:
    # GIVEN a Region name that matches the pattern but does not exist
    # WHEN an image is copied from it
    # THEN it is refused
    with pytest.raises(workspaces.exceptions.InvalidParameterValuesException):
        copy(workspaces, UNKNOWN_IMAGE_ID, region="mars-north-1")


def test_copy_with_a_malformed_name_is_invalid(workspaces: Any) -> None:
    # GIVEN a source image
    source_id = fake_workspaces.seed_image(region=SECOND_REGION)

    # WHEN it is copied under a name with a space (outside the model's pattern)
    with pytest.raises(ClientError) as raised:
        copy(workspaces, source_id, Name="golden copy")

    # THEN the name is refused
    code, message = error_of(raised)
    assert code == "InvalidParameterValuesException"
    assert "'Name'" in message


def test_reset_forgets_both_regions(aws: EmbeddedAws) -> None:
    # GIVEN an image in each Region
    fake_workspaces.seed_image(region=REGION)
    fake_workspaces.seed_image(region=SECOND_REGION)

    # WHEN the embedded AWS is reset
    aws.reset()

    # THEN neither Region has an image
    assert (aws.images(), aws.images(region=SECOND_REGION)) == ({}, {})


# --- CreateUpdatedWorkspaceImage ---------------------------------------------------


def test_describe_reports_no_update_unless_one_is_set(workspaces: Any) -> None:
    # GIVEN an image made from a WorkSpace
    image_id = image(workspaces)

    # WHEN it is described
    # THEN it has no update available
    assert described(workspaces, image_id)["Updates"]["UpdateAvailable"] is False


def test_describe_reports_an_update_that_was_set(workspaces: Any) -> None:
    # GIVEN an image with an update available
    image_id = image(workspaces)
    fake_workspaces.set_update_available(image_id, description="New drivers are available")

    # WHEN it is described
    # THEN it reports the update
    assert described(workspaces, image_id)["Updates"] == {
        "UpdateAvailable": True,
        "Description": "New drivers are available",
    }


def test_updated_image_is_a_pending_image_like_its_source(workspaces: Any) -> None:
    # GIVEN an AVAILABLE image on dedicated hardware with an update available
    source_id = fake_workspaces.seed_image(required_tenancy="DEDICATED")
    fake_workspaces.set_update_available(source_id)

    # WHEN an updated image is created
    image_id = updated(workspaces, source_id)

    # THEN it is PENDING, owned here, like its source, and records that source
    found = described(workspaces, image_id)
    assert (found["State"], found["OwnerAccountId"], found["RequiredTenancy"]) == (
        "PENDING",
        ACCOUNT_ID,
        "DEDICATED",
    )
    assert found["OperatingSystem"] == {"Type": "WINDOWS"}
    assert fake_workspaces.image_source(image_id)["SourceImageId"] == source_id


def test_updated_image_keeps_its_source(workspaces: Any, aws: EmbeddedAws) -> None:
    # GIVEN an image with an update available
    source_id = fake_workspaces.seed_image()
    fake_workspaces.set_update_available(source_id)

    # WHEN an updated image is created
    image_id = updated(workspaces, source_id)

    # THEN both images exist (the service does not delete the source)
    assert sorted(aws.images()) == sorted([source_id, image_id])


def test_update_without_an_update_available_is_refused(workspaces: Any, aws: EmbeddedAws) -> None:
    # GIVEN an AVAILABLE image with no update available
    source_id = fake_workspaces.seed_image()

    # WHEN an updated image is created
    with pytest.raises(ClientError) as raised:
        updated(workspaces, source_id)

    # THEN it is refused, saying no update is available, and nothing was made
    code, message = error_of(raised)
    assert code == "InvalidResourceStateException"
    assert "No update is available" in message
    assert list(aws.images()) == [source_id]


def test_update_of_a_pending_image_is_refused(workspaces: Any) -> None:
    # GIVEN a PENDING image that has an update available
    source_id = fake_workspaces.seed_image(state="PENDING")
    fake_workspaces.set_update_available(source_id)

    # WHEN an updated image is created
    with pytest.raises(ClientError) as raised:
        updated(workspaces, source_id)

    # THEN its state is refused
    code, message = error_of(raised)
    assert code == "InvalidResourceStateException"
    assert "PENDING" in message


def test_update_of_an_unknown_image_is_not_found(workspaces: Any) -> None:
    # GIVEN no image at all
    # WHEN an updated image of an unknown id is created
    # THEN it is not found
    with pytest.raises(workspaces.exceptions.ResourceNotFoundException):
        updated(workspaces, UNKNOWN_IMAGE_ID)


def test_update_of_an_image_another_account_shared_is_not_supported(workspaces: Any) -> None:
    # GIVEN an image another account shared with this one, with an update available
    source_id = fake_workspaces.seed_image(owner=OTHER_ACCOUNT, shared_with=[ACCOUNT_ID])
    fake_workspaces.set_update_available(source_id)

    # WHEN this account creates an updated image of it
    with pytest.raises(ClientError) as raised:
        updated(workspaces, source_id)

    # THEN only the owner may: copy it first
    code, message = error_of(raised)
    assert code == "OperationNotSupportedException"
    assert OTHER_ACCOUNT in message


def test_update_of_a_linux_image_is_not_supported(workspaces: Any) -> None:
    # GIVEN a Linux image with an update available
    source_id = fake_workspaces.seed_image(operating_system="LINUX")
    fake_workspaces.set_update_available(source_id)

    # WHEN an updated image is created
    # THEN it is not supported (only Windows images can be updated)
    with pytest.raises(workspaces.exceptions.OperationNotSupportedException):
        updated(workspaces, source_id)


def test_update_with_a_name_already_taken_already_exists(workspaces: Any) -> None:
    # GIVEN an image with an update available
    source_id = fake_workspaces.seed_image(name="golden-source")
    fake_workspaces.set_update_available(source_id)

    # WHEN the updated image takes the source's name
    # THEN the name is taken
    with pytest.raises(workspaces.exceptions.ResourceAlreadyExistsException):
        updated(workspaces, source_id, name="golden-source")


# --- every source: an image like any other -----------------------------------------


def _by_byol(workspaces: Any, **extra: Any) -> str:
    return byol(workspaces, fake_workspaces.seed_ami(), **extra)


def _by_custom(workspaces: Any, **extra: Any) -> str:
    return custom(workspaces, **extra)


def _by_copy(workspaces: Any, **extra: Any) -> str:
    return copy(workspaces, fake_workspaces.seed_image(region=SECOND_REGION), **extra)


def _by_update(workspaces: Any, **extra: Any) -> str:
    source_id = fake_workspaces.seed_image()
    fake_workspaces.set_update_available(source_id)
    return updated(workspaces, source_id, **extra)


SOURCES: dict[str, Callable[..., str]] = {
    "ImportWorkspaceImage": _by_byol,
    "ImportCustomWorkspaceImage": _by_custom,
    "CopyWorkspaceImage": _by_copy,
    "CreateUpdatedWorkspaceImage": _by_update,
}
each_source = pytest.mark.parametrize("make", SOURCES.values(), ids=SOURCES.keys())


@each_source
def test_the_new_image_is_listed_among_the_owned_images(
    workspaces: Any, make: Callable[..., str]
) -> None:
    # GIVEN an image made this way
    image_id = make(workspaces)

    # WHEN the account's own images are listed, page by page
    pages = workspaces.get_paginator("describe_workspace_images").paginate(ImageType="OWNED")
    listed = [found["ImageId"] for page in pages for found in page["Images"]]

    # THEN it is among them
    assert image_id in listed


@each_source
def test_the_new_image_carries_the_tags_it_was_made_with(
    workspaces: Any, make: Callable[..., str]
) -> None:
    # GIVEN an image made this way, with tags
    image_id = make(workspaces, Tags=TAGS)

    # WHEN its tags are described
    # THEN they are the ones given
    assert workspaces.describe_tags(ResourceId=image_id)["TagList"] == TAGS


@each_source
def test_the_new_image_cannot_be_deleted_while_pending(
    workspaces: Any, aws: EmbeddedAws, make: Callable[..., str]
) -> None:
    # GIVEN a PENDING image made this way
    image_id = make(workspaces)

    # WHEN it is deleted
    with pytest.raises(workspaces.exceptions.InvalidResourceStateException):
        workspaces.delete_workspace_image(ImageId=image_id)

    # THEN it is still there
    assert image_id in aws.images()


@each_source
def test_the_new_image_can_be_deleted_once_available(
    workspaces: Any, aws: EmbeddedAws, make: Callable[..., str]
) -> None:
    # GIVEN an image made this way, finished
    image_id = make(workspaces)
    fake_workspaces.finish_pending_images()

    # WHEN it is deleted
    workspaces.delete_workspace_image(ImageId=image_id)

    # THEN it is gone
    assert image_id not in aws.images()


@each_source
def test_the_new_image_can_be_shared(workspaces: Any, make: Callable[..., str]) -> None:
    # GIVEN an image made this way, finished
    image_id = make(workspaces)
    fake_workspaces.finish_pending_images()

    # WHEN it is shared with another account
    workspaces.update_workspace_image_permission(
        ImageId=image_id, AllowCopyImage=True, SharedAccountId=OTHER_ACCOUNT
    )

    # THEN its permissions name that account
    permissions = workspaces.describe_workspace_image_permissions(ImageId=image_id)
    assert permissions["ImagePermissions"] == [{"SharedAccountId": OTHER_ACCOUNT}]


@each_source
def test_more_than_50_tags_exceed_the_limit(workspaces: Any, make: Callable[..., str]) -> None:
    # GIVEN 51 tags
    tags = [{"Key": f"key{n}", "Value": "v"} for n in range(51)]

    # WHEN an image is made this way with them
    # THEN the limit refuses them
    with pytest.raises(workspaces.exceptions.ResourceLimitExceededException):
        make(workspaces, Tags=tags)


# --- faults ------------------------------------------------------------------------

CALLS: dict[str, Callable[[Any], Any]] = {
    "ImportWorkspaceImage": lambda ws: byol(ws, fake_workspaces.seed_ami()),
    "ImportCustomWorkspaceImage": lambda ws: custom(ws),
    "DescribeCustomWorkspaceImageImport": lambda ws: import_of(ws, UNKNOWN_IMAGE_ID),
    "CopyWorkspaceImage": lambda ws: copy(ws, fake_workspaces.seed_image(region=SECOND_REGION)),
    "CreateUpdatedWorkspaceImage": lambda ws: _by_update(ws),
}


@pytest.mark.parametrize("action", CALLS)
def test_an_injected_fault_answers_instead_of_the_call(
    workspaces: Any, aws: EmbeddedAws, action: str
) -> None:
    # GIVEN an AccessDenied waiting for the action
    faults.inject(action, "AccessDeniedException", "not yet")

    # WHEN the action is called
    with pytest.raises(ClientError) as raised:
        CALLS[action](workspaces)

    # THEN the fault answered, the call was counted, and nothing new was made
    assert error_of(raised) == ("AccessDeniedException", "not yet")
    assert faults.calls[action] == 1
    assert [i for i in aws.images().values() if i["State"] == "PENDING"] == []


def test_a_denied_copy_names_the_source_image(workspaces: Any, aws: EmbeddedAws) -> None:
    # GIVEN IAM denies CopyWorkspaceImage on one source image
    denied = fake_workspaces.seed_image(region=SECOND_REGION, name="denied-source")
    faults.deny("CopyWorkspaceImage", float("inf"), denied)

    # WHEN it is copied
    with pytest.raises(ClientError) as raised:
        copy(workspaces, denied)

    # THEN AccessDenied names the action and the source image in its Region
    code, message = error_of(raised)
    assert code == "AccessDeniedException"
    assert "workspaces:CopyWorkspaceImage" in message
    assert f"arn:aws:workspaces:{SECOND_REGION}:{ACCOUNT_ID}:workspaceimage/{denied}" in message
    assert aws.images() == {}


def test_a_copy_of_another_image_is_not_denied(workspaces: Any) -> None:
    # GIVEN IAM denies CopyWorkspaceImage on one source image only
    faults.deny("CopyWorkspaceImage", float("inf"), UNKNOWN_IMAGE_ID)
    source_id = fake_workspaces.seed_image(region=SECOND_REGION)

    # WHEN another image is copied
    image_id = copy(workspaces, source_id)

    # THEN the copy is made
    assert described(workspaces, image_id)["State"] == "PENDING"


def test_a_denied_custom_import_names_every_resource(workspaces: Any) -> None:
    # GIVEN IAM denies ImportCustomWorkspaceImage
    faults.deny("ImportCustomWorkspaceImage", float("inf"))

    # WHEN an image is imported
    with pytest.raises(ClientError) as raised:
        custom(workspaces)

    # THEN AccessDenied names "*" (the action has no resource types)
    code, message = error_of(raised)
    assert code == "AccessDeniedException"
    assert "on resource: * because" in message
