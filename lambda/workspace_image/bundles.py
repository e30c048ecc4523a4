"""Custom::WorkspaceBundle: a bundle of an image, served by the same function.

Bundles are made at once (no wait), so each request answers in one call.
Like images, bundle names are unique and CreateWorkspaceBundle has no client
token: a repeated Create adopts the bundle this resource made (owner tags).
"""

from __future__ import annotations

from typing import Any

import contract
import logic
from botocore.exceptions import ClientError
from common import ResourceFailed, call, log_decision, made_here, update_tags
from workspaces import (
    NOT_FOUND_CODES,
    WorkSpacesBundles,
    WorkSpacesImages,
    error_code,
    error_message,
)


class BundleResource:
    """Create, update and delete one Custom::WorkspaceBundle; return physical ids."""

    def __init__(self, images: WorkSpacesImages, bundles: WorkSpacesBundles) -> None:
        self._images = images
        self._bundles = bundles

    def create(self, event: dict[str, Any], data: dict[str, Any]) -> str:
        spec = _spec(event["ResourceProperties"])
        return self._start(event, spec, data)

    def update(self, event: dict[str, Any], data: dict[str, Any]) -> str:
        new = _spec(event["ResourceProperties"])
        old = logic.read_bundle_spec(event["OldResourceProperties"])
        bundle_id = str(event["PhysicalResourceId"])
        change = logic.classify_bundle_update(old, new)
        log_decision(event, f"bundle-update:{change.value}", bundle_id=bundle_id)
        if change is logic.Change.REPLACE:
            if old.name == new.name:
                raise ResourceFailed(
                    logic.fit_reason(
                        f"changing the compute type, storage or description makes a new "
                        f"bundle, and the old one still holds the name {new.name!r}: change "
                        "bundle_name in the same deployment"
                    )
                )
            return self._start(event, new, data)
        if old.image_id != new.image_id:
            call(
                "UpdateWorkspaceBundle", lambda: self._bundles.update_image(bundle_id, new.image_id)
            )
        update_tags(self._images, bundle_id, old.tags, new.tags)
        self._answer(bundle_id, data)
        return bundle_id

    def delete(self, event: dict[str, Any]) -> None:
        bundle_id = str(event.get("PhysicalResourceId", ""))
        if not contract.is_bundle_id(bundle_id):
            # A Create that failed after the bundle was made left a made-up id.
            found = self._find_own(event)
            if found is None:
                log_decision(event, "bundle-delete:not-a-bundle", physical_id=bundle_id)
                return
            bundle_id = found
        try:
            self._bundles.delete(bundle_id)
        except ClientError as err:
            if error_code(err) in NOT_FOUND_CODES:
                log_decision(event, "bundle-delete:already-gone", bundle_id=bundle_id)
                return
            raise ResourceFailed(
                logic.bundle_delete_refused_reason(bundle_id, error_code(err), error_message(err))
            ) from err
        log_decision(event, "bundle-delete:deleted", bundle_id=bundle_id)

    def _start(self, event: dict[str, Any], spec: logic.BundleSpec, data: dict[str, Any]) -> str:
        stack_id, logical_id = event["StackId"], event["LogicalResourceId"]
        existing = call("DescribeWorkspaceBundles", lambda: self._bundles.find_by_name(spec.name))
        if existing is not None:
            bundle_id = str(existing["BundleId"])
            if not made_here(self._images, bundle_id, event):
                raise ResourceFailed(
                    logic.fit_reason(
                        f"a bundle named {spec.name!r} already exists ({bundle_id}) and was not "
                        "made by this resource: choose another bundle_name, or delete that bundle"
                    )
                )
            log_decision(event, "bundle-create:adopted", bundle_id=bundle_id)
        else:
            bundle_id = call(
                "CreateWorkspaceBundle",
                lambda: self._bundles.create(
                    name=spec.name,
                    description=spec.description,
                    image_id=spec.image_id,
                    compute_type=spec.compute_type,
                    user_storage_gib=int(spec.user_storage_gib),
                    root_storage_gib=int(spec.root_storage_gib),
                    tags=logic.creation_tags(spec.tags, stack_id, logical_id),
                ),
            )
            log_decision(
                event, "bundle-create:created", bundle_id=bundle_id, image_id=spec.image_id
            )
        self._answer(bundle_id, data)
        return bundle_id

    def _find_own(self, event: dict[str, Any]) -> str | None:
        """The bundle this resource made under its name, if any (by its owner tags)."""
        name = event.get("ResourceProperties", {}).get(contract.PROP_BUNDLE_NAME)
        if not isinstance(name, str) or contract.bundle_name_error(name, contract.PROP_BUNDLE_NAME):
            return None
        existing = call("DescribeWorkspaceBundles", lambda: self._bundles.find_by_name(name))
        if existing is None:
            return None
        bundle_id = str(existing["BundleId"])
        return bundle_id if made_here(self._images, bundle_id, event) else None

    def _answer(self, bundle_id: str, data: dict[str, Any]) -> None:
        bundle = call("DescribeWorkspaceBundles", lambda: self._bundles.describe(bundle_id))
        if bundle is None:
            raise ResourceFailed(f"bundle {bundle_id} no longer exists")
        data.clear()
        data.update(logic.bundle_data(bundle))


def _spec(props: dict[str, Any]) -> logic.BundleSpec:
    try:
        return logic.parse_bundle_properties(props)
    except logic.InvalidProperties as err:
        raise ResourceFailed(logic.fit_reason(f"invalid properties: {err}")) from err
