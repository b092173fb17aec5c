"""`atrezzo flows list|show|cancel|restart` as an operator runs it (the installed console
script, a process of its own) against the live stack's Temporal and database."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest

from cli.flows import age, flows_table
from operations.flows import FlowRow
from tests.support.staff import audit_rows, listed, stuck_registration

from .running import one_line, run_cli, settings_env

EMAIL = "morgan.md@example.com"


@pytest.fixture
def flows_cli(live_app):
    """await atrezzo(...) with the live app's settings (same payload keys, Temporal and
    database). It runs on a thread: the worker shares this test's event loop and must go on
    working while the command waits for a flow."""
    s = live_app.settings
    env = settings_env(s.database_url) | {
        "TEMPORAL_ADDRESS": s.temporal_address,
        "TEMPORAL_TASK_QUEUE": s.temporal_task_queue,
        "SECRET_KEY": s.secret_key,
        "PAYLOAD_KEYS": s.payload_keys,
        "TWILIO_AUTH_TOKEN": s.twilio_auth_token,
    }
    return lambda *args: asyncio.to_thread(run_cli, env, *args)


async def stuck(live_app, mail):
    async with live_app.http() as browser:
        flow_id, account_id, link = await stuck_registration(live_app, mail, browser)
    # Visibility is eventually consistent: wait until a listing shows it, as the CLI will.
    query = f"WorkflowId = '{flow_id}' AND AtrezzoStep = 'check_email'"
    await listed(lambda: _rows(live_app, query), flow_id)
    return flow_id, account_id, link


async def _rows(live_app, query):
    return [e async for e in live_app.client.list_workflows(query)]


async def test_list_and_show_a_stuck_registration(live_app, mail, flows_cli):
    flow_id, account_id, _ = await stuck(live_app, mail)
    table = await flows_cli("flows", "list", "--process", "registration", "--step", "check_email")
    assert table.returncode == 0, table.stderr
    # The Temporal server is shared by the test run: other tests' flows may be listed too.
    header, *rows, total = table.stdout.splitlines()
    assert header.split()[:4] == ["FLOW", "PROCESS", "STEP", "AT"]
    [row] = [line for line in rows if line.startswith(flow_id)]
    assert row.split()[:3] == [flow_id, "registration", "check_email"] and account_id in row
    assert total == f"{len(rows)} running flow(s)."
    as_json = await flows_cli("flows", "list", "--process", "registration", "--json")
    [found] = [r for r in json.loads(as_json.stdout) if r["id"] == flow_id]
    assert (found["step"], found["account_id"]) == ("check_email", account_id)
    older = await flows_cli("flows", "list", "--step", "check_email", "--older-than", "15m")
    assert older.returncode == 0 and flow_id not in older.stdout
    shown = await flows_cli("flows", "show", flow_id)
    assert shown.returncode == 0, shown.stderr
    assert "status running, step check_email" in shown.stdout and "TIMELINE (UTC)" in shown.stdout
    assert "send_link_email" in shown.stdout and EMAIL not in shown.stdout
    [entry, *_] = await audit_rows(live_app.pool, "operations.flows_listed")
    assert entry["actor_user_id"] is None and entry["detail"]["via"] == "cli" and entry["detail"]["os_user"]


async def test_cancel_from_the_cli_releases_the_account_and_tells_the_person(live_app, mail, flows_cli):
    flow_id, account_id, link = await stuck(live_app, mail)
    result = await flows_cli("flows", "cancel", flow_id)
    assert result.returncode == 0, result.stderr
    assert one_line(result.stdout).startswith(f"Cancelled {flow_id}: run ") and result.stdout.rstrip().endswith("is cancelled.")
    async with live_app.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE id = $1", account_id) == 0
    [notice, _] = await mail.wait_for_messages_to(EMAIL, count=2)
    assert notice["subject"] == "Your Atrezzo registration was cancelled"
    async with live_app.http() as browser:
        opened = await browser.get(link.replace(live_app.url, ""))
    assert opened.status_code == 410 and "This registration was cancelled" in opened.text
    again = await flows_cli("flows", "cancel", flow_id)
    assert again.returncode == 2 and "is not running (cancelled)" in one_line(again.stderr)
    [entry] = await audit_rows(live_app.pool, "operations.flow_cancelled")
    assert entry["actor_user_id"] is None and entry["detail"]["via"] == "cli"


async def test_restart_from_the_cli_keeps_the_account_and_sends_a_fresh_link(live_app, mail, flows_cli):
    flow_id, account_id, old_link = await stuck(live_app, mail)
    result = await flows_cli("flows", "restart", flow_id)
    assert result.returncode == 0, result.stderr
    line = one_line(result.stdout)
    assert line.startswith(f"Restarted {flow_id}: run ") and "is cancelled; new run " in line
    async with live_app.pool.acquire() as conn:
        assert await conn.fetchval("SELECT status FROM users WHERE id = $1", account_id) == "pending"
    await mail.wait_for_messages_to(EMAIL, count=2)
    new_link = mail.last_link_to(EMAIL)
    assert new_link != old_link
    async with live_app.http() as browser:
        opened = await browser.get(new_link.replace(live_app.url, ""), follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (303, "/mfa")


@pytest.mark.parametrize("action", ["show", "cancel", "restart"])
async def test_an_unknown_id_is_one_clear_line(live_app, flows_cli, action):
    result = await flows_cli("flows", action, "registration-nope")
    assert result.returncode == 2
    assert one_line(result.stderr) == "atrezzo: No flow with id 'registration-nope'."
    assert result.stdout == ""


async def test_a_bad_age_is_one_clear_line(live_app, flows_cli):
    result = await flows_cli("flows", "list", "--older-than", "soon")
    assert result.returncode == 2
    assert one_line(result.stderr) == "atrezzo: older than must look like 15m, 2h, 1d, 90s or PT15M, not 'soon'."


def test_the_table_and_ages_read_at_a_glance():
    now = datetime(2026, 11, 28, 16, 0, tzinfo=timezone.utc)
    assert flows_table([], now) == "No running flow matches."
    row = FlowRow("registration-1", "r1", "registration", "check_email", now - timedelta(minutes=17),
                  now - timedelta(minutes=18), "running", "acc-1", "1234567893")
    header, line, total = flows_table([row], now).splitlines()
    assert line.split() == ["registration-1", "registration", "check_email", "17m", "2026-11-28", "15:43:00",
                            "2026-11-28", "15:42:00", "acc-1", "1234567893"]
    assert total == "1 running flow(s)."
    assert [age(now, now - timedelta(minutes=m)) for m in (0, 59, 61, 60 * 50)] == ["0m", "59m", "1h01m", "2d02h"]
    assert age(now, None) == "-"
