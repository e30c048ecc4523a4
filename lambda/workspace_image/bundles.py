"""Custom::WorkspaceBundle: a bundle of an image, served by the same function.

A new bundle is PENDING for a while: a request answers at once when it is
AVAILABLE, and otherwise polls (``poll``) until it is, or fails with the
reason on ERROR. Like images, bundle names are unique and
CreateWorkspaceBundle has no client token: a repeated Create adopts the
bundle this resource made (owner tags).
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import bundle_decisions
import contract
import discard
import polls
import properties
import reasons
import retries
import tagging
import trust
import updates
from botocore.exceptions import ClientError
from common import (
    Answer,
    ResourceFailed,
    Throttled,
    call,
    log_decision,
    made_here,
    patience,
    refusal,
    update_tags,
)
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

    def abandoned(
        self, target_input: dict[str, Any], request_id: str, physical_id: str
    ) -> tuple[str, ...]:
        """The bundle an abandoned request made, from its poll schedule's input."""
        return discard.abandoned_bundles(target_input, request_id)

    def create(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        """Create (or adopt) the bundle; answer at once if it is AVAILABLE, else poll."""
        data: dict[str, Any] = {}
        bundle_id, done = self._start(event, _spec(event["ResourceProperties"]), data)
        self.discard(event, [other for other in abandoned if other != bundle_id])
        return Answer(bundle_id, data, done=done)

    def update(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        """Swap the image in place, or make a new bundle; answer once it is AVAILABLE.

        A bundle that an abandoned request made (a cancelled replacement) is deleted.
        """
        data: dict[str, Any] = {}
        bundle_id, done = self._update(event, data)
        self.discard(event, [other for other in abandoned if other != bundle_id])
        return Answer(bundle_id, data, done=done)

    def _update(self, event: dict[str, Any], data: dict[str, Any]) -> tuple[str, bool]:
        new = _spec(event["ResourceProperties"])
        old = bundle_decisions.read_bundle_spec(event["OldResourceProperties"])
        bundle_id = str(event["PhysicalResourceId"])
        change = bundle_decisions.classify_bundle_update(old, new)
        log_decision(event, f"bundle-update:{change.value}", bundle_id=bundle_id)
        if change is updates.Change.REPLACE:
            if old.name == new.name:
                raise ResourceFailed(
                    reasons.fit_reason(
                        f"changing the compute type, storage or description makes a new "
                        f"bundle, and the old one still holds the name {new.name!r}: change "
                        "bundle_name in the same deployment"
                    )
                )
            return self._start(event, new, data)
        # The id and the old tags come from the event: change only this resource's
        # own bundle, and never its owner tags.
        self._require_own(event, bundle_id, "update")
        reserved = sorted(set(old.tags) & contract.RESERVED_TAG_KEYS)
        if reserved:
            raise ResourceFailed(
                reasons.fit_reason(
                    f"the old properties' Tags hold {', '.join(reserved)}, which "
                    "cdk-workspace-image reserves for its owner tags; nothing was changed"
                )
            )
        if old.image != new.image:
            image_id = self._image_of(event, new)
            current = call("DescribeWorkspaceBundles", lambda: self._bundles.describe(bundle_id))
            # A name beside an id the bundle already uses (a bundle made before
            # ImageName was rendered) changes nothing in WorkSpaces.
            if (current or {}).get("ImageId") != image_id:
                call(
                    "UpdateWorkspaceBundle",
                    lambda: self._bundles.update_image(bundle_id, image_id),
                    f"bundle {bundle_id}",
                )
                log_decision(event, "bundle-update:image", bundle_id=bundle_id, image_id=image_id)
        update_tags(self._images, bundle_id, old.tags, new.tags)
        return bundle_id, self._answer(bundle_id, data, created_here=False)

    def poll(self, event: dict[str, Any], state: dict[str, Any]) -> Answer | None:
        """One scheduled poll: answer once the bundle is AVAILABLE, None to keep waiting."""
        bundle_id = str(state[contract.ATTR_BUNDLE_ID])
        started_at = float(state[STARTED_AT])
        now = time.time()
        try:
            bundle = call("DescribeWorkspaceBundles", lambda: self._bundles.describe(bundle_id))
        except Throttled as err:
            throttled = polls.throttled_poll(
                str(err),
                now=now,
                started_at=started_at,
                timeout_seconds=contract.BUNDLE_WAIT_SECONDS,
                poll_interval_seconds=60,
            )
            if throttled.outcome is polls.Outcome.FAILED:
                raise ResourceFailed(throttled.reason) from err
            log_decision(event, "bundle-poll:throttled", bundle_id=bundle_id, error=str(err))
            return None
        decision = bundle_decisions.decide_bundle_poll(
            bundle,
            bundle_id=bundle_id,
            now=now,
            started_at=started_at,
            wait_seconds=contract.BUNDLE_WAIT_SECONDS,
            poll_interval_seconds=60,
        )
        log_decision(
            event,
            f"bundle-poll:{decision.outcome.value}",
            bundle_id=bundle_id,
            state=(bundle or {}).get("State", "MISSING"),
            elapsed_seconds=round(now - started_at),
        )
        if decision.outcome is polls.Outcome.WAIT:
            return None
        if decision.outcome is polls.Outcome.FAILED:
            reason = decision.reason
            if bundle is not None and state.get(CREATED_HERE):
                reason = self._discard(event, bundle_id, reason)
            raise ResourceFailed(reason)
        assert bundle is not None
        return Answer(bundle_id, bundle_decisions.bundle_data(bundle))

    def poll_delete(self, event: dict[str, Any], state: dict[str, Any]) -> Answer | None:
        raise AssertionError("a bundle's Delete answers at once")

    def abandon(self, event: dict[str, Any], state: dict[str, Any], bundle_id: str) -> str | None:
        """crhelper could not schedule the polls: delete the bundle if this request made it."""
        if not state.get(CREATED_HERE):
            return None
        refused = self._delete_quietly(event, bundle_id)
        return f"{bundle_id} is left behind ({refused})" if refused else None

    def delete(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        self._delete(event)
        self.discard(event, list(abandoned))
        return Answer(str(event.get("PhysicalResourceId", "")), {})

    def _delete(self, event: dict[str, Any]) -> None:
        bundle_id = str(event.get("PhysicalResourceId", ""))
        if not contract.is_bundle_id(bundle_id):
            # A Create that failed (or was cancelled) after the bundle was made
            # left a made-up id.
            found = self._find_own(event)
            if found is None:
                log_decision(event, "bundle-delete:not-a-bundle", physical_id=bundle_id)
                return
            bundle_id = found
        elif call("DescribeWorkspaceBundles", lambda: self._bundles.describe(bundle_id)) is None:
            log_decision(event, "bundle-delete:already-gone", bundle_id=bundle_id)
            return
        else:
            self._require_own(event, bundle_id, "delete")
        try:
            patience.run("DeleteWorkspaceBundle", lambda: self._bundles.delete(bundle_id))
        except ClientError as err:
            if error_code(err) in NOT_FOUND_CODES:
                log_decision(event, "bundle-delete:already-gone", bundle_id=bundle_id)
                return
            raise ResourceFailed(
                bundle_decisions.bundle_delete_refused_reason(
                    bundle_id, error_code(err), error_message(err)
                )
            ) from err
        log_decision(event, "bundle-delete:deleted", bundle_id=bundle_id)

    def discard(self, event: dict[str, Any], bundle_ids: list[str]) -> None:
        """Delete bundles that an abandoned request made; what stays is logged."""
        for bundle_id in bundle_ids:
            self._delete_quietly(event, bundle_id)

    def _delete_quietly(self, event: dict[str, Any], bundle_id: str) -> str | None:
        """Delete a bundle this resource gives up; return the refusal if it stays."""
        if not made_here(self._images, bundle_id, event):
            log_decision(event, "bundle-discard:not-ours", bundle_id=bundle_id)
            return None
        try:
            patience.run("DeleteWorkspaceBundle", partial(self._bundles.delete, bundle_id))
        except ClientError as err:
            if error_code(err) in NOT_FOUND_CODES:
                return None
            log_decision(
                event, "bundle-discard:refused", bundle_id=bundle_id, error=error_code(err)
            )
            return str(refusal("DeleteWorkspaceBundle", err, f"bundle {bundle_id}"))
        log_decision(event, "bundle-discard:deleted", bundle_id=bundle_id)
        return None

    def _start(
        self, event: dict[str, Any], spec: bundle_decisions.BundleSpec, data: dict[str, Any]
    ) -> tuple[str, bool]:
        image_id = self._image_of(event, spec)
        created_here = False
        existing = call("DescribeWorkspaceBundles", lambda: self._bundles.find_by_name(spec.name))
        if existing is not None:
            bundle_id = str(existing["BundleId"])
            if not made_here(self._images, bundle_id, event):
                raise ResourceFailed(
                    reasons.fit_reason(
                        f"a bundle named {spec.name!r} already exists ({bundle_id}) and was not "
                        "made by this resource: choose another bundle_name, or delete that bundle"
                    )
                )
            log_decision(event, "bundle-create:adopted", bundle_id=bundle_id)
        else:
            bundle_id = self._create(event, spec, image_id)
            created_here = True
            log_decision(event, "bundle-create:created", bundle_id=bundle_id, image_id=image_id)
        return bundle_id, self._answer(bundle_id, data, created_here=created_here)

    def _create(
        self, event: dict[str, Any], spec: bundle_decisions.BundleSpec, image_id: str
    ) -> str:
        """CreateWorkspaceBundle, once the name was found free among this account's bundles."""
        stack_id, logical_id = event["StackId"], event["LogicalResourceId"]
        try:
            return patience.run(
                "CreateWorkspaceBundle",
                lambda: self._bundles.create(
                    name=spec.name,
                    description=spec.description,
                    image_id=image_id,
                    compute_type=spec.compute_type,
                    user_storage_gib=int(spec.user_storage_gib),
                    root_storage_gib=int(spec.root_storage_gib),
                    tags=tagging.creation_tags(spec.tags, stack_id, logical_id),
                ),
            )
        except ClientError as err:
            code = error_code(err)
            if code in retries.ACCESS_DENIED_CODES:
                raise refusal("CreateWorkspaceBundle", err, "a new bundle") from err
            log_decision(event, "bundle-create:refused", bundle_name=spec.name, error=code)
            raise ResourceFailed(
                bundle_decisions.bundle_create_refused_reason(spec.name, code, error_message(err))
            ) from err

    def _image_of(self, event: dict[str, Any], spec: bundle_decisions.BundleSpec) -> str:
        """The id of the bundle's image: given (an image of this stack, checked to be
        this account's), or found by name among this account's images in this Region
        (an image of another stack, whose id changes with every version)."""
        if spec.image_id:
            self._refuse_foreign_image(event, spec.image_id)
            return spec.image_id
        name = spec.image_name
        image = call("DescribeWorkspaceImages", lambda: self._images.find_owned_by_name(name))
        region = str(self._images.client.meta.region_name)
        tags = (
            call("DescribeTags", lambda: self._images.tags(str(image["ImageId"])))
            if image is not None and image.get("State") == "AVAILABLE"
            else None
        )
        reason = properties.named_image_reason(image, name, region, tags)
        if reason is not None:
            raise ResourceFailed(reason)
        assert image is not None
        log_decision(event, "bundle-image:resolved", image_name=name, image_id=image["ImageId"])
        return str(image["ImageId"])

    def _refuse_foreign_image(self, event: dict[str, Any], image_id: str) -> None:
        """WorkSpaces bundles only images this account owns; a shared one is copied first."""
        image = call("DescribeWorkspaceImages", lambda: self._images.describe(image_id))
        account = contract.account_of(event["StackId"])
        owner = str((image or {}).get("OwnerAccountId") or account)
        if owner != account:
            raise ResourceFailed(bundle_decisions.shared_image_reason(image_id, owner))

    def _discard(self, event: dict[str, Any], bundle_id: str, reason: str) -> str:
        """Delete a bundle that failed; the reason says if it stays."""
        refused = self._delete_quietly(event, bundle_id)
        return (
            reasons.fit_reason(f"{bundle_id} is left behind ({refused}); {reason}")
            if refused
            else reason
        )

    def _require_own(self, event: dict[str, Any], bundle_id: str, action: str) -> None:
        """Refuse to change a bundle this resource did not make (its id came from an event)."""
        if not contract.is_bundle_id(bundle_id) or not made_here(self._images, bundle_id, event):
            log_decision(event, "refused:not-ours", bundle_id=bundle_id, action=action)
            raise ResourceFailed(
                trust.not_owned_reason("bundle", bundle_id, event["LogicalResourceId"], action)
            )

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

    def _answer(self, bundle_id: str, data: dict[str, Any], *, created_here: bool) -> bool:
        """Put the answer in ``data`` if the bundle is AVAILABLE (True), else what
        the polls need (False). A bundle just made may not be listed yet."""
        bundle = call("DescribeWorkspaceBundles", lambda: self._bundles.describe(bundle_id))
        data.clear()
        if bundle is not None and (bundle.get("State") or "AVAILABLE") == "AVAILABLE":
            data.update(bundle_decisions.bundle_data(bundle))
            return True
        data.update(
            {
                contract.ATTR_BUNDLE_ID: bundle_id,
                STARTED_AT: time.time(),
                CREATED_HERE: created_here,
            }
        )
        return False


STARTED_AT = "StartedAt"
CREATED_HERE = discard.CREATED_HERE_KEY


def _spec(props: dict[str, Any]) -> bundle_decisions.BundleSpec:
    try:
        return bundle_decisions.parse_bundle_properties(props)
    except properties.InvalidProperties as err:
        raise ResourceFailed(reasons.fit_reason(f"invalid properties: {err}")) from err
