"""A security notice for a change made outside any flow (workflows/notices.py): new recovery
codes from the home page (issue 10). The edge starts it, so the email goes out (retried
through a mail outage, audited) without holding up the person's page, and support finds it
as ``security_notice-<uuid>`` beside the account's other flows."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine import search_attributes as sa
    from workflows.notices import NoticeTemplate, notify
    from workflows.versions import decide_at_start

PROCESS = "security_notice"


@dataclass(frozen=True)
class SecurityNotice:
    account_id: str
    template: NoticeTemplate
    to: str  # the address on record
    detail: dict[str, str] = field(default_factory=dict)


@workflow.defn
class SecurityNoticeWorkflow:
    @workflow.run
    async def run(self, notice: SecurityNotice) -> None:
        decide_at_start()
        workflow.upsert_search_attributes([sa.PROCESS.value_set(PROCESS), sa.ACCOUNT_ID.value_set(notice.account_id)])
        await notify(notice.account_id, notice.template, notice.to, **notice.detail)
