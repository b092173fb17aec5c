"""The emailed link a flow opts into (registration, registration reset, an administrator's
reset): sent once, single use, expiring; only its token's digest is in history.

A browser opening the link calls ``open_link``, an update: its validator turns away a
forged, used or expired link before anything is written, and its answer comes once the flow
has taken the click — what the click opened (the enrollment the browser goes on to), so
the page needs no polling. Each click carries the digest of a value the opening browser
keeps, so that browser (and only it) opening the link again gets the same answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.contracts import LinkDelivery, Sent
    from activities.email import EmailActivities
    from domain.digests import digests_match
    from workflows.deliveries import (
        STILL_SENDING_LINK,
        done_soon,
        retries_within_life,
        past_this_worker,
        start_delivery,
        tries_here,
    )
    from workflows.flow import FlowView, FlowWorkflow, field_error

LINK_REFUSED = "This link has expired or has already been used."


@dataclass
class PendingLink:
    """The digest of the link token we emailed, and until when it works."""

    digest: str
    expires_at: datetime
    clicked: bool = False
    # The digest of the browser's own value that came with the click taken, and the claim the
    # browser will make for the sign-in at the end of what the click opens (LinkClick).
    clicked_by: str = ""
    claim: str = ""


@dataclass(frozen=True)
class LinkClick:
    """An emailed link opened: its token's digest, and the digest of a value the opening browser
    keeps, so that browser (and only it) can be told later that its click was the one taken."""

    token_digest: str
    click_digest: str
    # The claim digest of the browser the enrollment the click opens will be bound to: that
    # enrollment's last answer then carries the sign-in (workflows/sign_in_hand_over.py).
    claim: str = ""


@dataclass(frozen=True)
class LinkOpened:
    """What a taken click opened: the enrollment the browser goes on to (none for an
    administrator's reset, whose link leads to first login) and the account it is for."""

    account_id: str
    enrollment_flow: str = ""


@dataclass
class LinkView(FlowView):
    """The view of a flow that emails a link."""

    # Refused clicks, and the enrollment a taken one opened: what link pages of API processes
    # from before ``open_link`` waited on (``open_link`` answers with both now).
    links_refused: int = 0
    enrollment_flow: str = ""


class EmailedLink(FlowWorkflow):
    # The host's steps, with those an emailed link's enrollment reaches (ENROLLING, COMPLETE,
    # ENROLLMENT_ABANDONED: workflows/enrollment.py's ``enroll``).
    STEPS: Any
    VIEW: type[FlowView] = LinkView
    _view: LinkView

    def __init__(self) -> None:
        super().__init__()
        self._link: PendingLink | None = None
        self._sending_link = False
        # Set by the flow once it has acted on the click (``_link_opened``).
        self._opened: LinkOpened | None = None
        self._links_closed = False

    async def _email_link(self, delivery: LinkDelivery, *, answers_a_press: bool = False) -> bool:
        """Email a fresh single-use link (any earlier one stops working). False when it could not
        be sent. A link that ``answers_a_press`` (sent in the task of the person's action, not
        in the run's first) may try this worker first (workflows/deliveries.py)."""
        self._sending_link = True
        # As for codes: the link's life starts when it is asked for (a retried send repeats it).
        asked_at = workflow.now()
        life = timedelta(seconds=delivery.expires_in_seconds)
        notice = self._view.notice
        try:
            here = tries_here(answers_a_press)
            tried_here = asyncio.Event()
            sending = start_delivery(EmailActivities.send_link_email, delivery, life, here=here, tried_here=tried_here)
            if here:
                await past_this_worker(tried_here)
            if retries_within_life() and not await done_soon(sending):
                self._view.notice = STILL_SENDING_LINK  # the screen waiting for the email says so
            sent: Sent = await sending
            if self._view.notice == STILL_SENDING_LINK:
                self._view.notice = notice
        except FailureError as error:  # the local attempt's reason, or the activity's ActivityError
            if is_cancelled_exception(error):
                raise  # an operator's cancel, not a failed send: the flow's clean-up handles it
            return False
        finally:
            self._sending_link = False
        self._link = PendingLink(sent.digest, asked_at + timedelta(seconds=delivery.expires_in_seconds))
        return True

    async def _wait_for_click(self) -> bool:
        """Wait (durably) until the link is clicked or expires."""
        link = self._link
        assert link is not None
        try:
            await workflow.wait_condition(lambda: link.clicked, timeout=link.expires_at - workflow.now())
            return True
        except asyncio.TimeoutError:
            link.digest = ""
            return False

    @property
    def click_claim(self) -> str:
        """The claim that came with the click taken ("" before one, or from an API before claims)."""
        return self._link.claim if self._link is not None else ""

    def _link_opened(self, opened: LinkOpened) -> None:
        """The flow has acted on the click: the browser waiting in ``open_link`` gets this."""
        self._opened = opened

    def _close_links(self) -> None:
        """The link stops working, and a browser still waiting on its click is let go."""
        if self._link is not None:
            self._link.digest = ""
        self._links_closed = True

    @workflow.update
    async def open_link(self, click: LinkClick) -> LinkOpened:
        if not await self._take_click(click):
            raise field_error("link", LINK_REFUSED)
        await workflow.wait_condition(
            lambda: self._opened is not None or self._links_closed or self._view.status != "running"
        )
        if self._opened is None:
            raise field_error("link", LINK_REFUSED)
        return self._opened

    @open_link.validator
    def _check_link(self, click: LinkClick) -> None:
        # While the send is unconfirmed the digest is not on record yet: the handler waits.
        if self._sending_link or self._usable(click) or self.took_click(click.click_digest):
            return
        raise field_error("link", LINK_REFUSED)

    def _usable(self, click: LinkClick) -> bool:
        link = self._link
        return (
            link is not None and not link.clicked and bool(link.digest)
            and workflow.now() < link.expires_at and digests_match(click.token_digest, link.digest)
        )

    @workflow.signal
    async def link_clicked(self, token_digest: str) -> None:
        """How API processes from before link_clicked_by report a click (a rolling deploy)."""
        await self._take_click(LinkClick(token_digest, ""))

    @workflow.signal
    async def link_clicked_by(self, click: LinkClick) -> None:
        """How API processes from before open_link report a click (a rolling deploy)."""
        await self._take_click(click)

    @workflow.query
    def took_click(self, click_digest: str) -> bool:
        """Whether the click taken came from the browser holding this value."""
        link = self._link
        return bool(link and link.clicked and link.clicked_by and click_digest and digests_match(click_digest, link.clicked_by))

    async def _take_click(self, click: LinkClick) -> bool:
        """Whether the click is the link's (or the same browser's again)."""
        # The email arrives before the send activity's result does: a quick click waits for it.
        await workflow.wait_condition(lambda: not self._sending_link)
        link = self._link
        if link is not None and self._usable(click):
            link.clicked = True
            link.digest = ""  # single use
            link.clicked_by, link.claim = click.click_digest, click.claim
            return True
        if self.took_click(click.click_digest):
            return True  # the same browser again (its first open's answer was lost): no refusal
        # The signals have no answer: counting refusals let the page that sent one stop waiting.
        self._view.links_refused += 1
        return False
