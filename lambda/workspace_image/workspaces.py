"""The one thin layer that calls Amazon WorkSpaces.

Each method is a single API call (or one paginated listing) with no
decisions in it. The WorkSpaces API is throttled (AWS publishes no rate;
users report Support advising 750-1000 ms between calls): the client uses
botocore's standard retry mode with enough attempts that a stack's worth of
calls made at once does not fail a deployment.
"""

from __future__ import annotations

from typing import Any

import boto3
import retries
import sdk
from botocore.config import Config
from botocore.exceptions import ClientError

# Every attempt of a call, the first included: botocore's ``total_max_attempts``.
# (Its ``max_attempts`` counts only the retries after the first attempt:
# botocore/config.py, and botocore/args.py adds one to it.)
#
# Why this many: N calls of one action made at once against a token bucket
# (1 call/s, bursts of 2) are served one a second, in the random order that
# botocore's backoff (full jitter, at most 20 s) gives them. The model in
# bench/throttle_model.py (bench/RESULTS.md, "Throttling at scale") finds,
# for 40 calls at once (a Region's quota of images, created together):
# 9 attempts (the old setting) fail 1.5% of them, so nearly every other such
# deploy; 11 fail 0.04%, 12 fail 0.006% (1 deploy in 400) and 13 none in
# 80,000 calls. A call that is served waits 19 s at the median and 69 s at
# the most, whatever the attempts: more attempts cost time only to a call
# that fails anyway. A poll or a Delete still throttled after them waits for
# its next poll instead of failing.
TOTAL_ATTEMPTS = 13
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 10
RETRY_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": TOTAL_ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
)
# The longest one call can take: every attempt times out and every backoff is
# the longest. No call starts later than this before the function's timeout
# (common.Patience), so that crhelper's own timer never has to answer for us.
WORST_CALL_SECONDS = retries.worst_call_seconds(
    TOTAL_ATTEMPTS, CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS
)

NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "ResourceNotFound"})


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", "Unknown"))


def error_message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", str(err)))


def http_status(err: ClientError) -> int | None:
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


class WorkSpacesImages:
    """CreateWorkspaceImage and friends, one call per method."""

    def __init__(self, client: Any = None, region: str | None = None) -> None:
        self._client = client
        self._region = region
        self._regions: dict[str, WorkSpacesImages] = {}

    @property
    def client(self) -> Any:
        # Created on first use: a Delete of a foreign physical id needs no client.
        if self._client is None:
            # A call that the runtime's botocore cannot make fails with a plain message.
            self._client = sdk.checked(
                boto3.client("workspaces", region_name=self._region, config=RETRY_CONFIG)
            )
        return self._client

    def in_region(self, region: str) -> WorkSpacesImages:
        """The same calls in another Region (a copy's source), one client per Region."""
        if region == self.client.meta.region_name:
            return self
        if region not in self._regions:
            self._regions[region] = WorkSpacesImages(region=region)
        return self._regions[region]

    def create(
        self, *, workspace_id: str, name: str, description: str, tags: list[dict[str, str]]
    ) -> str:
        response = self.client.create_workspace_image(
            WorkspaceId=workspace_id, Name=name, Description=description, Tags=tags
        )
        return str(response["ImageId"])

    def copy(
        self,
        *,
        source_image_id: str,
        source_region: str,
        name: str,
        description: str,
        tags: list[dict[str, str]],
    ) -> str:
        response = self.client.copy_workspace_image(
            SourceImageId=source_image_id,
            SourceRegion=source_region,
            Name=name,
            Description=description,
            Tags=tags,
        )
        return str(response["ImageId"])

    def create_updated(
        self, *, source_image_id: str, name: str, description: str, tags: list[dict[str, str]]
    ) -> str:
        response = self.client.create_updated_workspace_image(
            SourceImageId=source_image_id, Name=name, Description=description, Tags=tags
        )
        return str(response["ImageId"])

    def import_byol(
        self,
        *,
        ec2_image_id: str,
        ingestion_process: str,
        applications: list[str],
        name: str,
        description: str,
        tags: list[dict[str, str]],
    ) -> str:
        kwargs: dict[str, Any] = {"Applications": applications} if applications else {}
        response = self.client.import_workspace_image(
            Ec2ImageId=ec2_image_id,
            IngestionProcess=ingestion_process,
            ImageName=name,
            ImageDescription=description,
            Tags=tags,
            **kwargs,
        )
        return str(response["ImageId"])

    def import_custom(
        self,
        *,
        image_source: dict[str, str],
        compute_type: str,
        protocol: str,
        os_version: str,
        infrastructure_configuration_arn: str,
        validation_mode: str | None,
        name: str,
        description: str,
        tags: list[dict[str, str]],
    ) -> str:
        kwargs: dict[str, Any] = {"ImageValidationMode": validation_mode} if validation_mode else {}
        response = self.client.import_custom_workspace_image(
            ImageName=name,
            ImageDescription=description,
            ComputeType=compute_type,
            Protocol=protocol,
            ImageSource=image_source,
            InfrastructureConfigurationArn=infrastructure_configuration_arn,
            Platform="WINDOWS",
            OsVersion=os_version,
            Tags=tags,
            **kwargs,
        )
        return str(response["ImageId"])

    def describe_import(self, image_id: str) -> dict[str, Any] | None:
        """DescribeCustomWorkspaceImageImport: the import's stage, percentage and errors."""
        try:
            return dict(self.client.describe_custom_workspace_image_import(ImageId=image_id))
        except ClientError as err:
            if error_code(err) in NOT_FOUND_CODES:
                return None
            raise

    def describe(self, image_id: str) -> dict[str, Any] | None:
        images = self.client.describe_workspace_images(ImageIds=[image_id]).get("Images", [])
        return next((image for image in images if image.get("ImageId") == image_id), None)

    def find_owned_by_name(self, name: str) -> dict[str, Any] | None:
        """DescribeWorkspaceImages has no name filter: page through owned images."""
        pages = self.client.get_paginator("describe_workspace_images").paginate(ImageType="OWNED")
        for page in pages:
            for image in page.get("Images", []):
                if image.get("Name") == name:
                    return dict(image)
        return None

    def shared_accounts(self, image_id: str) -> set[str]:
        """The accounts the image is shared with (botocore has no paginator for this)."""
        accounts: set[str] = set()
        kwargs: dict[str, Any] = {"ImageId": image_id}
        while True:
            page = self.client.describe_workspace_image_permissions(**kwargs)
            accounts.update(
                str(permission["SharedAccountId"])
                for permission in page.get("ImagePermissions", [])
                if permission.get("SharedAccountId")
            )
            if not page.get("NextToken"):
                return accounts
            kwargs["NextToken"] = page["NextToken"]

    def tags(self, resource_id: str) -> dict[str, str]:
        tag_list = self.client.describe_tags(ResourceId=resource_id).get("TagList", [])
        return {tag["Key"]: tag.get("Value", "") for tag in tag_list}

    def set_tags(self, resource_id: str, tags: dict[str, str]) -> None:
        self.client.create_tags(
            ResourceId=resource_id,
            Tags=[{"Key": key, "Value": value} for key, value in sorted(tags.items())],
        )

    def remove_tags(self, resource_id: str, keys: list[str]) -> None:
        self.client.delete_tags(ResourceId=resource_id, TagKeys=keys)

    def delete(self, image_id: str) -> None:
        self.client.delete_workspace_image(ImageId=image_id)

    def share(self, image_id: str, account_id: str, *, allow: bool) -> None:
        self.client.update_workspace_image_permission(
            ImageId=image_id, AllowCopyImage=allow, SharedAccountId=account_id
        )


class WorkSpacesBundles:
    """CreateWorkspaceBundle and friends, one call per method."""

    def __init__(self, images: WorkSpacesImages) -> None:
        # One client for both: the same service and retry configuration.
        self._images = images

    @property
    def client(self) -> Any:
        return self._images.client

    def create(
        self,
        *,
        name: str,
        description: str,
        image_id: str,
        compute_type: str,
        user_storage_gib: int,
        root_storage_gib: int,
        tags: list[dict[str, str]],
    ) -> str:
        response = self.client.create_workspace_bundle(
            BundleName=name,
            BundleDescription=description,
            ImageId=image_id,
            ComputeType={"Name": compute_type},
            UserStorage={"Capacity": str(user_storage_gib)},
            RootStorage={"Capacity": str(root_storage_gib)},
            Tags=tags,
        )
        return str(response["WorkspaceBundle"]["BundleId"])

    def describe(self, bundle_id: str) -> dict[str, Any] | None:
        try:
            found = self.client.describe_workspace_bundles(BundleIds=[bundle_id]).get("Bundles", [])
        except ClientError as err:
            if error_code(err) in NOT_FOUND_CODES:
                return None
            raise
        return next((bundle for bundle in found if bundle.get("BundleId") == bundle_id), None)

    def find_by_name(self, name: str) -> dict[str, Any] | None:
        """The account's own bundles have no name filter: page through them."""
        for page in self.client.get_paginator("describe_workspace_bundles").paginate():
            for bundle in page.get("Bundles", []):
                if bundle.get("Name") == name:
                    return dict(bundle)
        return None

    def update_image(self, bundle_id: str, image_id: str) -> None:
        self.client.update_workspace_bundle(BundleId=bundle_id, ImageId=image_id)

    def delete(self, bundle_id: str) -> None:
        self.client.delete_workspace_bundle(BundleId=bundle_id)
