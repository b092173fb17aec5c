"""Scenario 7: bad input at scale. schemathesis (its own process) generates requests for every
operation of /openapi.json — examples, boundary coverage, fuzzing, and stateful sequences
where the schema's links allow — as an anonymous browser and as a signed-in administrator
with the staff tools; then the form fuzzer sends the HTML routes what no form sends. Every
5xx is a server error, every answer outside its documented schema a schema violation.
(hypothesis covers every domain/ validator in the unit tests, tests/unit/domain/.)"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

from devstack import seed
from domain import digests
from provingground.form_fuzzer import fuzz
from provingground.ground import Ground, Size
from provingground.outcome import Outcome, stuck_flows
from store.accounts import account_by_username
from store.pool import create_pool
from store.sessions import create_session
from store.users import grant_admin, grant_staff

TITLE = "7. bad input: schemathesis over /openapi.json, the form fuzzer"
CHECKS = "not_a_server_error,response_schema_conformance"
SERVER_ERROR_CHECKS = ("Server error",)  # schemathesis's title for not_a_server_error failures
SESSION_COOKIE = "atrezzo_session"
SESSION_LIFE = timedelta(hours=2)


async def run(ground: Ground, size: Size) -> Outcome:
    topology = ground.topology
    examples = max(5, size.registrations // 4)
    session = await _signed_in_admin(ground)
    runs = [await _schemathesis(topology.api_urls[0], topology.folder / f"schemathesis-{who}.json", examples, headers)
            for who, headers in (("anonymous", []), ("admin", ["-H", f"Cookie: {SESSION_COOKIE}={session}"]))]
    forms = await fuzz(topology.api_urls[1], seed.PROVIDER_NPI, seed.REGISTRATION_CODE)

    outcome = Outcome(flows=sum(r["generated"] for r in runs) + forms.requests, faults=len(runs) + 1)
    for report in runs:
        outcome.server_errors += report["server_errors"]
        outcome.violations += report["violations"]
    outcome.server_errors += forms.server_errors
    outcome.figures["schemathesis test cases"] = " + ".join(str(r["generated"]) for r in runs) + " (anonymous + admin)"
    outcome.figures["operations tested"] = str(max(r["operations"] for r in runs))
    outcome.figures["form fuzzer requests"] = f"{forms.requests} ({', '.join(f'{s}: {n}' for s, n in sorted(forms.statuses.items()))})"
    outcome.stuck = await stuck_flows(ground.temporal)
    return outcome


async def _schemathesis(api_url: str, report: Path, examples: int, headers: list[str]) -> dict:
    # One worker: its workers are threads, and Hypothesis describes strategies with ast.parse,
    # which CPython 3.11 may break on when two threads parse at once (python/cpython#106905):
    # "SystemError: AST constructor recursion depth mismatch" ended one run as untested.
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{api_url}/openapi.json", "--checks", CHECKS,
        "--max-examples", str(examples), "--seed", "20261202", "--workers", "1", "--request-timeout", "60",
        "--report", "json", "--report-json-path", str(report), "--output-truncate", "true",
        "-H", "X-Forwarded-For: 10.251.0.1", *headers,
    ]
    log = report.with_suffix(".log")
    # Its cache of found failures goes to the scenario's folder, not the checkout.
    process = await asyncio.create_subprocess_exec(*command, cwd=report.parent, stdout=open(log, "wb"),
                                                   stderr=asyncio.subprocess.STDOUT)
    await process.wait()
    if not report.exists():
        raise RuntimeError(f"schemathesis wrote no report (exit {process.returncode}); see {log}")
    run = json.loads(report.read_text())
    failures = run.get("failures", [])
    server = [f for f in failures if f["title"].startswith(SERVER_ERROR_CHECKS)]
    return {
        "generated": run["test_cases"]["generated"],
        "operations": run["operations"]["tested"],
        "server_errors": [f"{f['title']} ({f['count']}): {', '.join(f['operations'])}" for f in server],
        "violations": [f"{f['title']} ({f['count']}): {', '.join(f['operations'])}" for f in failures if f not in server]
        + [f"schemathesis could not test: {e}" for e in run.get("errors", [])],
    }


async def _signed_in_admin(ground: Ground) -> str:
    """A session of a provider administrator who also has the staff tools (every operation answers)."""
    admin = (await ground.returning_users(1))[0]
    key = digests.derive_key(ground.topology.secrets["SECRET_KEY"], digests.SESSION_KEY)
    token = digests.generate_token()
    pool = await create_pool(ground.topology.database_url)
    try:
        async with pool.acquire() as conn:
            await grant_admin(conn, admin.username, seed.PROVIDER_NPI)
            await grant_staff(conn, admin.username)
            user = await account_by_username(conn, admin.username)
            assert user is not None
            await create_session(conn, digests.token_digest(key, token), user.id, idle=SESSION_LIFE, absolute=SESSION_LIFE)
    finally:
        await pool.close()
    return token

