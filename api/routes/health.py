"""GET /healthz: each dependency's state, 200 when all are up, 503 otherwise."""

from __future__ import annotations

import asyncio
import time

import aiosmtplib
import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.dependencies import ResourcesDep

router = APIRouter(tags=["operations"])

_TIMEOUT = 3.0


@router.get("/healthz", summary="State of every dependency")
async def healthz(resources: ResourcesDep) -> JSONResponse:
    settings = resources.settings
    checks = {
        "database": _database(resources),
        "temporal": _temporal(resources),
        "smtp": _smtp(settings.smtp_host, settings.smtp_port),
        "twilio": _twilio(resources.http, settings.twilio_api_base_url),
    }
    results = await asyncio.gather(*(_timed(check) for check in checks.values()))
    report = dict(zip(checks, results))
    healthy = all(r["status"] in ("up", "external") for r in report.values())
    return JSONResponse({"status": "up" if healthy else "degraded", "dependencies": report}, status_code=200 if healthy else 503)


async def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        status = await asyncio.wait_for(check, timeout=_TIMEOUT)
        detail = ""
    except Exception as exc:  # a health check must answer, whatever broke
        status, detail = "down", type(exc).__name__
    result = {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    if detail:
        result["error"] = detail
    return result


async def _database(resources) -> str:
    pool = await resources.pool()
    await pool.fetchval("SELECT 1")
    return "up"


async def _temporal(resources) -> str:
    client = await resources.temporal()
    await client.workflow_service.get_system_info(GetSystemInfoRequest())
    return "up"


async def _smtp(host: str, port: int) -> str:
    smtp = aiosmtplib.SMTP(hostname=host, port=port, timeout=_TIMEOUT, start_tls=False)
    await smtp.connect()
    try:
        await smtp.noop()
    finally:
        smtp.close()
    return "up"


async def _twilio(http: httpx.AsyncClient, base_url: str | None) -> str:
    if not base_url:
        # Real Twilio: not probed on every health check (it costs and rate-limits).
        return "external"
    await http.get(base_url, timeout=_TIMEOUT)
    return "up"
