"""The base every flow shares: its idle clock, read on a login (workflows/flow.py)."""

from __future__ import annotations

from tests.workflows.test_login import act, start, verified, verify
from workflows.timings import Timings


async def idle_timers_started(handle) -> int:
    history = await handle.fetch_history()
    idle = Timings().idle_seconds
    return sum(
        1
        for event in history.events
        if event.HasField("timer_started_event_attributes")
        and event.timer_started_event_attributes.start_to_fire_timeout.ToSeconds() == idle
    )


async def test_actions_move_the_idle_clock_without_a_new_timer_each(flows):
    # A timer cancelled and started again at every press cost the engine two events and a
    # timer task per action; one timer, set again when it fires, keeps the same deadline.
    handle = await start(flows, "email")
    await act(handle, "send_email_code")
    for _ in range(2):
        assert (await verify(flows, handle, "000000")).errors
    assert verified(await verify(flows, handle))
    assert await idle_timers_started(handle) == 1
    # That the deadline still moves with each action: test_login's idle tests, whose first
    # timer fires and finds an action a minute old.

