"""Scenario 6: races. 20 registrations of one username at once, and of one email, leave exactly
one account; the right code verified twice at once (then Continue twice) leaves one sign-in;
a double-clicked Send Code sends one message; two administrators resetting one user at once
leave one reset flow."""

from __future__ import annotations

from devstack import seed
from provingground.ground import Ground, Size
from provingground.outcome import Outcome, stuck_flows
from provingground.person import Portal, Tally
from provingground.races import RaceResult, Races
from store.accounts import account_by_username
from store.pool import create_pool
from store.users import grant_admin
from workflows.admin_reset import admin_reset_id

TITLE = "6. races: {racers} at once on one username, one email; doubled presses"


async def run(ground: Ground, size: Size) -> Outcome:
    topology = ground.topology
    portal = Portal(topology.api_urls, topology.mail_url, topology.sandbox_url)
    races = Races(portal, topology.database_url, Tally())
    username, email = ground.registrants(2, prefix="race")
    returning = await ground.returning_users(5)
    verifier, sender, target, *admins = returning
    target_id = await _make_admins(topology.database_url, admins, target)

    async def reset_flows() -> int:
        query = f'WorkflowId = "{admin_reset_id(target_id)}" AND ExecutionStatus = "Running"'
        return len([execution async for execution in ground.temporal.list_workflows(query)])

    try:
        results = [
            await races.one_username(size.racers, username),
            await races.one_email(size.racers, email),
            await races.verify_twice(verifier),
            await races.send_twice(sender),
            await races.reset_together(admins, target_id, reset_flows),
        ]
    finally:
        await races.close()
    return await _outcome(ground, races.tally, results)


async def _make_admins(database_url: str, admins, target) -> str:
    pool = await create_pool(database_url)
    try:
        async with pool.acquire() as conn:
            for admin in admins:
                await grant_admin(conn, admin.username, seed.PROVIDER_NPI)
            user = await account_by_username(conn, target.username)
            assert user is not None
            return str(user.id)
    finally:
        await pool.close()


async def _outcome(ground: Ground, tally: Tally, results: list[RaceResult]) -> Outcome:
    outcome = Outcome(flows=sum(r.requests for r in results), faults=len(results), answers=tally.answers)
    outcome.server_errors = list(tally.server_errors)
    for result in results:
        outcome.figures[result.name] = f"{result.found} ({result.detail or 'accounts'}; must be 1)"
        if result.problem:
            getattr(outcome, result.problem).append(f"{result.name}: {result.found} {result.detail or 'accounts'}")
    outcome.stuck = await stuck_flows(ground.temporal)
    return outcome
