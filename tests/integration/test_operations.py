"""Support operations against the real stack (API, worker, PostgreSQL, Temporal, SMTP sink):
staff find a registration stuck at its email link, cancel it and restart it, and each ends
in the state the README's support runbook documents."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from operations.actors import cli_actor
from operations.filters import FlowFilter
from operations.service import Operations
from tests.support.staff import NPI, audit_rows, listed, person, stuck_registration

EMAIL = "morgan.md@example.com"


def staff_client(live_app, token: str):
    http = live_app.http()
    http.cookies.set("atrezzo_session", token)
    return http


async def account_status(live_app, account_id: str) -> str | None:
    async with live_app.pool.acquire() as conn:
        return await conn.fetchval("SELECT status FROM users WHERE id = $1", account_id)


async def test_staff_list_finds_a_registration_stuck_at_the_email_link(live_app, mail):
    staff_id, token = await person(live_app, "sam.support", staff=True)
    async with live_app.http() as browser, staff_client(live_app, token) as staff:
        flow_id, account_id, _ = await stuck_registration(live_app, mail, browser)

        async def stuck(**params):
            response = await staff.get("/api/v1/operations/flows", params=params)
            assert response.status_code == 200, response.text
            return response.json()["flows"]

        rows = await listed(lambda: stuck(process="registration", step="check_email"), flow_id)
        [row] = [r for r in rows if r["id"] == flow_id]
        assert (row["process"], row["step"], row["status"]) == ("registration", "check_email", "running")
        assert (row["account_id"], row["provider_npi"]) == (account_id, NPI)
        assert row["since"] and row["started"]
        # The filters: another step, another process, and "older than 15 minutes" leave it out.
        for params in ({"step": "user_info"}, {"process": "login"}, {"process": "registration", "older_than": "15m"}):
            assert flow_id not in [r["id"] for r in await stuck(**params)], params
        page = await staff.get("/operations", params={"process": "registration", "step": "check_email"})
        assert page.status_code == 200 and flow_id in page.text
        # Its timeline: the steps it went through, from its history.
        detail = (await staff.get(f"/api/v1/operations/flows/{flow_id}")).json()
        steps = [e["name"] for e in detail["timeline"] if e["what"] == "step"]
        assert steps == ["user_info", "check_email"]
        # Database steps run as local activities are named too (their marker's own note).
        assert {"submit_user_info", "create_pending_account", "send_link_email"} <= {e["name"] for e in detail["timeline"]}
        html = await staff.get(f"/operations/flows/{flow_id}")
        assert html.status_code == 200 and "check_email" in html.text and "Cancel flow" in html.text
        assert EMAIL not in html.text and EMAIL not in str(detail)  # no payloads on this page

    # Sixteen minutes on, it is "older than 15m" (the cutoff is passed instead of waiting).
    ops = Operations(live_app.client, live_app.pool, cli_actor())
    later = datetime.now(timezone.utc) + timedelta(minutes=16)
    rows = await listed(lambda: ops.stuck_flows(FlowFilter("registration", "check_email", timedelta(minutes=15)), now=later), flow_id)
    assert flow_id in [r.id for r in rows]  # (the Temporal server is shared: other tests' flows may show)
    listings = await audit_rows(live_app.pool, "operations.flows_listed")
    assert {str(r["actor_user_id"]) for r in listings} == {staff_id, "None"}


async def test_cancel_from_the_api_releases_the_account_refuses_the_link_and_tells_the_person(live_app, mail):
    staff_id, token = await person(live_app, "sam.support", staff=True)
    async with live_app.http() as browser, staff_client(live_app, token) as staff:
        flow_id, account_id, link = await stuck_registration(live_app, mail, browser)
        response = await staff.post(f"/api/v1/operations/flows/{flow_id}/cancel", json={})
        assert response.status_code == 200, response.text
        assert (response.json()["flow_id"], response.json()["status"]) == (flow_id, "cancelled")
        assert await account_status(live_app, account_id) is None
        opened = await browser.get(link.replace(live_app.url, ""), follow_redirects=False)
        assert opened.status_code == 410 and "This registration was cancelled" in opened.text
        [notice, _] = await mail.wait_for_messages_to(EMAIL, count=2)
        assert notice["subject"] == "Your Atrezzo registration was cancelled"
        assert "/register" in notice["text"] and "token=" not in notice["text"]
        # The browser that started it is told too, and a second cancel is refused.
        assert (await browser.get("/api/v1/registration")).json()["step"] == "cancelled"
        again = await staff.post(f"/api/v1/operations/flows/{flow_id}/cancel", json={})
        assert again.status_code == 409 and "not running" in again.json()["detail"]
    [entry] = await audit_rows(live_app.pool, "operations.flow_cancelled")
    assert (str(entry["actor_user_id"]), str(entry["subject_user_id"])) == (staff_id, account_id)
    assert entry["detail"]["flow"] == flow_id and entry["detail"]["via"] == "web"
    assert [r["detail"]["flow"] for r in await audit_rows(live_app.pool, "registration.account_released")] == [flow_id]


async def test_restart_from_the_api_keeps_the_account_and_a_fresh_link_continues(live_app, mail):
    staff_id, token = await person(live_app, "sam.support", staff=True)
    async with live_app.http() as browser, staff_client(live_app, token) as staff:
        flow_id, account_id, old_link = await stuck_registration(live_app, mail, browser)
        first_run = (await live_app.client.get_workflow_handle(flow_id).describe()).run_id
        response = await staff.post(f"/api/v1/operations/flows/{flow_id}/restart", json={})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["flow_id"], body["old_run_id"], body["status"]) == (flow_id, first_run, "cancelled")
        assert body["new_run_id"] not in ("", first_run)
        new_run = live_app.client.get_workflow_handle(flow_id, run_id=body["new_run_id"])
        started = (await new_run.fetch_history()).events[0].workflow_execution_started_event_attributes
        assert started.workflow_task_timeout.ToTimedelta() == live_app.settings.flow_task_timeout  # the run's own
        assert await account_status(live_app, account_id) == "pending"
        await mail.wait_for_messages_to(EMAIL, count=2)
        new_link = mail.last_link_to(EMAIL)
        assert new_link != old_link and f"flow={flow_id}" in new_link
        # The browser's cookie still names the flow: it sees the new run, waiting for the link.
        assert (await browser.get("/api/v1/registration")).json()["step"] == "check_email"
        refused = await browser.get(old_link.replace(live_app.url, ""), follow_redirects=False)
        assert refused.status_code == 410 and "This link has expired" in refused.text
        opened = await browser.get(new_link.replace(live_app.url, ""), follow_redirects=False)
        assert (opened.status_code, opened.headers["location"]) == (303, "/mfa")
        mfa = await browser.get("/api/v1/mfa")
        assert (mfa.json()["step"], mfa.json()["account_id"]) == ("method", account_id)
        detail = (await staff.get(f"/api/v1/operations/flows/{flow_id}")).json()
        assert detail["flow"]["run_id"] == body["new_run_id"] and detail["children"]
    [entry] = await audit_rows(live_app.pool, "operations.flow_restarted")
    assert (str(entry["actor_user_id"]), entry["detail"]["new_run"]) == (staff_id, body["new_run_id"])
    assert await audit_rows(live_app.pool, "registration.account_released") == []


async def test_the_flow_page_restarts_after_a_confirmation(live_app, mail):
    _, token = await person(live_app, "sam.support", staff=True)
    async with live_app.http() as browser, staff_client(live_app, token) as staff:
        flow_id, account_id, _ = await stuck_registration(live_app, mail, browser)
        page = await staff.get(f"/operations/flows/{flow_id}")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        unconfirmed = await staff.post(f"/operations/flows/{flow_id}/restart", data={"csrf_token": csrf})
        assert unconfirmed.status_code == 422 and "Tick the box to confirm the restart." in unconfirmed.text
        done = await staff.post(f"/operations/flows/{flow_id}/restart", data={"csrf_token": csrf, "confirm": "yes"},
                                follow_redirects=False)
        assert (done.status_code, done.headers["location"]) == (303, f"/operations/flows/{flow_id}?done=restarted")
        after = await staff.get(done.headers["location"])
        assert "The flow was restarted" in after.text and "Restart flow" in after.text
        assert await account_status(live_app, account_id) == "pending"
        await mail.wait_for_messages_to(EMAIL, count=2)
