"""A minimal flow around the code challenge, for tests of the shared pieces: it shows the
code screen until the challenge is passed, then completes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.code_challenge import CodeChallenge, CodePolicy
    from workflows.code_step import CodeStep
    from workflows.flow import FlowView


@dataclass(frozen=True)
class ChallengeStart:
    channel: str
    destination: str
    ttl_seconds: int = 600
    cooldown_seconds: int = 20
    max_sends: int = 10
    max_wrong_tries: int = 5
    deliver: bool = True


@workflow.defn
class ChallengeFlow(CodeStep):
    # State is built in __init__ so an update arriving with the first task finds it.
    @workflow.init
    def __init__(self, start: ChallengeStart) -> None:
        super().__init__()
        self._start_flow("challenge", "code", account_id="acct-test")
        policy = CodePolicy(
            ttl=timedelta(seconds=start.ttl_seconds),
            resend_cooldown=timedelta(seconds=start.cooldown_seconds),
            max_sends=start.max_sends,
            max_wrong_tries=start.max_wrong_tries,
        )
        self.challenge = CodeChallenge(policy, start.channel, start.destination, "login", deliver=start.deliver)

    @workflow.run
    async def run(self, start: ChallengeStart) -> str:
        await workflow.wait_condition(lambda: self.challenge.verified)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return "verified"

    @workflow.update
    def move_to(self, channel: str, destination: str) -> FlowView:
        """Another channel or address, the way a flow's "change number" or "Call Me" does."""
        self.challenge = self.challenge.successor(channel, destination)
        return self.view()

    async def _code_verified(self) -> None:
        self._finish("completed", "done")
