"""A security notice sent for a change made outside any flow (workflows/security_notice.py):
the email goes out, its sending is audited, and support finds the flow by its account."""

from __future__ import annotations

from engine import search_attributes as sa
from workflows.notices import NoticeTemplate
from workflows.security_notice import SecurityNotice, SecurityNoticeWorkflow

ACCOUNT = "account-42"


async def test_the_notice_is_sent_audited_and_findable_by_its_account(flows):
    notice = SecurityNotice(ACCOUNT, NoticeTemplate.RECOVERY_CODES_ISSUED, "pat@example.com")
    handle = await flows.start_without_screen(SecurityNoticeWorkflow.run, notice, prefix="security_notice")
    await handle.result()
    [sent] = flows.senders.notices
    assert (sent.to, sent.template) == ("pat@example.com", "recovery_codes_issued")
    assert flows.accounts.audit_events() == ["notice.sent"]
    found = (await handle.describe()).typed_search_attributes
    assert (found.get(sa.PROCESS), found.get(sa.ACCOUNT_ID)) == ("security_notice", ACCOUNT)
