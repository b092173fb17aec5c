"""Following an emailed link (registration, registration reset, "having trouble", admin
reset): the token's digest reaches its flow in one update, ``open_link``, which answers once
the flow has taken the click with what it opened — for most links the MFA enrollment the
browser is then bound to. Only digests leave this module.

Each click also carries a digest of this browser's id (the random cookie every browser gets,
api/security.py) — one it already held before opening the link, when it is the browser that
registered. When the flow is slow to answer (its worker died mid-step and another is taking
over), or the answer is lost (the API process died mid-request), the page says "try again"
(503) or nothing at all instead of "expired": the flow may take the click a moment later,
and the same browser opening the same link again is recognised as the one whose click it took
— while anyone else holding the link (forwarded, or opened twice elsewhere) still is not."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel
from starlette.requests import Request
from temporalio.client import WorkflowUpdateFailedError

from api.flows import ActionRefused, FlowGone, Flows
from api.resources import Unavailable, temporal_outage
from domain.digests import COOKIE_KEY, LINK_KEY, derive_key, token_digest
from workflows.emailed_link import EmailedLink, LinkClick, LinkOpened

UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LINK_FLOW = re.compile(f"(registration|registration_reset|enrollment_help)-{UUID_PATTERN}")
_TOKEN_MAX = 128
# A flow answers a click it took in a few workflow tasks; this bounds one that is slow to
# (its worker died mid-step and another is taking over).
_WAIT_AT_MOST = 20.0
STILL_OPENING = "We are still opening your link. Please open it again in a moment."


class EmailedLinkQuery(BaseModel):
    """What an emailed link carries: its flow and its token (never logged: api/request_telemetry.py)."""

    flow: str = ""
    token: str = ""


# A link's route takes it as ``link: LinkQuery``.
LinkQuery = Annotated[EmailedLinkQuery, Query()]


class LinkStillOpening(Exception):
    """The flow did not answer the click in time: the page asks to open the link again."""

    def __init__(self) -> None:
        super().__init__(STILL_OPENING)


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
    flows: Flows, secret_key: str, link: EmailedLinkQuery, click: str, kind: re.Pattern[str] = LINK_FLOW, *,
    claim: str = "",
) -> LinkOpened | None:
    """What the link opened, or None: expired, used, forged, or its flow has ended. Raises
    LinkStillOpening when the flow is slow. ``click``: what opening_link gives (the browser's
    id); ``kind``: the flows such a link may name; ``claim``: the claim of the browser the
    enrollment the link opens will be bound to (api/flow_sign_in.py's ``seeded_claim``)."""
    flow_id, token = link.flow, link.token
    if not kind.fullmatch(flow_id) or not token or len(token) > _TOKEN_MAX:
        return None
    opening = LinkClick(
        token_digest(derive_key(secret_key, LINK_KEY), token),
        token_digest(derive_key(secret_key, COOKIE_KEY), f"link click {click}"),
        claim,
    )
    try:
        opened: LinkOpened = await flows.call(flow_id, EmailedLink.open_link, opening, within=_WAIT_AT_MOST)
    except (ActionRefused, FlowGone):
        return None
    except WorkflowUpdateFailedError:
        return None  # the flow ended before it took the click (cancelled by support)
    except asyncio.TimeoutError:
        raise LinkStillOpening() from None
    return opened
