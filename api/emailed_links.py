"""Following an emailed link (registration, registration reset, "having trouble", admin
reset): the token's digest reaches its flow as the link_clicked_by signal, and the page waits
until the flow has taken the click — for most links by starting MFA enrollment, whose id the
browser is then bound to. Only digests leave this module.

Each click also carries a digest of this browser's id (the random cookie every browser gets,
api/security.py) — one it already held before opening the link, when it is the browser that
registered. When the flow is slow to answer (its worker died mid-step and another is taking
over), or the answer is lost (the API process died mid-request), the page says "try again"
(503) or nothing at all instead of "expired": the flow may take the click a moment later,
and the same browser opening the same link again is recognised as the one whose click it took
— while anyone else holding the link (forwarded, or opened twice elsewhere) still is not."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.requests import Request

from api.flows import FlowGone, Flows
from api.resources import Unavailable, temporal_outage
from domain.digests import COOKIE_KEY, LINK_KEY, derive_key, token_digest
from workflows.flow import FlowView, LinkClick

UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LINK_FLOW = re.compile(f"(registration|registration_reset|enrollment_help)-{UUID_PATTERN}")
_TOKEN_MAX = 128
# The flow takes a few workflow tasks to record the click; a refusal shows at once in its
# links_refused count. This only bounds a flow that does not answer.
_WAIT_AT_MOST = 20.0
STILL_OPENING = "We are still opening your link. Please open it again in a moment."


class LinkStillOpening(Exception):
    """The flow did not answer the click in time: the page asks to open the link again."""

    def __init__(self) -> None:
        super().__init__(STILL_OPENING)


@dataclass(frozen=True)
class LinkKind:
    """Which flows a link may name, when such a flow takes a click, and what it answers."""

    flows: re.Pattern[str]
    # Once a click was taken, the same link (opened twice, or forwarded) must not hand the
    # flow to another browser: only a flow still waiting for its click takes one.
    waiting: Callable[[FlowView], bool]
    # What the taken click opened (e.g. the enrollment's id), or None while not yet taken.
    opened: Callable[[FlowView], str | None]


ENROLLMENT_LINK = LinkKind(
    LINK_FLOW,
    waiting=lambda view: view.step == "check_email",
    opened=lambda view: view.fields.get("enrollment_flow") or None,
)


@asynccontextmanager
async def opening_link(request: Request) -> AsyncIterator[str]:
    """Around everything a link's page does: what this browser's click carries, and an outage
    on the way (no worker answers the flow right now, Temporal is down) answered as "try
    again" — the click may already be on its way to the flow, which will know this browser."""
    try:
        yield request.state.browser_id
    except Exception as exc:
        if isinstance(exc, Unavailable) or temporal_outage(exc):
            raise LinkStillOpening() from None
        raise


async def follow_link(
    flows: Flows, secret_key: str, flow_id: str, token: str, click: str, kind: LinkKind = ENROLLMENT_LINK
) -> str | None:
    """What the link opened (for most links, the enrollment flow's id), or None: expired,
    used, forged, or its flow has ended. Raises LinkStillOpening when the flow is slow.
    ``click``: what opening_link gives (the browser's id)."""
    if not kind.flows.fullmatch(flow_id) or not token or len(token) > _TOKEN_MAX:
        return None
    click_digest = token_digest(derive_key(secret_key, COOKIE_KEY), f"link click {click}")
    try:
        view = await flows.view(flow_id)
    except FlowGone:
        return None
    if view.status != "running":
        return None
    if not kind.waiting(view):
        # Taken already: by this browser's own earlier open, whose answer was lost or "try again"?
        return kind.opened(view) if await _took(flows, flow_id, click_digest) else None
    before = int(view.fields.get("links_refused", "0"))
    digest = token_digest(derive_key(secret_key, LINK_KEY), token)
    if not await flows.signal(flow_id, "link_clicked_by", LinkClick(digest, click_digest)):
        return None

    def refused(view: FlowView) -> bool:
        return int(view.fields.get("links_refused", "0")) > before

    view = await flows.view_when(
        flow_id,
        lambda view: view is None or refused(view) or bool(kind.opened(view)) or view.status != "running",
        within=_WAIT_AT_MOST,
    )
    if view is not None and view.status == "running" and not refused(view) and not kind.opened(view):
        raise LinkStillOpening()
    if view is None or refused(view):
        return None
    return kind.opened(view)


async def _took(flows: Flows, flow_id: str, click_digest: str) -> bool:
    try:
        return await flows.query(flow_id, "took_click", click_digest, bool)
    except FlowGone:
        return False
