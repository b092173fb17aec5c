"""The user's side of a provider administrator's reset: the emailed link, and the hand-over
from "first login" to the enrollment the reset flow runs.

The link is a pointer, not a key: following it records the click (single use, expiring,
only its digest reaches the flow) and leads to first login, where the username and password
are asked for. Whoever holds the mailbox alone cannot take the account over."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dependencies import FlowsDep, SettingsDep, TemplatesDep
from api.emailed_links import UUID_PATTERN, LinkQuery, follow_link, opening_link
from api.flows import FlowGone, Flows
from workflows.admin_reset import CONFIRM_PATH, admin_reset_id

router = APIRouter(tags=["admin reset"])
FIRST_LOGIN_NOTICE = "/first-login?notice=admin_reset_link"
# The flow notes the click (single use) and the person goes on to first login.
RESET_LINK = re.compile(f"admin-reset-{UUID_PATTERN}")


@router.get(CONFIRM_PATH, include_in_schema=False)
async def confirm_link(request: Request, flows: FlowsDep, settings: SettingsDep, templates: TemplatesDep, link: LinkQuery) -> Response:
    async with opening_link(request) as click:
        if await follow_link(flows, settings.secret_key, link, click, RESET_LINK):
            return flows.redirect(FIRST_LOGIN_NOTICE)
    return templates.TemplateResponse(request, "admin_reset/link_expired.html", {}, status_code=410)


async def hand_over(flows: Flows, account_id: str, claim: str) -> str | None:
    """The enrollment a pending admin reset of ``account_id`` runs for its user (started now
    if need be, with this browser's ``claim``), or None when no reset is pending — then first
    login enrolls on its own."""
    try:
        view = await flows.update(admin_reset_id(account_id), "begin_enrollment", account_id, claim)
    except FlowGone:
        return None
    if view.errors:  # the reset is ending or being replaced right now: enroll on its own
        return None
    return view.enrollment_flow or None
