"""The code step (workflows/code_step.py), on login's email code in the time-skipping
environment: its answers carry a code beside each message, so the edge tells a guess from a code
not sent yet without reading the words; and a code lives from the press the API stamped."""

from __future__ import annotations

from datetime import timedelta

from api.flows import from_millis, press_stamp
from tests.workflows.fakes import CODE
from tests.workflows.test_login import EMAIL_LOGIN, act, start, verified, verify
from workflows.code_challenge import MESSAGES, Outcome

WRONG = "000000" if CODE != "000000" else "111111"


async def test_each_refused_code_says_why_in_a_code_and_a_verified_one_clears_it(flows):
    handle = await start(flows, "email")
    early = await verify(flows, handle)
    assert (early.errors, early.error_codes) == ({"code": MESSAGES[Outcome.NOT_SENT]}, {"code": "not_sent"})
    sent = await act(handle, "send_email_code")
    assert (sent.errors, sent.error_codes) == ({}, {})
    for _ in range(4):
        assert (await verify(flows, handle, WRONG)).error_codes == {"code": "wrong"}
    locked = await verify(flows, handle, WRONG)
    assert (locked.errors, locked.error_codes) == ({"code": MESSAGES[Outcome.LOCKED]}, {"code": "locked"})
    await flows.fast_forward(handle, seconds=31)
    await act(handle, "send_code")
    passed = await verify(flows, handle)
    assert verified(passed) and (passed.errors, passed.error_codes) == ({}, {})


def api_clock(seconds_off: float = 0) -> int:
    """The API's stamp of a press ``seconds_off`` from now (the flow's clock reads now)."""
    return press_stamp() + round(seconds_off * 1000)


async def test_a_code_lives_from_the_press_the_api_stamped_not_from_when_the_flow_took_it(flows):
    """The flow took the press 5 s after the API did (its task was lost with a worker, or the
    server aborted it and the client sent it again): 31 s after the press, the code is expired
    though the flow has held it only 26 s."""
    ttl = timedelta(seconds=EMAIL_LOGIN.code_ttl_seconds)
    handle = await start(flows, "email")
    pressed_at = api_clock(-5)
    sent = await act(handle, "send_email_code", pressed_at)
    assert sent.code.expires_at == from_millis(pressed_at) + ttl
    await flows.fast_forward(handle, seconds=ttl.total_seconds() - 4)
    late = await verify(flows, handle)
    assert late.error_codes == {"code": "expired"}


async def test_a_stamp_off_the_flows_clock_neither_lengthens_a_code_nor_spends_it(flows):
    """The API's clock ahead: the code lives from when the flow took the press. Far behind: it
    lives from 20 s before that, not from a moment already past its life."""
    ttl = EMAIL_LOGIN.code_ttl_seconds
    ahead = await start(flows, "email")
    await act(ahead, "send_email_code", api_clock(+60))
    await flows.fast_forward(ahead, seconds=ttl + 1)
    assert (await verify(flows, ahead)).error_codes == {"code": "expired"}
    behind = await start(flows, "email")
    await act(behind, "send_email_code", api_clock(-600))
    assert (await verify(flows, behind, WRONG)).error_codes == {"code": "wrong"}
    await flows.fast_forward(behind, seconds=ttl - 20 + 1)
    assert (await verify(flows, behind)).error_codes == {"code": "expired"}
