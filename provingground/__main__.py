"""`python -m provingground` (`make proving-ground`): the production topology on loopback,
broken on purpose scenario by scenario, and what survived — a table per scenario and a last
line to compare run to run. `--short` runs the sizes `make test` uses; `--only 1,3` picks
scenarios. Each scenario gets a fresh topology; its folder (logs, state) is kept when something
was lost, duplicated, stuck or answered with a server error."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

from devstack.topology import Topology
from provingground.faults import FaultProxies
from provingground.ground import Ground, Size
from provingground.outcome import Outcome
from provingground.report import table
from provingground.scenarios import SCENARIOS

FULL = Size(registrations=200, logins=200, concurrency=20, outage_seconds=30, provider_outage_seconds=120,
            racers=20, soak_flows=10_000)
SHORT = Size(registrations=6, logins=6, concurrency=6, outage_seconds=20, provider_outage_seconds=20,
             racers=10, soak_flows=300)


async def run_scenario(number: int, size: Size, folder: Path) -> tuple[Outcome, float]:
    scenario = SCENARIOS[number]
    app_settings = scenario.app_settings(size) if hasattr(scenario, "app_settings") else {}
    topology = Topology(folder, app_settings=app_settings, gateway=FaultProxies())
    started = time.monotonic()
    try:
        await topology.start()  # inside: a start that fails stops what it had started
        ground = await Ground.connect(topology)
        outcome = await scenario.run(ground, size)
    finally:
        await topology.stop()
    return outcome, time.monotonic() - started


async def main(numbers: list[int], size: Size) -> Outcome:
    total = Outcome()
    for number in numbers:
        folder = Path(tempfile.mkdtemp(prefix=f"atrezzo-proving-ground-{number}-"))
        outcome, seconds = await run_scenario(number, size, folder)
        title = SCENARIOS[number].TITLE.format(outage=size.outage_seconds, provider_outage=size.provider_outage_seconds,
                                               racers=size.racers, soak=size.soak_flows)
        print(table(title, outcome, seconds), flush=True)
        if outcome.clean:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"  (logs and state kept in {folder})\n", flush=True)
        total.add(outcome)
    return total


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m provingground", description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the short versions `make test` runs")
    parser.add_argument("--only", default="", help="scenario numbers, e.g. 1,3 (default: all)")
    args = parser.parse_args()
    numbers = [int(n) for n in args.only.split(",") if n] or sorted(SCENARIOS)
    total = asyncio.run(main(numbers, SHORT if args.short else FULL))
    print(total.line(), flush=True)
    sys.exit(0 if total.clean else 1)


if __name__ == "__main__":
    cli()
