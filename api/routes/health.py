"""GET /healthz: a cheap public answer — is this API process serving, and does it reach what it
needs — and, for staff (a staff session or the CODEC_TOKEN bearer), each dependency's state.
The dependencies are probed at most every few seconds whoever asks, so hammering /healthz
cannot hammer the database or the mail server; each probe also sets atrezzo_dependency_up."""

from __future__ import annotations

import asyncio
import time

import aiosmtplib
import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.dependencies import SettingsDep
from api.resources import Resources
from api.staff import staff_caller
from engine import metrics

router = APIRouter(tags=["operations"])

_TIMEOUT = 3.0
# A probe this recent answers again instead of a new one.
_FRESH_FOR = 5.0


class HealthProbe:
    """The latest dependency report of this process, shared by everyone who asks."""

    def __init__(self, resources: Resources) -> None:
        self._resources = resources
        self._lock = asyncio.Lock()
        self._report: dict | None = None
        self._at = 0.0
        self._gauge = metrics.dependency_states(resources.telemetry.meter)

    async def report(self) -> dict:
        async with self._lock:
            if self._report is None or time.monotonic() - self._at > _FRESH_FOR:
                self._report = await _probe(self._resources)
                self._at = time.monotonic()
                for name, state in self._report.items():
                    self._gauge.set(int(state["status"] in ("up", "external")), {"dependency": name})
            return self._report


@router.get("/healthz", summary="Whether this API serves and reaches its dependencies; each one's state for staff")
async def healthz(request: Request, settings: SettingsDep) -> JSONResponse:
    report = await request.app.state.health.report()
    healthy = all(r["status"] in ("up", "external") for r in report.values())
    body: dict = {"status": "up" if healthy else "degraded"}
    if await staff_caller(request, settings) is not None:
        body["dependencies"] = report
    return JSONResponse(body, status_code=200 if healthy else 503)


async def _probe(resources: Resources) -> dict:
    settings = resources.settings
    checks = {
        "database": _database(resources),
        "temporal": _temporal(resources),
        "smtp": _smtp(settings),
        "twilio": _twilio(resources.http, settings.twilio_api_base_url),
    }
    results = await asyncio.gather(*(_timed(check) for check in checks.values()))
    return dict(zip(checks, results))


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


async def _database(resources: Resources) -> str:
    pool = await resources.pool()
    await pool.fetchval("SELECT 1")
    return "up"


async def _temporal(resources: Resources) -> str:
    client = await resources.temporal()
    await client.workflow_service.get_system_info(GetSystemInfoRequest())
    return "up"


async def _smtp(settings) -> str:
    # Connects as the email activities do (implicit TLS when SMTP_TLS), without sending.
    smtp = aiosmtplib.SMTP(
        hostname=settings.smtp_host, port=settings.smtp_port, timeout=_TIMEOUT, start_tls=False,
        use_tls=settings.smtp_tls, cert_bundle=settings.smtp_tls_ca_file or None,
    )
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
