"""The engine floor: a flow that does nothing but what every process does — start, take its
updates, finish — so its cost is Temporal's own, the baseline every row is read against. Three
updates is the floor; a registration's number of user actions is the floor a registration is
read against."""

from __future__ import annotations

from temporalio import workflow

STEPS = 3


@workflow.defn
class NoopWorkflow:
    @workflow.init
    def __init__(self, steps: int = STEPS) -> None:
        # Set in init so an update that arrives with the first task already sees it.
        self.applied = 0

    @workflow.run
    async def run(self, steps: int = STEPS) -> int:
        await workflow.wait_condition(lambda: self.applied >= steps)
        return self.applied

    @workflow.update
    def step(self, n: int) -> int:
        self.applied += 1
        return n
