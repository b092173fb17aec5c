"""Scenario 8: soak. 10 000 logins left open at once, each waiting on its idle timer (the
portal's own, shortened through the settings so the run ends), started as the API starts
them — the same workflow, input and task queue — while people keep using the portal. It
measures the workers' memory and a person's Login answer time before the flows are opened,
with all of them open, and after every timer fired; a flow still open after its timer is
lost."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from pathlib import Path

from temporalio.client import WorkflowExecutionStatus

from api.flow_timings import flow_timings
from provingground.ground import Ground, Size
from provingground.journeys import Registrant
from provingground.outcome import Outcome, stuck_flows
from provingground.person import GaveUp, Portal, Refused, Tally
from provingground.races import Races
from settings import Settings
from store.accounts import account_by_username
from store.pool import create_pool
from workflows.login import LoginStart, LoginWorkflow

TITLE = "8. soak: {soak} open flows waiting on their timers"


def idle_seconds(size: Size) -> int:
    """The login idle timeout the soak's flows (and its API) run with: past the time it takes
    to open them all, so every one is open at once before the first fires."""
    return 45 + size.soak_flows // 40


def app_settings(size: Size) -> dict[str, str]:
    return {"LOGIN_IDLE_TIMEOUT": f"PT{idle_seconds(size)}S"}


STARTING_AT_ONCE = 20
PROBES = 20  # Login presses timed at each moment
FIRE_GRACE = 180  # seconds past the last idle deadline for every timer to have fired


async def run(ground: Ground, size: Size) -> Outcome:
    topology = ground.topology
    races = Races(Portal(topology.api_urls, topology.mail_url, topology.sandbox_url), topology.database_url, Tally())
    users = await ground.returning_users(PROBES + 1)
    soaker, probers = users[0], users[1:]
    before = (_rss(ground), await _login_times(races, probers))
    started_at = time.monotonic()
    idle = idle_seconds(size)
    flow_ids = await _open_flows(ground, soaker, size.soak_flows, idle)
    opened_in = time.monotonic() - started_at
    # "All open" is measured once every flow has run its first task and waits on its timer:
    # until then a new login's first task queues behind thousands of starts.
    waiting_in = await _until_all_wait(ground, len(flow_ids), until=started_at + idle) - started_at
    during = (_rss(ground), await _login_times(races, probers))
    open_until = started_at + idle + FIRE_GRACE + opened_in
    still_open = await _wait_until_closed(ground, flow_ids, until=open_until)
    after = (_rss(ground), await _login_times(races, probers))
    await races.close()

    outcome = Outcome(flows=len(flow_ids) + 3 * PROBES, faults=1, answers=races.tally.answers)
    outcome.server_errors = list(races.tally.server_errors)
    outcome.lost = [f"{flow_id}: still open {FIRE_GRACE:.0f} s past its idle timer" for flow_id in still_open]
    outcome.lost += [failure for _, (_, (_, failures)) in _moments(before, during, after) for failure in failures]
    outcome.figures["flows opened in"] = f"{opened_in:.0f} s ({len(flow_ids) / opened_in:.0f}/s), idle timer {idle} s"
    outcome.figures["all waiting on their timers after"] = f"{waiting_in:.0f} s"
    for label, (rss, (times, _)) in _moments(before, during, after):
        outcome.figures[f"worker RSS, {label}"] = f"{rss / 1024:.0f} MiB (both workers)"
        outcome.figures[f"Login answer p50/p95, {label}"] = f"{_ms(times, 50)} / {_ms(times, 95)} ms"
    outcome.figures["timers fired"] = f"{len(flow_ids) - len(still_open)} of {len(flow_ids)}"
    outcome.stuck = await stuck_flows(ground.temporal)
    return outcome


async def _open_flows(ground: Ground, who: Registrant, count: int, idle: int) -> list[str]:
    settings = Settings(secret_key=ground.topology.secrets["SECRET_KEY"], payload_keys=ground.topology.secrets["PAYLOAD_KEYS"],
                        twilio_auth_token="unused", login_idle_timeout=idle)
    account_id = await _account_id(ground, who.username)
    start = LoginStart(account_id, "email", who.email, flow_timings(settings, idle=settings.login_idle_timeout))
    flow_ids = [f"login-soak-{uuid.uuid4()}" for _ in range(count)]
    gate = asyncio.Semaphore(STARTING_AT_ONCE)

    async def open_one(flow_id: str) -> None:
        async with gate:
            await ground.temporal.start_workflow(
                LoginWorkflow.run, start, id=flow_id, task_queue=settings.temporal_task_queue,
                task_timeout=settings.flow_task_timeout,
            )

    await asyncio.gather(*(open_one(flow_id) for flow_id in flow_ids))
    return flow_ids


async def _wait_until_closed(ground: Ground, flow_ids: list[str], *, until: float) -> list[str]:
    """The flows still open at ``until`` (monotonic); the expired ones are checked to have ended so."""
    running = 'WorkflowType = "LoginWorkflow" AND ExecutionStatus = "Running" AND WorkflowId STARTS_WITH "login-soak-"'
    while time.monotonic() < until:
        if (await ground.temporal.count_workflows(running)).count == 0:
            break
        await asyncio.sleep(10)
    ours = set(flow_ids)
    still_open = [e.id async for e in ground.temporal.list_workflows(running) if e.id in ours]
    completed = 'WorkflowType = "LoginWorkflow" AND ExecutionStatus = "Completed" AND WorkflowId STARTS_WITH "login-soak-"'
    closed = (await ground.temporal.count_workflows(completed)).count
    if closed + len(still_open) != len(flow_ids):
        # Anything else (failed, terminated, timed out) is a flow that did not end by its timer.
        others = [e.id async for e in ground.temporal.list_workflows('WorkflowId STARTS_WITH "login-soak-"')
                  if e.status not in (WorkflowExecutionStatus.COMPLETED, WorkflowExecutionStatus.RUNNING)]
        still_open += others
    return still_open


def _moments(before, during, after):
    return (("before", before), ("all open", during), ("all fired", after))


async def _until_all_wait(ground: Ground, count: int, *, until: float) -> float:
    """When (monotonic) every soak flow has run its first task (its step is set), or ``until``."""
    waiting = 'WorkflowId STARTS_WITH "login-soak-" AND AtrezzoStep = "email"'
    while time.monotonic() < until and (await ground.temporal.count_workflows(waiting)).count < count:
        await asyncio.sleep(5)
    return time.monotonic()


async def _login_times(races: Races, people: list[Registrant]) -> tuple[list[float], list[str]]:
    """Seconds each person's Login press (password checked, login flow started) took, and the
    presses that got nowhere (a person who gave up is a lost login)."""
    times, failures = [], []
    for who in people:
        person = races.browser()
        began = time.monotonic()
        try:
            await person.submit("login/email", {"email": who.email, "password": who.password, "remember": False},
                                want="email", status=201)
        except (GaveUp, Refused) as error:
            failures.append(f"login of {who.username}: {error}")
            continue
        times.append(time.monotonic() - began)
    return times, failures


async def _account_id(ground: Ground, username: str) -> str:
    pool = await create_pool(ground.topology.database_url)
    try:
        async with pool.acquire() as conn:
            user = await account_by_username(conn, username)
            assert user is not None
            return str(user.id)
    finally:
        await pool.close()


def _rss(ground: Ground) -> int:
    """KiB resident in both worker processes now."""
    total = 0
    for name, process in ground.topology.processes.items():
        if name.startswith("worker-") and process.popen is not None:
            for line in Path(f"/proc/{process.popen.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def _ms(times: list[float], percentile: int) -> str:
    if len(times) < 2:
        return f"{times[0] * 1000:.0f}" if times else "-"
    return f"{statistics.quantiles(times, n=100)[percentile - 1] * 1000:.0f}"
