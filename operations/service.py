"""The staff actions as the web pages, the JSON API and the CLI call them: each one does its
work and leaves its line in the audit log, naming the actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from temporalio.client import Client

from operations.actors import Actor, record_action
from operations.control import ActionResult, cancel_flow, restart_flow
from operations.errors import OperationRefused
from operations.filters import FlowFilter
from operations.flows import FlowDetail, FlowRow, flow_detail, running_flows
from operations.trail import TrailPage, user_trail


@dataclass
class Operations:
    client: Client
    pool: asyncpg.Pool
    actor: Actor

    async def stuck_flows(self, wanted: FlowFilter, *, now: datetime | None = None) -> list[FlowRow]:
        rows = await running_flows(self.client, wanted, now=now)
        older = str(int(wanted.older_than.total_seconds())) + "s" if wanted.older_than else ""
        await self._record("operations.flows_listed", process=wanted.process, step=wanted.step, older_than=older, count=len(rows))
        return rows

    async def show(self, flow_id: str) -> FlowDetail:
        detail = await flow_detail(self.client, flow_id)
        await self._record("operations.flow_viewed", subject=detail.flow.account_id or None, flow=detail.flow.id)
        return detail

    async def cancel(self, flow_id: str) -> ActionResult:
        return await self._act("cancel", flow_id, cancel_flow)

    async def restart(self, flow_id: str) -> ActionResult:
        return await self._act("restart", flow_id, restart_flow)

    async def audit_trail(self, username: str, *, limit: int = 50, before: int | None = None) -> TrailPage:
        async with self.pool.acquire() as conn:
            page = await user_trail(conn, username, limit=limit, before=before)
            await record_action(conn, self.actor, "operations.audit_read", subject=page.user_id, username=page.username)
        return page

    async def _act(self, action: str, flow_id: str, run) -> ActionResult:
        try:
            result: ActionResult = await run(self.client, flow_id)
        except OperationRefused as refused:
            await self._record("operations.action_refused", action=action, flow=flow_id, reason=refused.message)
            raise
        await self._record(
            "operations.flow_cancelled" if action == "cancel" else "operations.flow_restarted",
            subject=result.account_id or None,
            flow=result.flow_id,
            asked_for=result.asked_for if result.asked_for != result.flow_id else None,
            run=result.old_run_id,
            new_run=result.new_run_id,
            status=result.status,
        )
        return result

    async def _record(self, event: str, *, subject: str | None = None, **detail) -> None:
        async with self.pool.acquire() as conn:
            await record_action(conn, self.actor, event, subject=subject, **detail)
