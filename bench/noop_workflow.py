"""The engine floor: a flow that does nothing but what every process does — start, take
three updates, finish — so its cost is Temporal's own, the baseline every row is read against."""

from __future__ import annotations

from temporalio import workflow

STEPS = 3


@workflow.defn
class NoopWorkflow:
    @workflow.init
    def __init__(self) -> None:
        # Set in init so an update that arrives with the first task already sees it.
        self.applied = 0

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.applied >= STEPS)
        return self.applied

    @workflow.update
    def step(self, n: int) -> int:
        self.applied += 1
        return n
