"""Sign-in bound to the flow's account, on the real stack. Someone with access to Temporal but
not to the payload keys knows their own login's flow id (it is in their cookie): they can
terminate that flow and start another under the same id — in clear, for a victim's account,
with codes sent to their own mailbox — or poll the task queue with a worker of their own
that answers in clear. Neither may sign anybody in: the worker refuses a payload in clear,
the API refuses an answer in clear, and the API signs in only the account whose password it
checked for that flow."""

from __future__ import annotations

import asyncio
import uuid

import temporalio.converter
from temporalio.client import Client
from temporalio.worker import Worker

from api.flow_timings import flow_timings
from api.flows import Flows
from tests.support.enrolled_users import PASSWORD, add_user
from workflows.login import LoginStart, LoginWorkflow
from workflows.registry import WORKFLOWS

VICTIM = "vic.tim@example.com"
EVE = "eve.attacker@example.com"
LOGIN_COOKIE = Flows.cookie_name("login")


async def eves_login(live_app, http) -> str:
    """Eve signs in with her own password: her browser now holds login-<id> and its ticket."""
    started = await http.post("/api/v1/login/email", json={"email": EVE, "password": PASSWORD})
    assert started.status_code == 201, started.text
    return http.cookies[LOGIN_COOKIE].rsplit(".", 1)[0]


def in_clear(live_app) -> Client:
    """Temporal access without the keys: the default data converter, no codec."""
    return Client(**{**live_app.client.config(), "data_converter": temporalio.converter.default()})


async def two_accounts(live_app) -> str:
    victim = await add_user(live_app.pool, "email", username="vic.tim", first_name="Vic", last_name="Tim", email=VICTIM)
    await add_user(live_app.pool, "email", username="eve", first_name="Eve", last_name="Attacker", email=EVE)
    return victim


async def test_a_flow_started_in_clear_under_a_stolen_id_is_never_run(live_app, mail):
    victim = await two_accounts(live_app)
    plain = in_clear(live_app)
    async with live_app.http() as http:
        flow_id = await eves_login(live_app, http)
        await plain.get_workflow_handle(flow_id).terminate()
        forged = LoginStart(victim, "email", EVE, flow_timings(live_app.settings))
        await plain.start_workflow("LoginWorkflow", forged, id=flow_id, task_queue=live_app.settings.temporal_task_queue)
        answers = [await http.get("/api/v1/login"), await http.post("/api/v1/login/email/send", json={})]
        assert (await http.get("/api/v1/me")).status_code == 401
        # No worker of ours will run it, so its page has no answer: "try again", never a 500.
        assert [a.status_code for a in answers] == [503, 404], [(a.status_code, a.text) for a in answers]
        assert not mail.messages_to(EVE)  # no code was ever sent for the forged flow
        failures = await _task_failures(live_app.client, flow_id)
        assert failures and all("refused a payload that is not encrypted" in f for f in failures)
        # Once its task has failed, Temporal refuses a query at once instead of letting it
        # wait: still "try again".
        again = await http.get("/api/v1/login")
        assert again.status_code == 503, again.text


async def test_a_worker_answering_in_clear_signs_nobody_in(live_app, mail):
    """A rogue worker of Eve's runs the real login code in clear on a task queue of her own."""
    victim = await two_accounts(live_app)
    plain = in_clear(live_app)
    rogue_queue = f"rogue-{uuid.uuid4().hex[:8]}"
    async with live_app.http() as http, Worker(plain, task_queue=rogue_queue, workflows=WORKFLOWS, activities=[]):
        flow_id = await eves_login(live_app, http)
        await plain.get_workflow_handle(flow_id).terminate()
        forged = LoginStart(victim, "email", EVE, flow_timings(live_app.settings))
        await plain.start_workflow(LoginWorkflow.run, forged, id=flow_id, task_queue=rogue_queue)
        screen = await http.get("/api/v1/login")
        assert screen.status_code == 404, screen.text  # its answer is in clear: refused
        assert (await http.get("/api/v1/me")).status_code == 401


async def test_a_login_that_ends_for_another_account_than_the_password_opened_signs_nobody_in(live_app, mail):
    """Defence in depth, should the keys leak too: a flow under Eve's id, sealed properly,
    that hands over the victim's account. The API signs in only the account whose password it
    checked for this flow (the login ticket), and says no to anything else."""
    victim = await two_accounts(live_app)
    async with live_app.http() as http:
        flow_id = await eves_login(live_app, http)
        await live_app.client.get_workflow_handle(flow_id).terminate()
        forged = LoginStart(victim, "email", EVE, flow_timings(live_app.settings, code_ttl=live_app.settings.enrollment_code_ttl))
        await live_app.client.start_workflow(LoginWorkflow.run, forged, id=flow_id, task_queue=live_app.settings.temporal_task_queue)
        await http.post("/api/v1/login/email/send", json={})
        await mail.wait_for_messages_to(EVE)
        # The flow ends at the verification and hands over the victim: refused there, and the
        # login is gone, so Continue has nothing to sign in.
        verified = await http.post("/api/v1/login/code/verify", json={"code": mail.last_code_to(EVE)})
        assert (verified.status_code, verified.json()) == (403, {"detail": "This sign-in could not be completed. Please log in again."})
        assert (await http.post("/api/v1/login/continue", json={})).status_code == 404
        assert (await http.get("/api/v1/me")).status_code == 401
        assert LOGIN_COOKIE not in http.cookies
    async with live_app.pool.acquire() as conn:
        refused = await conn.fetch("SELECT subject_user_id, detail FROM audit_events WHERE event = 'session.refused'")
        sessions = await conn.fetchval("SELECT count(*) FROM sessions")
    assert [r["detail"]["reason"] for r in refused] == ["another_account"]
    assert sessions == 0


async def _task_failures(client: Client, flow_id: str) -> list[str]:
    """The (decrypted) workflow task failures in the flow's history, once there is one."""
    for _ in range(100):
        history = await client.get_workflow_handle(flow_id).fetch_history()
        failures = [
            str(await client.data_converter.decode_failure(e.workflow_task_failed_event_attributes.failure))
            for e in history.events
            if e.HasField("workflow_task_failed_event_attributes")
        ]
        if failures:
            return failures
        await asyncio.sleep(0.1)
    return []
