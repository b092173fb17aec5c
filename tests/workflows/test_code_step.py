"""The code step's answers carry a code beside each message (workflows/code_step.py), so the
edge tells a guess from a code not sent yet without reading the words: login's email code in
the time-skipping environment."""

from __future__ import annotations

from tests.workflows.fakes import CODE
from tests.workflows.test_login import act, start, verified, verify
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
