"""The short version of a proving-ground scenario, as `make test` runs it: the real topology
(separate processes, fault proxies), the sizes of `python -m provingground --short`, and the
invariants asserted — nothing lost, doubled, answered with a server error or stuck. Timings
are the full run's business, never asserted here."""

from __future__ import annotations

from pathlib import Path

from provingground.__main__ import SHORT, run_scenario
from provingground.outcome import PROBLEMS, Outcome


async def survives(number: int, folder: Path) -> Outcome:
    outcome, _ = await run_scenario(number, SHORT, folder)
    problems = {name: getattr(outcome, name) for name in PROBLEMS}
    assert outcome.clean, f"{outcome.line()} (logs in {folder}): {problems}"
    assert outcome.flows > 0 and outcome.faults > 0, outcome.line()
    return outcome
