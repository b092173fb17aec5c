"""Following an emailed link (registration, registration reset, "having trouble"): the
token's digest reaches its flow as the link_clicked signal, and a flow that accepts it starts
MFA enrollment, whose id the browser is then bound to. Only the digest leaves this module."""

from __future__ import annotations

import asyncio
import re

from api.flows import FlowGone, Flows
from domain.digests import LINK_KEY, derive_key, token_digest

_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LINK_FLOW = re.compile(f"(registration|registration_reset|enrollment_help)-{_UUID}")
_TOKEN_MAX = 128
_POLL_EVERY = 0.1
# The flow takes a few workflow tasks to record the click and start enrollment; a refusal
# shows at once in its links_refused count. This only bounds a flow that does not answer.
_WAIT_AT_MOST = 20.0


async def follow_link(flows: Flows, secret_key: str, flow_id: str, token: str) -> str | None:
    """The id of the enrollment flow this link opens, or None: expired, used, or forged."""
    if not LINK_FLOW.fullmatch(flow_id) or not token or len(token) > _TOKEN_MAX:
        return None
    before = await _refusals_if_waiting(flows, flow_id)
    if before is None:
        return None
    digest = token_digest(derive_key(secret_key, LINK_KEY), token)
    if not await flows.signal(flow_id, "link_clicked", digest):
        return None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _WAIT_AT_MOST
    while loop.time() < deadline:
        await asyncio.sleep(_POLL_EVERY)
        try:
            view = await flows.view(flow_id)
        except FlowGone:
            return None
        if int(view.fields.get("links_refused", "0")) > before:
            return None
        if child := view.fields.get("enrollment_flow"):
            return child
        if view.status != "running":
            return None
    return None


async def _refusals_if_waiting(flows: Flows, flow_id: str) -> int | None:
    """How many clicks the flow has refused so far, or None when it takes no click now.

    Once enrollment has started, the same link (opened twice, or forwarded) must not hand it
    to another browser: only a flow still waiting for its click takes one."""
    try:
        view = await flows.view(flow_id)
    except FlowGone:
        return None
    if view.status != "running" or view.step != "check_email":
        return None
    return int(view.fields.get("links_refused", "0"))
