"""`atrezzo flows list|show|cancel|restart`: the support operations from a shell, through the
same code as the staff pages (operations/). Each action goes to the audit log with no actor
account and the operating-system user who ran it."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from fastapi.encoders import jsonable_encoder

from cli.failures import ServiceUnreachable
from engine.client import connect
from operations.actors import cli_actor
from operations.control import ActionResult
from operations.filters import flow_filter
from operations.flows import FlowDetail, FlowRow
from operations.service import Operations
from settings import Settings, load_settings
from store.pool import create_pool

T = TypeVar("T")
_CONNECT_SECONDS = 10


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("flows", help="find, inspect, cancel and restart flows (support)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="running flows by process, step and age, newest first")
    listing.add_argument("--process", help="e.g. registration, enrollment, login")
    listing.add_argument("--step", help="e.g. check_email")
    listing.add_argument("--older-than", metavar="AGE", help="at the current step for longer than AGE: 15m, 2h, 1d, PT15M")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=run_list)

    show = actions.add_parser("show", help="one flow: status, runs, children and its timeline")
    show.add_argument("flow_id", metavar="ID")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    for name, helptext, handler in (
        ("cancel", "cancel a flow (a child: its root); the workflow cleans up", lambda args: run_action(args, "cancel")),
        ("restart", "restart a flow (a child: its root): same id and start input, saved progress kept",
         lambda args: run_action(args, "restart")),
    ):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("flow_id", metavar="ID")
        action.set_defaults(handler=handler)


def run_list(args: argparse.Namespace) -> str:
    wanted = flow_filter(args.process, args.step, args.older_than)
    rows = _run(lambda ops: ops.stuck_flows(wanted))
    if args.json:
        return json.dumps(jsonable_encoder(rows), indent=2)
    return flows_table(rows, datetime.now(timezone.utc))


def run_show(args: argparse.Namespace) -> str:
    detail = _run(lambda ops: ops.show(args.flow_id))
    if args.json:
        return json.dumps(jsonable_encoder(detail), indent=2)
    return describe(detail, datetime.now(timezone.utc))


def run_action(args: argparse.Namespace, action: str) -> str:
    result: ActionResult = _run(lambda ops: ops.cancel(args.flow_id) if action == "cancel" else ops.restart(args.flow_id))
    via = f" (its root flow; {result.asked_for} runs under it)" if result.asked_for != result.flow_id else ""
    if action == "cancel":
        return f"Cancelled {result.flow_id}{via}: run {result.old_run_id} is {result.status}."
    return f"Restarted {result.flow_id}{via}: run {result.old_run_id} is {result.status}; new run {result.new_run_id}."


def _run(action: Callable[[Operations], Awaitable[T]]) -> T:
    return asyncio.run(_with_operations(load_settings(), action))


async def _with_operations(settings: Settings, action: Callable[[Operations], Awaitable[T]]) -> T:
    try:
        client = await asyncio.wait_for(connect(settings), timeout=_CONNECT_SECONDS)
    except Exception as exc:  # connection failures come in several shapes
        raise ServiceUnreachable(f"cannot reach Temporal at {settings.temporal_address}: {exc or type(exc).__name__}") from None
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        return await action(Operations(client, pool, cli_actor()))
    finally:
        await pool.close()


# --- readable output ------------------------------------------------------------------------
def flows_table(rows: list[FlowRow], now: datetime) -> str:
    if not rows:
        return "No running flow matches."
    header = ("FLOW", "PROCESS", "STEP", "AT STEP", "SINCE (UTC)", "STARTED (UTC)", "ACCOUNT", "NPI")
    lines = [
        (r.id, r.process, r.step, age(now, r.since), _when(r.since), _when(r.started), r.account_id, r.provider_npi)
        for r in rows
    ]
    return _table([header, *lines]) + f"\n{len(rows)} running flow(s)."


def describe(detail: FlowDetail, now: datetime) -> str:
    flow = detail.flow
    out = [
        f"{flow.id}  ({flow.process or flow.workflow_type})",
        f"  status {flow.status}, step {flow.step or '-'} since {_when(flow.since)} ({age(now, flow.since)})",
        f"  run {flow.run_id}, started {_when(flow.started)}" + (f", closed {_when(flow.closed)}" if flow.closed else ""),
    ]
    if flow.account_id or flow.provider_npi:
        out.append(f"  account {flow.account_id or '-'}, provider NPI {flow.provider_npi or '-'}")
    if flow.parent_id:
        out.append(f"  started by {flow.parent_id} (cancel and restart act on it)")
    out += [f"  child {child}" for child in detail.children]
    out += ["", "TIMELINE (UTC)"]
    out += [f"  {_when(e.at)}  {e.what:<16} {e.name}".rstrip() for e in detail.timeline]
    if len(detail.runs) > 1:
        out += ["", "RUNS UNDER THIS ID"]
        out += [f"  {r.run_id}  {r.status:<10} started {_when(r.started)}" for r in detail.runs]
    return "\n".join(out)


def age(now: datetime, since: datetime | None) -> str:
    if since is None:
        return "-"
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours < 48 else f"{hours // 24}d{hours % 24:02d}h"


def _when(at: datetime | None) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def _table(rows: list[tuple[Any, ...]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)
