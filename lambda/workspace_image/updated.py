"""Custom::WorkspaceImageUpdate when there is nothing to update: the source itself.

CreateUpdatedWorkspaceImage is called only when DescribeWorkspaceImages
reports an update for the source (``sources.Updated`` reads it first). Without
one, the resource resolves to the source image (``IfNoUpdate`` USE_SOURCE, the
default): it makes nothing and answers with the source's id and attributes.
The source is not this resource's, so it is never deleted, shared or tagged:
the resource's physical id (``source_updates.resolved_id``) is not an image id, and a
Delete of it deletes nothing. With ``IfNoUpdate`` FAIL the request fails
instead, and says why.

A resolved resource stays resolved through updates of its tags, shares or
timeout; a change of what makes the image (a new ``Name`` each month, say)
decides again. Everything else, an updated image that is made included, is
the shared lifecycle in ``images``, which this wraps.
"""

from __future__ import annotations

import time
from typing import Any

import contract
import polls
import properties
import reasons
import source_updates
import updates
from common import Answer, ResourceFailed, call, log_decision
from images import DISCARD, STARTED_AT, ImageLifecycle, RollbackCannotRebuild
from polling_helper import send_response, wait_signal
from sources import source_image_id
from workspaces import WorkSpacesImages

# Kept in a resolved request's Data while its polls wait for the images an
# abandoned request made: the answer to give once they are deleted.
RESOLVED = "Resolved"
RESOLVED_DATA = "ResolvedData"
# The WaitCondition's handle that answer also signals (a new handle), kept
# whole: a poll's event carries only some of the properties (polling_helper).
SIGNAL = "Signal"


class UpdatedImageResource:
    """Custom::WorkspaceImageUpdate: the image lifecycle, or the source when there is no update."""

    def __init__(self, lifecycle: ImageLifecycle, images: WorkSpacesImages) -> None:
        self._lifecycle = lifecycle
        self._images = images

    def abandoned(
        self, target_input: dict[str, Any], request_id: str, physical_id: str
    ) -> tuple[str, ...]:
        return self._lifecycle.abandoned(target_input, request_id, physical_id)

    def create(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        from sources import NothingToUpdate

        try:
            return self._lifecycle.create(event, context, abandoned)
        except NothingToUpdate as nothing:
            return self._resolve(event, None, _spec(event), nothing.source_image, abandoned)

    def update(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        from sources import NothingToUpdate

        physical_id = str(event["PhysicalResourceId"])
        if source_updates.resolved_source(physical_id) is not None:
            old, new = _old_spec(event), _spec(event)
            change = updates.classify_update(old, new)
            # The rollback of an update that was cancelled or failed sends back the
            # properties that resolved, with this id: nothing is decided again.
            if change is not updates.Change.REPLACE or source_updates.resolved_for(
                physical_id, new
            ):
                return self._keep(event, old, new, change, physical_id, abandoned)
        try:
            return self._lifecycle.update(event, context, abandoned)
        except NothingToUpdate as nothing:
            return self._resolve(
                event, _old_spec(event), _spec(event), nothing.source_image, abandoned
            )
        except RollbackCannotRebuild:
            # A rollback to a version with no image of its own name: that
            # version was its source (nothing to update then). Be it again,
            # rather than make an updated image now.
            new = _spec(event)
            source_id = source_image_id(self._images, new.source)
            image = call(
                "DescribeWorkspaceImages",
                lambda: self._images.describe(source_id),
                f"image {source_id}",
            )
            if image is None:
                raise
            log_decision(event, "rollback:source-again", source_image_id=source_id)
            return self._resolve(event, _old_spec(event), new, image, abandoned)

    def delete(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        physical_id = str(event.get("PhysicalResourceId", ""))
        source_id = source_updates.resolved_source(physical_id)
        if source_id is None:
            return self._lifecycle.delete(event, context, abandoned)
        # Nothing was made; never look for an image by name here: after a
        # replacement that kept the name, that is the new one.
        log_decision(event, "no-update:delete", physical_id=physical_id, source_image_id=source_id)
        started_at = time.time()
        waiting = self._lifecycle._discard_all(
            event, list(abandoned), started_at, park=lambda image_id: True
        )
        if not waiting:
            return Answer(physical_id, {})
        return Answer(physical_id, {DISCARD: waiting, STARTED_AT: started_at}, done=False)

    def poll(self, event: dict[str, Any], state: dict[str, Any]) -> Answer | None:
        if not state.get(RESOLVED):
            return self._lifecycle.poll(event, state)
        interval = 60 * float(
            event["ResourceProperties"].get(contract.PROP_POLL_INTERVAL_MINUTES, 1)
        )
        if self._lifecycle._discard_all(
            event,
            list(state.get(DISCARD) or []),
            float(state[STARTED_AT]),
            poll_interval_seconds=interval,
        ):
            return None  # answer once the images an abandoned request made are deleted
        handle = state.get(SIGNAL) or None
        return self._finish(event, handle, str(state[RESOLVED]), dict(state[RESOLVED_DATA]))

    def poll_delete(self, event: dict[str, Any], state: dict[str, Any]) -> Answer | None:
        return self._lifecycle.poll_delete(event, state)

    def abandon(self, event: dict[str, Any], state: dict[str, Any], physical_id: str) -> str | None:
        return self._lifecycle.abandon(event, state, physical_id)

    # --- resolving ----------------------------------------------------------

    def _resolve(
        self,
        event: dict[str, Any],
        old: properties.ImageSpec | None,
        new: properties.ImageSpec,
        source_image: dict[str, Any],
        abandoned: tuple[str, ...],
    ) -> Answer:
        """Nothing to update: fail (IfNoUpdate FAIL), or answer with the source."""
        source_id = str(source_image["ImageId"])
        said = (source_image.get("Updates") or {}).get("Description")
        reason = source_updates.no_update_reason(source_image, source_id)
        if new.if_no_update == contract.NO_UPDATE_FAIL:
            log_decision(event, "no-update:failed", source_image_id=source_id, updates=said)
            self._lifecycle._discard_abandoned(event, abandoned, keep="")
            raise ResourceFailed(source_updates.no_update_failure(reason))
        physical_id = source_updates.resolved_id(source_id, new)
        log_decision(
            event,
            "no-update:resolved",
            source_image_id=source_id,
            physical_id=physical_id,
            updates=said,
        )
        return self._answer(
            event, old, new, updates.Change.REPLACE, physical_id, source_image, abandoned
        )

    def _keep(
        self,
        event: dict[str, Any],
        old: properties.ImageSpec,
        new: properties.ImageSpec,
        change: updates.Change,
        physical_id: str,
        abandoned: tuple[str, ...],
    ) -> Answer:
        """An update of a resolved resource that makes no new image: it stays the source."""
        source_id = str(source_updates.resolved_source(physical_id))
        log_decision(event, f"update:{change.value}", physical_id=physical_id)
        if new.if_no_update == contract.NO_UPDATE_FAIL:
            raise ResourceFailed(
                reasons.fit_reason(
                    f"this resource is its source image {source_id} (there was nothing to "
                    f"update), which {contract.PROP_IF_NO_UPDATE} FAIL forbids: change "
                    "image_name in the same deployment to decide again"
                )
            )
        image = call(
            "DescribeWorkspaceImages",
            lambda: self._images.describe(source_id),
            f"image {source_id}",
        )
        if image is None:
            raise ResourceFailed(
                reasons.fit_reason(
                    f"source image {source_id}, which this resource stands for (there was "
                    "nothing to update), no longer exists: change image_name to decide again"
                )
            )
        log_decision(event, "no-update:kept", source_image_id=source_id, physical_id=physical_id)
        return self._answer(event, old, new, change, physical_id, image, abandoned)

    def _answer(
        self,
        event: dict[str, Any],
        old: properties.ImageSpec | None,
        new: properties.ImageSpec,
        change: updates.Change,
        physical_id: str,
        source_image: dict[str, Any],
        abandoned: tuple[str, ...],
    ) -> Answer:
        """Answer with the source's attributes once what an abandoned request made is gone."""
        source_id = str(source_image["ImageId"])
        if new.tags or new.share_with:
            # The source is not this resource's: its tags and shares are its owner's.
            log_decision(
                event,
                "no-update:source-not-ours",
                source_image_id=source_id,
                tags_not_applied=sorted(new.tags),
                accounts_not_shared_with=list(new.share_with),
            )
        data = polls.response_data(source_image)
        handle = new.wait_handle if updates.needs_watch(old, new, change) else None
        waiting = self._lifecycle._discard_abandoned(event, abandoned, keep="")
        if waiting:
            return Answer(
                physical_id,
                {
                    RESOLVED: physical_id,
                    RESOLVED_DATA: data,
                    SIGNAL: handle or "",
                    STARTED_AT: time.time(),
                    **waiting,
                },
                done=False,
            )
        return self._finish(event, handle, physical_id, data)

    def _finish(
        self, event: dict[str, Any], handle: str | None, physical_id: str, data: dict[str, Any]
    ) -> Answer:
        """Signal a new WaitCondition at once (nothing to wait for), then answer."""
        if handle:
            source_id = str(data[contract.ATTR_IMAGE_ID])
            signal = wait_signal(polls.PollDecision(polls.Outcome.AVAILABLE), source_id)
            if not send_response(handle, signal):
                log_decision(event, "no-update:signal-undelivered", source_image_id=source_id)
                raise ResourceFailed(
                    "the WaitCondition's handle could not be signalled, so the stack would "
                    "wait for nothing until the timeout; see the function's log"
                )
            log_decision(event, "no-update:signalled", source_image_id=source_id)
        return Answer(physical_id, data)


def _spec(event: dict[str, Any]) -> properties.ImageSpec:
    try:
        return properties.parse_properties(event["ResourceProperties"], event["ResourceType"])
    except properties.InvalidProperties as err:
        raise ResourceFailed(reasons.fit_reason(f"invalid properties: {err}")) from err


def _old_spec(event: dict[str, Any]) -> properties.ImageSpec:
    return properties.read_spec(event["OldResourceProperties"], event["ResourceType"])
