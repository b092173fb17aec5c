"""`python -m provingground.load SPEC OUTCOME`: the load generator, in a process of its own.

SPEC (JSON) names the portal's addresses and the people: who registers, who logs in, how many
at once. Every finished step is appended to the progress file as "<journey> <step>", so the
harness can strike at a chosen moment; OUTCOME (JSON) gets each person's result and the tally
of what the portal answered.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx

from provingground.journeys import Registrant, log_in, log_in_by_phone, register
from provingground.person import GaveUp, Person, Portal, Refused, Tally

JOURNEYS = {"registration": register, "login": log_in, "phone_login": log_in_by_phone}


async def run(spec: dict) -> dict:
    portal = Portal(**spec["portal"])
    tally = Tally()
    people = [(kind, Registrant(**who)) for kind, who in spec["people"]]
    gate = asyncio.Semaphore(spec["concurrency"])
    progress = open(spec["progress"], "a", buffering=1)

    async def one(index: int, kind: str, who: Registrant) -> dict:
        async with gate:
            started = time.monotonic()
            result = {"kind": kind, "username": who.username, "email": who.email, "phone": who.phone,
                      "finished": False, "error": ""}
            # Every person's own browser (cookie jar) and own network address.
            async with httpx.AsyncClient(timeout=90, follow_redirects=False) as http:
                person = Person(portal, http, _address(index), tally, first_api=index)
                try:
                    await JOURNEYS[kind](person, who, lambda step: progress.write(f"{kind} {step}\n"))
                    result["finished"] = True
                except (GaveUp, Refused) as error:
                    result["error"] = str(error)
                except Exception as error:  # a surprise in the generator itself: the person is lost, visibly
                    result["error"] = f"{type(error).__name__}: {error}"
                result["notes"] = person.notes
                if not result["finished"]:  # which flows to look at in the Temporal UI
                    result["flows"] = sorted({c.value.rsplit(".", 1)[0] for c in http.cookies.jar if c.name.startswith("atrezzo_flow_")})
            result["seconds"] = round(time.monotonic() - started, 2)
            return result

    try:
        results = await asyncio.gather(*(one(i, kind, who) for i, (kind, who) in enumerate(people)))
    finally:
        progress.close()
    return {"people": results, "tally": tally.as_json()}


def _address(index: int) -> str:
    """A client address of the person's own: throttles count people, as behind a real balancer."""
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def main() -> None:
    spec_path, outcome_path = sys.argv[1:3]
    outcome = asyncio.run(run(json.loads(Path(spec_path).read_text())))
    Path(outcome_path).write_text(json.dumps(outcome))


if __name__ == "__main__":
    main()
