"""The lifecycle of every image resource, whatever its source.

Create starts the image (``sources``: CreateWorkspaceImage, CopyWorkspaceImage,
CreateUpdatedWorkspaceImage, ImportWorkspaceImage or
ImportCustomWorkspaceImage), or adopts the one a repeated request made; the
polls (or a long wait's watcher) wait until it is AVAILABLE, share it, and
answer. Update changes tags and shares in place or makes a new image; Delete
unshares and deletes, waiting while the service refuses a PENDING image.
A request that CloudFormation abandoned leaves images that the next request
deletes.

Every method returns an ``Answer`` (or None to keep waiting); ``index``
writes it. Decisions are pure modules (``properties``, ``updates``, ``polls``,
``discard``, ``tagging``, ``retries``, ``reasons``); AWS calls in ``workspaces``.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import actions
import contract
import discard
import polls
import reasons
import retention
import retries
import tagging
import trust
from botocore.exceptions import ClientError
from common import (
    Answer,
    ResourceFailed,
    Throttled,
    best_effort,
    call,
    log_decision,
    made_here,
    patience,
    refusal,
    update_tags,
)
from polling_helper import ImageResourceHelper, schedule_failure_reason, send_response, wait_signal
from stacks import Stacks
from state import Parked, ParkedIndex, VersionHistory
from workspaces import NOT_FOUND_CODES, WorkSpacesImages, error_code, error_message

# properties and updates are imported where a Create, an Update or a Delete
# uses them: a poll that keeps waiting, the most frequent invocation, compiles
# neither (Lambda's code directory keeps no .pyc; bench/RESULTS.md).
if TYPE_CHECKING:
    import properties
    from sources import Source

# Keys kept in a request's Data between its first call and its polls.
STARTED_AT = "StartedAt"
# Set when this request made the image (rather than adopting one): only such
# an image may be discarded when its polls cannot be scheduled, or when a
# later request finds that CloudFormation abandoned this one.
CREATED_HERE = discard.CREATED_HERE_KEY
# Images that an abandoned request made, to delete once the service allows.
DISCARD = discard.DISCARD_KEY
# The call that made the image: a poll reads an import's own progress.
SOURCE_ACTION = "SourceAction"
# The image that was current before a long wait's replacement.
PREVIOUS = "Previous"
# How many parked images one request's sweep deletes at most: the sweep rides
# on requests that have their own work, against a throttled API.
SWEEP_LIMIT = 3
# How long the sweep waits before it tries again a parked image it could not delete.
SWEEP_RETRY_HOURS = 24


class ImageLifecycle:
    """Create, update, delete and wait for one image resource of any source."""

    def __init__(
        self,
        helper: ImageResourceHelper,
        images: WorkSpacesImages,
        parked: ParkedIndex,
        stacks: Stacks,
        versions: VersionHistory,
    ) -> None:
        self._helper = helper
        self._images = images
        self._parked = parked
        self._stacks = stacks
        self._versions = versions

    # --- requests -----------------------------------------------------------

    def abandoned(
        self, target_input: dict[str, Any], request_id: str, physical_id: str
    ) -> tuple[str, ...]:
        """Images an abandoned request made, from its poll schedule's input."""
        return discard.abandoned_images(target_input, request_id, physical_id)

    def create(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        import updates

        spec = _spec(event)
        state: dict[str, Any] = {}
        image_id = self._start_image(event, spec, state)
        state.update(self._discard_abandoned(event, abandoned, keep=image_id))
        if updates.needs_watch(None, spec, updates.Change.REPLACE):
            return self._start_watch(event, spec, image_id, state, context)
        return Answer(image_id, state, done=False)

    def update(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        import properties
        import updates

        new = _spec(event)
        old = properties.read_spec(event["OldResourceProperties"], event["ResourceType"])
        image_id = str(event["PhysicalResourceId"])
        change = updates.classify_update(old, new)
        log_decision(event, f"update:{change.value}", image_id=image_id)
        if change is updates.Change.REPLACE:
            # A rollback of a replacement that CloudFormation cancelled comes here
            # too: it adopts the old image, and deletes the abandoned new one.
            state: dict[str, Any] = {}
            new_id = self._start_image(
                event,
                new,
                state,
                replacing=old,
                adopt_only=self._rolling_back(event, rollback_only=True),
            )
            state.update(self._discard_abandoned(event, abandoned, keep=new_id))
            if updates.needs_watch(old, new, change):
                return self._start_watch(event, new, new_id, state, context)
            return Answer(new_id, state, done=False)
        if change is updates.Change.IN_PLACE:
            # The id and the old tags come from the event: tag and share only
            # this resource's own image, and never touch the owner tags.
            _refuse_reserved_tags(old.tags)
            self._require_own(event, image_id, "tag or share")
            update_tags(self._images, image_id, old.tags, new.tags)
            to_share, to_unshare = updates.share_diff(old.share_with, new.share_with)
            self._share(event, image_id, to_share, allow=True)
            self._unshare(event, image_id, to_unshare)
        image = call("DescribeWorkspaceImages", lambda: self._images.describe(image_id))
        if image is None:
            raise ResourceFailed(
                f"image {image_id} no longer exists; it was deleted outside CloudFormation"
            )
        waiting = self._discard_abandoned(event, abandoned, keep=image_id)
        if updates.needs_watch(old, new, change):
            # The watcher deletes the abandoned images still PENDING.
            return self._start_watch(event, new, image_id, waiting, context)
        if waiting:
            # The poll answers once the abandoned images are deleted.
            return Answer(
                image_id,
                {contract.ATTR_IMAGE_ID: image_id, STARTED_AT: time.time(), **waiting},
                done=False,
            )
        return Answer(image_id, polls.response_data(image))

    def delete(self, event: dict[str, Any], context: Any, abandoned: tuple[str, ...]) -> Answer:
        image_id = str(event.get("PhysicalResourceId", ""))
        physical_id = image_id
        if not contract.is_image_id(image_id):
            # A Create that failed before an image existed has a made-up id
            # (crhelper issue #7); one that CloudFormation gave up on may still
            # have made an image, found by its poll schedule (``abandoned``) or by
            # its name and owner tags.
            found = self._find_own_image(event)
            if found is None:
                log_decision(event, "delete:not-an-image", physical_id=image_id)
            image_id = found or ""
        started_at = time.time()
        rolling_back = _Lazy(lambda: self._rolling_back(event))
        waiting = self._discard_all(
            event,
            [*abandoned, image_id],
            started_at,
            own=image_id,
            own_shares=_shares(event),
            # What a request CloudFormation gave up on made, and the resource's
            # own image when a rollback deletes it: a finished one is parked.
            park=lambda candidate: candidate != image_id or rolling_back(),
        )
        if not rolling_back():
            # The resource leaves the stack: its versions are no longer pruned.
            best_effort(
                event,
                "DeleteParameter",
                partial(self._versions.delete, event["LogicalResourceId"]),
            )
        if not waiting:
            return Answer(physical_id, {})
        # The service refuses to delete a PENDING image: poll until it can.
        return Answer(physical_id, {DISCARD: waiting, STARTED_AT: started_at}, done=False)

    def poll_delete(self, event: dict[str, Any], state: dict[str, Any]) -> Answer | None:
        to_delete, started_at = list(state.get(DISCARD) or []), float(state[STARTED_AT])
        waiting = self._discard_all(
            event,
            to_delete,
            started_at,
            own=str(event.get("PhysicalResourceId", "")),
            own_shares=_shares(event),
        )
        if waiting:
            return None
        return Answer(str(event.get("PhysicalResourceId") or "deleted"), {})

    def poll(self, event: dict[str, Any], state: dict[str, Any]) -> Answer | None:
        image_id = str(state[contract.ATTR_IMAGE_ID])
        started_at = float(state[STARTED_AT])
        to_discard = list(state.get(DISCARD) or [])
        props = event["ResourceProperties"]
        poll_minutes = float(props.get(contract.PROP_POLL_INTERVAL_MINUTES, 1))
        timeout_seconds = float(
            props.get(contract.PROP_TIMEOUT_SECONDS, contract.MAX_CUSTOM_RESOURCE_TIMEOUT_SECONDS)
        )
        wait = (started_at, timeout_seconds, poll_minutes * 60)
        try:
            decision, image = self._check(
                event,
                image_id,
                str(state.get(SOURCE_ACTION) or actions.CREATE_ACTION),
                started_at=started_at,
                timeout_seconds=timeout_seconds,
                poll_minutes=poll_minutes,
            )
        except Throttled as err:
            decision, image = self._throttled(event, "poll", image_id, err, wait), None
        except ResourceFailed as err:
            raise ResourceFailed(self._give_up(event, image_id, str(err))) from err
        if decision.outcome is polls.Outcome.WAIT:
            return None
        if decision.outcome is polls.Outcome.FAILED:
            raise ResourceFailed(decision.reason)
        assert image is not None
        if self._discard_all(
            event, to_discard, started_at, poll_interval_seconds=poll_minutes * 60
        ):
            return None  # answer once the images an abandoned request made are deleted
        try:
            refused = self._share_available(event, image_id, _shares(event))
        except Throttled as err:
            throttled = self._throttled(event, "poll", image_id, err, wait)
            if throttled.outcome is polls.Outcome.WAIT:
                return None
            refused = throttled.reason
        if refused:
            raise ResourceFailed(refused)
        self._record_version(
            event,
            image_id,
            created=bool(state.get(CREATED_HERE)),
            keep=_keep_previous(props),
            previous=str(event.get("PhysicalResourceId") or ""),
        )
        return Answer(image_id, polls.response_data(image))

    def _throttled(
        self,
        log_event: dict[str, Any],
        step: str,
        image_id: str,
        err: Throttled,
        wait: tuple[float, float, float],
    ) -> polls.PollDecision:
        """A poll still throttled after botocore's retries: WAIT for the next one;
        past the deadline (``wait``: started at, timeout and poll interval, in
        seconds), FAILED, and the image is given up."""
        started_at, timeout_seconds, interval_seconds = wait
        decision = polls.throttled_poll(
            str(err),
            now=time.time(),
            started_at=started_at,
            timeout_seconds=timeout_seconds,
            poll_interval_seconds=interval_seconds,
        )
        if decision.outcome is polls.Outcome.WAIT:
            log_decision(log_event, f"{step}:throttled", image_id=image_id, error=str(err))
            return decision
        return polls.PollDecision(
            polls.Outcome.FAILED, self._give_up(log_event, image_id, decision.reason)
        )

    def watch(self, job: dict[str, Any], context: Any) -> None:
        """A scheduled poll for a long wait: signal the WaitCondition once it is over."""
        # Who owns what the watcher touches: the job's own stack and resource.
        log_event = {
            "RequestType": "Watch",
            "StackId": job["StackId"],
            "LogicalResourceId": job["LogicalResourceId"],
        }
        image_id = str(job[contract.ATTR_IMAGE_ID])
        timeout = float(job[contract.PROP_TIMEOUT_SECONDS])
        poll_minutes = float(job[contract.PROP_POLL_INTERVAL_MINUTES])
        started_at = float(job[STARTED_AT])
        wait = (started_at, timeout, poll_minutes * 60)
        try:
            decision, _ = self._check(
                log_event,
                image_id,
                str(job.get(SOURCE_ACTION) or actions.CREATE_ACTION),
                started_at=started_at,
                timeout_seconds=timeout,
                poll_minutes=poll_minutes,
            )
        except Throttled as err:
            decision = self._throttled(log_event, "watch", image_id, err, wait)
        except ResourceFailed as err:
            # A failed look-up is retried at the next poll while the deadline allows.
            if not polls.past_deadline(time.time(), started_at, timeout, poll_minutes * 60):
                log_decision(log_event, "watch:retry-later", image_id=image_id, error=str(err))
                return
            decision = polls.PollDecision(
                polls.Outcome.FAILED, self._give_up(log_event, image_id, str(err))
            )
        to_discard = list(job.get(DISCARD) or [])
        waiting = (
            self._discard_all(
                log_event, to_discard, started_at, poll_interval_seconds=poll_minutes * 60
            )
            if to_discard
            else []
        )
        if decision.outcome is polls.Outcome.WAIT or waiting:
            return  # signal once the images an abandoned request made are deleted
        if decision.outcome is polls.Outcome.AVAILABLE:
            shares = list(job.get(contract.PROP_SHARE_WITH, []))
            try:
                refused = self._share_available(log_event, image_id, shares)
            except Throttled as err:
                throttled = self._throttled(log_event, "watch", image_id, err, wait)
                if throttled.outcome is polls.Outcome.WAIT:
                    return
                refused = throttled.reason
            if refused:
                decision = polls.PollDecision(polls.Outcome.FAILED, refused)
            else:
                keep = job.get(contract.PROP_KEEP_PREVIOUS_VERSIONS)
                self._record_version(
                    log_event,
                    image_id,
                    created=bool(job.get(CREATED_HERE)),
                    keep=None if keep is None else int(keep),
                    previous=str(job.get(PREVIOUS) or ""),
                )
        signal = wait_signal(decision, image_id)
        delivered = send_response(job[contract.PROP_WAIT_HANDLE], signal)
        # The wait is over either way: a handle that cannot be reached (its stack
        # rolled back, say) must not keep the watcher running.
        self._helper.remove_schedule(
            job["StackId"],
            job["LogicalResourceId"],
            context.function_name,
            strict=False,
            # A watcher scheduled before watch jobs named their request: removed as before.
            request_id=str(job.get("RequestId") or ""),
        )
        outcome = f"signalled-{signal['Status'].lower()}" if delivered else "signal-undelivered"
        log_decision(log_event, f"watch:{outcome}", image_id=image_id)

    def confirm_ready(self, event: dict[str, Any]) -> Answer:
        """Custom::WorkspaceImageReady: the wait is over; answer with the image id."""
        image_id = str(event["ResourceProperties"].get(contract.PROP_IMAGE_ID, ""))
        image = call("DescribeWorkspaceImages", lambda: self._images.describe(image_id))
        if image is None or image.get("State") != "AVAILABLE":
            state = (image or {}).get("State", "missing")
            raise ResourceFailed(reasons.fit_reason(f"image {image_id} is {state}, not AVAILABLE"))
        log_decision(event, "ready", image_id=image_id)
        # Not the image id itself: a Delete of this resource must never look like the image's.
        return Answer(f"ready-{image_id}", polls.response_data(image))

    def abandon(self, event: dict[str, Any], state: dict[str, Any], image_id: str) -> str | None:
        """crhelper could not schedule the polls: delete the image if this request made it."""
        if state.get(CREATED_HERE):
            return self._discard({**_owner(event), "RequestType": "Abandon"}, image_id)
        return None

    # --- sharing ------------------------------------------------------------

    def _share_available(
        self, log_event: dict[str, Any], image_id: str, accounts: list[str]
    ) -> str | None:
        """Share an image that just became AVAILABLE; if refused, return why.

        The image is kept: it took up to hours, and the refusal is about the
        accounts (BYOL images, for one, can be shared only with BYOL-enabled
        accounts of the same organization). The failed request answers with
        its id, so a rollback parks it for the next deploy, with the shares
        fixed, to adopt (retention.py). Throttled is raised as it is: the poll
        shares again at the next one.
        """
        if accounts:
            self._require_own(log_event, image_id, "share")
        try:
            self._share(log_event, image_id, accounts, allow=True)
        except Throttled:
            raise
        except ResourceFailed as err:
            log_decision(log_event, "share:refused", image_id=image_id, error=str(err))
            return reasons.fit_reason(f"{err}; image {image_id} is kept")
        return None

    def _share(
        self, log_event: dict[str, Any], image_id: str, accounts: list[str], *, allow: bool
    ) -> None:
        """Share the image with (or stop sharing it with) each account; share only
        with the accounts the stack names (``trust.share_error``)."""
        for account in accounts:
            refused = (
                trust.share_error(account, os.environ.get(contract.ENV_SHARE_ACCOUNTS, ""))
                if allow
                else None
            )
            if refused:
                log_decision(log_event, "share:refused", image_id=image_id, account=account)
                raise ResourceFailed(refused)
            call(
                "UpdateWorkspaceImagePermission",
                partial(self._images.share, image_id, account, allow=allow),
                f"image {image_id}",
            )
            log_decision(
                log_event, "share" if allow else "unshare", image_id=image_id, account=account
            )

    def _unshare(self, log_event: dict[str, Any], image_id: str, accounts: list[str]) -> None:
        """Stop sharing with those of ``accounts`` the image is shared with: the API
        revokes only a share that exists, and one may have been undone by hand."""
        import updates

        if not accounts:
            return
        shared = call(
            "DescribeWorkspaceImagePermissions",
            lambda: self._images.shared_accounts(image_id),
            f"image {image_id}",
        )
        self._share(log_event, image_id, updates.accounts_to_revoke(accounts, shared), allow=False)

    # --- deleting -----------------------------------------------------------

    def _discard_abandoned(
        self, event: dict[str, Any], abandoned: tuple[str, ...], *, keep: str
    ) -> dict[str, Any]:
        """Delete what an abandoned request made, except the image this request keeps.

        Those still PENDING are returned as Data for this request's polls to delete.
        """
        interval = 60 * float(
            event.get("ResourceProperties", {}).get(contract.PROP_POLL_INTERVAL_MINUTES, 1)
        )
        waiting = self._discard_all(
            event,
            [i for i in abandoned if i != keep],
            time.time(),
            poll_interval_seconds=interval,
            park=lambda image_id: True,
        )
        return {DISCARD: waiting} if waiting else {}

    def _discard_all(
        self,
        log_event: dict[str, Any],
        image_ids: list[str],
        started_at: float,
        own: str = "",
        poll_interval_seconds: float = 60,
        own_shares: list[str] | None = None,
        park: Callable[[str], bool] | None = None,
    ) -> list[str]:
        """Delete each image; return those the service cannot delete yet (PENDING).

        The resource's ``own`` image is first unshared from ``own_shares`` (the
        shares it made; one made by hand still stops the delete). A refusal of it
        for another reason (a bundle uses it, a share by hand) fails the request
        with the remedy; any other image is left, and the log says so.
        """
        waiting = []
        for image_id in dict.fromkeys(image_id for image_id in image_ids if image_id):
            try:
                outcome = self._discard_one(
                    log_event,
                    image_id,
                    started_at,
                    own=image_id == own,
                    interval=poll_interval_seconds,
                    shares=own_shares if image_id == own else None,
                    park=park,
                )
            except Throttled as err:
                # A look-up or unshare still throttled: try again at the next poll.
                outcome = discard.throttled_discard(
                    polls.past_deadline(
                        time.time(), started_at, contract.DELETE_WAIT_SECONDS, poll_interval_seconds
                    )
                )
                if outcome is discard.Discard.REFUSED and image_id == own:
                    raise
                log_decision(
                    log_event, f"discard:{outcome.value}", image_id=image_id, error=str(err)
                )
            if outcome is discard.Discard.WAIT:
                waiting.append(image_id)
        return waiting

    def _discard_one(
        self,
        log_event: dict[str, Any],
        image_id: str,
        started_at: float,
        *,
        own: bool,
        interval: float = 60,
        shares: list[str] | None = None,
        park: Callable[[str], bool] | None = None,
    ) -> discard.Discard:
        # The state decides what a refusal means. If it cannot be read (a denial
        # that lasts), the resource's own image fails the request, and any other
        # is tried all the same.
        state: str | None = None
        try:
            image = patience.run("DescribeWorkspaceImages", lambda: self._images.describe(image_id))
        except ClientError as err:
            if own:
                raise refusal("DescribeWorkspaceImages", err) from err
            log_decision(
                log_event, "discard:state-unknown", image_id=image_id, error=error_code(err)
            )
        else:
            if image is None:
                log_decision(log_event, "discard:gone", image_id=image_id)
                return discard.Discard.GONE
            state = image.get("State")
        # Only this resource's own image is ever deleted: the id came from an event.
        if not made_here(self._images, image_id, log_event):
            if own:
                raise ResourceFailed(
                    trust.not_owned_reason(
                        "image", image_id, str(log_event.get("LogicalResourceId")), "delete"
                    )
                )
            log_decision(log_event, "discard:not-ours", image_id=image_id)
            return discard.Discard.NOT_OURS
        # A finished image that a rollback gives up is kept for the next deploy.
        hours = _keep_hours(log_event)
        parking = state == "AVAILABLE" and hours > 0 and park is not None and park(image_id)
        # An image is shared once AVAILABLE. Its shares are undone before it is
        # parked too, but a refusal then must not fail a rollback: the image is
        # kept either way, and the next deploy shares as it says.
        if shares and state == "AVAILABLE":
            if parking:
                best_effort(
                    log_event, "Unshare", partial(self._unshare, log_event, image_id, shares)
                )
            else:
                self._unshare(log_event, image_id, shares)
        if parking and self._park(log_event, image_id, retention.parked_until(time.time(), hours)):
            return discard.Discard.PARKED
        try:
            patience.run("DeleteWorkspaceImage", lambda: self._images.delete(image_id))
        except ClientError as err:
            code = error_code(err)
            if code in NOT_FOUND_CODES:
                log_decision(log_event, "discard:gone", image_id=image_id)
                return discard.Discard.GONE
            outcome = discard.refused_delete(
                state,
                code,
                now=time.time(),
                started_at=started_at,
                wait_seconds=contract.DELETE_WAIT_SECONDS,
                poll_interval_seconds=interval,
            )
            log_decision(
                log_event, f"discard:{outcome.value}", image_id=image_id, state=state, error=code
            )
            if outcome is discard.Discard.REFUSED and own:
                raise ResourceFailed(
                    discard.delete_refused_reason(image_id, code, error_message(err))
                ) from err
            if outcome is discard.Discard.LEAVE:
                # Still PENDING when this request can wait no longer: the first
                # provider to run once it is done deletes it (the sweep).
                self._park(log_event, image_id, retention.parked_until(time.time(), 0))
            return outcome
        log_decision(log_event, "discard:deleted", image_id=image_id, state=state)
        return discard.Discard.DELETED

    def _record_version(
        self,
        owner: dict[str, Any],
        image_id: str,
        *,
        created: bool,
        keep: int | None,
        previous: str = "",
    ) -> None:
        """``image_id`` is the resource's image now: note it in the resource's
        versions, and with ``keep_previous_versions``, delete the replaced ones
        beyond the most recent ``keep``.

        Only a new version prunes: a rollback, or a return to an earlier version,
        adopts an image and prunes nothing. A version that a bundle still uses
        (or that is not this resource's) stays listed and is tried again at the
        next version. Never raises: pruning must not fail a finished image.
        """
        logical_id = str(owner["LogicalResourceId"])
        try:
            history = retention.with_current(
                patience.run("GetParameter", lambda: self._versions.get(logical_id)), image_id
            )
            if created and keep is not None:
                for old in retention.to_prune(history, image_id, keep, previous):
                    outcome = self._discard_one(owner, old, time.time(), own=False)
                    log_decision(owner, f"prune:{outcome.value}", image_id=old)
                    if outcome in (discard.Discard.GONE, discard.Discard.DELETED):
                        history.remove(old)
            patience.run("PutParameter", lambda: self._versions.put(logical_id, history))
        except Exception as err:  # the image is done; pruning waits for the next version
            code = error_code(err) if isinstance(err, ClientError) else type(err).__name__
            log_decision(owner, "prune:skipped", image_id=image_id, error=code)

    def _park(self, log_event: dict[str, Any], image_id: str, until: str) -> bool:
        """Keep an image until ``until``: tag it and list it in the account's parked index.

        Never raises: an image that cannot be parked is deleted as it was to be.
        """
        parked = best_effort(
            log_event,
            "CreateTags",
            partial(self._images.set_tags, image_id, {contract.PARKED_TAG: until}),
        ) and best_effort(
            log_event,
            "PutParameter",
            partial(
                self._parked.put,
                Parked(
                    image_id,
                    until,
                    str(log_event.get("StackId", "")),
                    str(log_event.get("LogicalResourceId", "")),
                ),
            ),
        )
        if parked:
            log_decision(log_event, "discard:parked", image_id=image_id, until=until)
        return parked

    def _rolling_back(self, event: dict[str, Any], *, rollback_only: bool = False) -> bool:
        """Whether this request undoes a deploy (the stack's status says so).

        An unknown status counts as a rollback for a Delete (parking costs days
        of quota, deleting costs hours of work), but not for an Update
        (``rollback_only``), which would then refuse to make its new image.
        """
        try:
            status, root_status = patience.run(
                "DescribeStacks", lambda: self._stacks.status(event["StackId"])
            )
        except Exception as err:  # the status is unknown: keep the image (retention.is_rollback)
            code = error_code(err) if isinstance(err, ClientError) else type(err).__name__
            log_decision(event, "stack-status:unknown", error=code)
            if rollback_only:
                return False
            status, root_status = None, None
        return retention.is_rollback(status, root_status)

    def sweep(self, log_event: dict[str, Any], limit: int = SWEEP_LIMIT) -> None:
        """Delete parked images whose time is up, from any stack: the account's collector.

        Every provider runs it on each request it gets from CloudFormation (not
        on polls), a few images at a time. Only an image whose own tags say it
        is parked and due is deleted; one still PENDING waits for a later sweep.
        Never raises.
        """
        now = time.time()
        try:
            entries = patience.run("GetParametersByPath", lambda: self._parked.entries(limit=100))
        except Exception as err:  # the sweep must never fail a request
            code = error_code(err) if isinstance(err, ClientError) else type(err).__name__
            log_decision(log_event, "sweep:skipped", error=code)
            return
        due = [e for e in entries if retention.due(e.until, now)]
        # A few that cannot be deleted yet must not stop the rest: any of them.
        for entry in random.sample(due, min(limit, len(due))):
            best_effort(log_event, "Sweep", partial(self._collect, log_event, entry, now))

    def _collect(self, log_event: dict[str, Any], entry: Parked, now: float) -> None:
        image_id = entry.image_id
        image = self._images.describe(image_id)
        if image is not None and image.get("State") == "PENDING":
            return
        if image is not None:
            tags = self._images.tags(image_id)
            if not retention.collectable(tags, now):
                # Adopted since, or not parked by this library: only the entry goes.
                if contract.PARKED_TAG not in tags:
                    self._parked.delete(image_id)
                return
            try:
                self._images.delete(image_id)
            except ClientError as err:
                if error_code(err) in NOT_FOUND_CODES:
                    self._parked.delete(image_id)
                    return
                # In use (a bundle), or shared by hand: try again in a day,
                # so that it does not hold up the others meanwhile.
                later = retention.parked_until(now, SWEEP_RETRY_HOURS)
                self._parked.put(Parked(image_id, later, entry.stack_id, entry.logical_id))
                log_decision(
                    log_event,
                    "sweep:refused",
                    image_id=image_id,
                    error=error_code(err),
                    until=later,
                )
                return
            log_decision(log_event, "sweep:deleted", image_id=image_id)
        self._parked.delete(image_id)

    def _give_up(
        self, log_event: dict[str, Any], image_id: str, reason: str, shared: list[str] | None = None
    ) -> str:
        """Delete an image whose wait failed, and return the reason to report.

        The image is deleted here (after undoing any share, which would stop the
        delete), or the reason says that it is left behind. Clean-up calls never
        raise: whatever they meet, the user gets the original reason.
        """
        for account in shared or []:
            best_effort(
                log_event,
                "UpdateWorkspaceImagePermission",
                partial(self._images.share, image_id, account, allow=False),
            )
        left_behind = self._discard(log_event, image_id)
        return reasons.fit_reason(f"{reason}; {left_behind}") if left_behind else reason

    def _discard(self, log_event: dict[str, Any], image_id: str) -> str | None:
        """Delete an image that failed; return what to tell the user if it stays."""
        outcome = self._discard_one(log_event, image_id, time.time(), own=False)
        return discard.left_behind_reason(image_id, outcome)

    # --- waiting ------------------------------------------------------------

    def _start_watch(
        self,
        event: dict[str, Any],
        spec: properties.ImageSpec,
        image_id: str,
        state: dict[str, Any],
        context: Any,
    ) -> Answer:
        """Answer CloudFormation now; a schedule signals the WaitCondition later."""
        job = {
            contract.ATTR_IMAGE_ID: image_id,
            STARTED_AT: state.get(STARTED_AT, time.time()),
            SOURCE_ACTION: spec.source.action,
            contract.PROP_TIMEOUT_SECONDS: spec.timeout_seconds,
            contract.PROP_POLL_INTERVAL_MINUTES: spec.poll_interval_minutes,
            contract.PROP_WAIT_HANDLE: spec.wait_handle,
            contract.PROP_SHARE_WITH: list(spec.share_with),
            # Images an abandoned request made, still PENDING: the watcher deletes them.
            DISCARD: list(state.get(DISCARD) or []),
            # Whether a new version is made (``keep_previous_versions`` prunes then),
            # and which was current before it (never pruned by this request).
            CREATED_HERE: bool(state.get(CREATED_HERE)),
            PREVIOUS: str(event.get("PhysicalResourceId") or ""),
            contract.PROP_KEEP_PREVIOUS_VERSIONS: _keep_previous(event["ResourceProperties"]),
            "StackId": event["StackId"],
            "LogicalResourceId": event["LogicalResourceId"],
            # Whose watcher this is: a newer request's schedule is never removed by it.
            "RequestId": event["RequestId"],
        }
        try:
            self._helper.schedule(
                event["StackId"],
                event["LogicalResourceId"],
                spec.poll_interval_minutes,
                job,
                context,
            )
        except Exception as err:
            reason = schedule_failure_reason(err)
            if state.get(CREATED_HERE):
                self._helper.PhysicalResourceId = image_id
                reason = self._give_up(event, image_id, reason)
            raise ResourceFailed(reason) from err
        log_decision(
            event, "watch:started", image_id=image_id, timeout_seconds=spec.timeout_seconds
        )
        return Answer(image_id, {contract.ATTR_IMAGE_ID: image_id, contract.ATTR_NAME: spec.name})

    def _check(
        self,
        log_event: dict[str, Any],
        image_id: str,
        action: str,
        *,
        started_at: float,
        timeout_seconds: float,
        poll_minutes: float,
    ) -> tuple[polls.PollDecision, dict[str, Any] | None]:
        """One poll: describe the image (and an import's progress), decide, log one line;
        a failed image is deleted."""
        now = time.time()
        image = call("DescribeWorkspaceImages", lambda: self._images.describe(image_id))
        progress = (
            self._progress(log_event, action, image_id)
            if action in actions.ACTIONS_WITH_PROGRESS
            and image is not None
            and image.get("State") != "AVAILABLE"
            else None
        )
        decision = polls.decide_poll(
            image,
            image_id=image_id,
            now=now,
            started_at=started_at,
            timeout_seconds=timeout_seconds,
            poll_interval_seconds=poll_minutes * 60,
            progress=progress,
        )
        log_decision(
            log_event,
            f"poll:{decision.outcome.value}",
            image_id=image_id,
            state=(image or {}).get("State", "MISSING"),
            elapsed_seconds=round(now - started_at),
            **polls.progress_fields(progress),
        )
        if decision.outcome is polls.Outcome.FAILED and image is not None:
            return polls.PollDecision(
                decision.outcome, self._give_up(log_event, image_id, decision.reason)
            ), image
        return decision, image

    def _progress(
        self, log_event: dict[str, Any], action: str, image_id: str
    ) -> Mapping[str, Any] | None:
        """An import's own status, if it can be read: the image's state decides
        the wait, and a failed read of the status must not fail a healthy import."""
        try:
            return _source(action).progress(self._images, image_id)
        except ResourceFailed as err:
            log_decision(log_event, "progress:unknown", image_id=image_id, error=str(err))
            return None

    # --- starting -----------------------------------------------------------

    def _start_image(
        self,
        event: dict[str, Any],
        spec: properties.ImageSpec,
        state: dict[str, Any],
        replacing: properties.ImageSpec | None = None,
        adopt_only: bool = False,
    ) -> str:
        """Start the image from its source, or adopt the one a repeated request made.

        ``adopt_only`` (a rollback): adopt this resource's image of that name, or
        fail; never make one again, which could differ from the one there was.

        No call that makes an image has a client token. When it refuses in a
        way that a repeated request explains (the name is taken; a source
        WorkSpace is busy being imaged), the image of that name is looked up
        and adopted if this resource made it. Starting first keeps the look-up,
        which pages through every image, off the common path (bench/RESULTS.md).

        A denial is looked up the same way first: a rollback adopts the old image
        even when the role no longer grants its source. With nothing to adopt,
        the denial is a grant not yet in effect, and the Create waits for it.

        Fills ``state`` with what the polls need.
        """
        stack_id, logical_id = event["StackId"], event["LogicalResourceId"]
        started_at = time.time()
        source = _source(spec.source.action)

        def start() -> str:
            return source.start(
                self._images,
                spec.source,
                name=spec.name,
                description=spec.description,
                tags=tagging.creation_tags(spec.tags, stack_id, logical_id),
            )

        created = True
        try:
            if adopt_only:
                raise _RollbackAdoptsOnly
            image_id = start()
        except _RollbackAdoptsOnly:
            existing = call(
                "DescribeWorkspaceImages", lambda: self._images.find_owned_by_name(spec.name)
            )
            if existing is None or not self._made_here(event, existing):
                log_decision(event, "rollback:nothing-to-adopt", image_name=spec.name)
                raise RollbackCannotRebuild(
                    reasons.fit_reason(
                        f"rolling back to image {spec.name!r}, which no longer exists: a "
                        "rollback does not make an image again (it could differ from the one "
                        "there was); skip this resource in the rollback "
                        "(continue-update-rollback --resources-to-skip), then deploy again"
                    )
                ) from None
            image_id = self._adopt(event, spec, replacing, existing)
            created = False
        except ClientError as err:
            code = error_code(err)
            log_decision(event, "create:refused", action=source.action, error=code)
            refused = ResourceFailed(
                reasons.service_error_reason(source.action, code, error_message(err))
            )
            lookup = code in reasons.ADOPTABLE_CREATE_ERRORS | retries.ACCESS_DENIED_CODES
            existing = (
                call("DescribeWorkspaceImages", lambda: self._images.find_owned_by_name(spec.name))
                # An update (a rollback among them) looks for its image whatever
                # the refusal: the old source may be gone (a deleted source image,
                # a deregistered AMI), and the service checks it before the name.
                if lookup or replacing is not None
                else None
            )
            if existing is not None and (lookup or self._made_here(event, existing)):
                image_id = self._adopt(event, spec, replacing, existing)
                created = False
            elif code in retries.ACCESS_DENIED_CODES:
                # Denied, and nothing to adopt: a grant of this deployment (the
                # source) may not be in effect yet. Wait for it.
                image_id = call(source.action, start, source.resource(spec.source))
            else:
                # A source may say more plainly why (no update available).
                source.check(self._images, spec.source, code)
                raise refused from err
        # crhelper's own timeout answer names the image from now on.
        self._helper.started(image_id)
        if created:
            state[CREATED_HERE] = True
            log_decision(
                event,
                "create:started",
                action=source.action,
                image_id=image_id,
                image_name=spec.name,
            )
        state[contract.ATTR_IMAGE_ID] = image_id
        state[STARTED_AT] = started_at
        state[SOURCE_ACTION] = source.action
        return image_id

    def _adopt(
        self,
        event: dict[str, Any],
        spec: properties.ImageSpec,
        replacing: properties.ImageSpec | None,
        existing: dict[str, Any],
    ) -> str:
        image_id = str(existing["ImageId"])
        if replacing is not None and replacing.name == spec.name:
            raise ResourceFailed(reasons.replacement_needs_new_name_reason(spec.name))
        tags = call("DescribeTags", lambda: self._images.tags(image_id))
        if not retention.adoptable(tags, event["StackId"], event["LogicalResourceId"]):
            log_decision(event, "create:name-taken", image_id=image_id)
            raise ResourceFailed(reasons.name_taken_reason(spec.name, image_id))
        self._unpark(event, image_id, tags)
        log_decision(event, "create:adopted", image_id=image_id, state=existing.get("State"))
        return image_id

    def _unpark(self, event: dict[str, Any], image_id: str, tags: Mapping[str, str]) -> None:
        """An adopted image is this stack's again: its owner tag names this stack (a
        new StackId after a first deploy that rolled back), and it is no longer parked."""
        if tags.get(contract.OWNER_STACK_TAG) != event["StackId"]:
            call(
                "CreateTags",
                lambda: self._images.set_tags(
                    image_id, {contract.OWNER_STACK_TAG: event["StackId"]}
                ),
            )
        if contract.PARKED_TAG in tags:
            call("DeleteTags", lambda: self._images.remove_tags(image_id, [contract.PARKED_TAG]))
            best_effort(event, "DeleteParameter", partial(self._parked.delete, image_id))
            log_decision(event, "create:unparked", image_id=image_id)

    def _require_own(self, owner: dict[str, Any], image_id: str, action: str) -> None:
        """Refuse to act on an image this resource did not make (its id came from an event)."""
        if not contract.is_image_id(image_id) or not made_here(self._images, image_id, owner):
            log_decision(owner, "refused:not-ours", image_id=image_id, action=action)
            raise ResourceFailed(
                trust.not_owned_reason(
                    "image", image_id, str(owner.get("LogicalResourceId")), action
                )
            )

    def _made_here(self, event: dict[str, Any], image: dict[str, Any]) -> bool:
        """Whether this resource may adopt ``image`` (retention.adoptable)."""
        tags = call("DescribeTags", lambda: self._images.tags(str(image["ImageId"])))
        return retention.adoptable(tags, event["StackId"], event["LogicalResourceId"])

    def _find_own_image(self, event: dict[str, Any]) -> str | None:
        """The image this resource made under its Name, if any (by its owner tags)."""
        name = event.get("ResourceProperties", {}).get(contract.PROP_NAME)
        if not isinstance(name, str) or contract.name_error(name, contract.PROP_NAME):
            return None
        existing = call("DescribeWorkspaceImages", lambda: self._images.find_owned_by_name(name))
        if existing is None:
            return None
        image_id = str(existing["ImageId"])
        return image_id if made_here(self._images, image_id, event) else None


def _source(action: str) -> Source:
    """The source that makes images with ``action``; imported when a request
    starts one, or a poll reads an import's progress (not by every poll)."""
    import sources

    return sources.SOURCES[action]


class _RollbackAdoptsOnly(Exception):
    """A rollback does not start an image: it looks for the one there was."""


class RollbackCannotRebuild(ResourceFailed):
    """A rollback found no image of the old name to adopt (the message says what to do)."""


class _Lazy:
    """A yes/no worked out on first use only (an API call that most requests never need)."""

    def __init__(self, work: Callable[[], bool]) -> None:
        self._work = work
        self._value: bool | None = None

    def __call__(self) -> bool:
        if self._value is None:
            self._value = self._work()
        return self._value


def _keep_hours(event: Mapping[str, Any]) -> float:
    """How long this resource keeps a finished image that a rollback gives up."""
    props = event.get("ResourceProperties") or {}
    try:
        return float(
            props.get(
                contract.PROP_KEEP_AFTER_ROLLBACK_HOURS, contract.DEFAULT_KEEP_AFTER_ROLLBACK_HOURS
            )
        )
    except (TypeError, ValueError):
        return float(contract.DEFAULT_KEEP_AFTER_ROLLBACK_HOURS)


def _keep_previous(props: Mapping[str, Any]) -> int | None:
    """``keep_previous_versions``, if the resource sets it (CloudFormation sends a string)."""
    raw = props.get(contract.PROP_KEEP_PREVIOUS_VERSIONS)
    try:
        return None if raw in (None, "") else max(int(str(raw)), 0)
    except ValueError:
        return None


def _owner(event: dict[str, Any]) -> dict[str, Any]:
    """The stack and resource that an event speaks for (whose owner tags count)."""
    return {"StackId": event["StackId"], "LogicalResourceId": event["LogicalResourceId"]}


def _refuse_reserved_tags(tags: Mapping[str, str]) -> None:
    reserved = sorted(set(tags) & contract.RESERVED_TAG_KEYS)
    if reserved:
        raise ResourceFailed(
            reasons.fit_reason(
                f"the old properties' Tags hold {', '.join(reserved)}, which cdk-workspace-image "
                "reserves for its owner tags; nothing was changed"
            )
        )


def _shares(event: dict[str, Any]) -> list[str]:
    """The accounts this resource shares its image with (``share_with_accounts``)."""
    import properties

    props = event.get("ResourceProperties", {})
    return list(properties.read_accounts(props.get(contract.PROP_SHARE_WITH)))


def _spec(event: dict[str, Any]) -> properties.ImageSpec:
    import properties

    try:
        return properties.parse_properties(event["ResourceProperties"], event["ResourceType"])
    except properties.InvalidProperties as err:
        raise ResourceFailed(reasons.fit_reason(f"invalid properties: {err}")) from err
