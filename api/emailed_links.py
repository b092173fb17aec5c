"""Following an emailed link (registration, registration reset, "having trouble", admin
reset): the token's digest reaches its flow as the link_clicked signal, and the page waits
until the flow has taken the click — for most links by starting MFA enrollment, whose id the
browser is then bound to. Only the digest leaves this module."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from api.flows import FlowGone, Flows
from domain.digests import LINK_KEY, derive_key, token_digest
from workflows.flow import FlowView

UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LINK_FLOW = re.compile(f"(registration|registration_reset|enrollment_help)-{UUID_PATTERN}")
_TOKEN_MAX = 128
# The flow takes a few workflow tasks to record the click; a refusal shows at once in its
# links_refused count. This only bounds a flow that does not answer.
_WAIT_AT_MOST = 20.0


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


async def follow_link(
    flows: Flows, secret_key: str, flow_id: str, token: str, kind: LinkKind = ENROLLMENT_LINK
) -> str | None:
    """What the link opened (for most links, the enrollment flow's id), or None: expired,
    used, forged, or its flow has ended."""
    if not kind.flows.fullmatch(flow_id) or not token or len(token) > _TOKEN_MAX:
        return None
    before = await _refusals_if_waiting(flows, flow_id, kind)
    if before is None:
        return None
    digest = token_digest(derive_key(secret_key, LINK_KEY), token)
    if not await flows.signal(flow_id, "link_clicked", digest):
        return None

    def refused(view: FlowView) -> bool:
        return int(view.fields.get("links_refused", "0")) > before

    view = await flows.view_when(
        flow_id,
        lambda view: view is None or refused(view) or bool(kind.opened(view)) or view.status != "running",
        within=_WAIT_AT_MOST,
    )
    if view is None or refused(view):
        return None
    return kind.opened(view)


async def _refusals_if_waiting(flows: Flows, flow_id: str, kind: LinkKind) -> int | None:
    """How many clicks the flow has refused so far, or None when it takes no click now."""
    try:
        view = await flows.view(flow_id)
    except FlowGone:
        return None
    if view.status != "running" or not kind.waiting(view):
        return None
    return int(view.fields.get("links_refused", "0"))
