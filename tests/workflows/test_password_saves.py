"""A password's save sent again while the first is being saved (a double click, or a script):
Create in an enrollment (workflows/enrollment_password.py), Continue in a password reset
(workflows/password_reset.py). The others are refused unchecked, so the password is saved once,
other sign-ins end once and one notice goes out."""

from __future__ import annotations

import asyncio

from activities.contracts import StagedPassword
from tests.workflows import test_enrollment as enrollment
from tests.workflows import test_password_reset as password_reset
from tests.workflows.harness import scheduled_activities
from workflows.flow import FlowView

AGAIN = 4


async def saved_once_of_many(flows, handle, update: str, refused: str) -> None:
    flows.accounts.hold_password_save = held = asyncio.Event()
    first = asyncio.create_task(handle.execute_update(update, result_type=FlowView))
    await asyncio.wait_for(flows.accounts.saving_password.wait(), timeout=10)
    again = (password_reset.refusal(handle, update) for _ in range(AGAIN))
    assert {refusal.message for refusal in await asyncio.wait_for(asyncio.gather(*again), 30)} == {refused}
    held.set()
    await first
    # One save in the flow's history (the fake sees more calls only if the held one was retried).
    saves = [name for name in await scheduled_activities(handle) if name.endswith("save_staged_password")]
    assert len(saves) == 1


async def test_continue_sent_again_while_the_new_password_is_saved(flows):
    handle = await password_reset.start(flows)
    await password_reset.verify(flows, handle)
    await password_reset.act(handle, "continue_reset")
    await saved_once_of_many(flows, handle, "save_new_password", "Your new password is being saved. Please wait.")
    assert set(flows.accounts.args("save_staged_password")) == {password_reset.SAVED}
    assert [notice.template for notice in await flows.notices_until(1)] == ["password_changed"]


async def test_create_sent_again_while_the_password_is_saved(flows):
    handle = await enrollment.start(flows)
    await enrollment.reach(flows, handle, "password")
    await saved_once_of_many(flows, handle, "save_password", "Your password is being saved. Please wait.")
    assert set(flows.accounts.args("save_staged_password")) == {StagedPassword(enrollment.ACCOUNT, "password.created")}
    assert (await flows.view(handle)).step == "phone"
