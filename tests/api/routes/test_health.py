"""GET /healthz: anyone learns whether the API serves and reaches what it needs; staff (the
CODEC_TOKEN bearer, or a staff session) also learn each dependency's state. Probes are shared
for a few seconds, and each sets the atrezzo_dependency_up gauge."""

from __future__ import annotations

import asyncio

from api.app import create_app
from api.routes import health
from tests.support.app import asgi_client
from tests.support.temporal import make_settings

TOKEN = "health-staff-token-" + "x" * 20
STAFF = {"Authorization": f"Bearer {TOKEN}"}
NOTHING_THERE = {
    "database_url": "postgresql://nobody@127.0.0.1:9/none",
    "temporal_address": "127.0.0.1:9",
    "smtp_port": 9,
    "twilio_api_base_url": "http://127.0.0.1:9",
}


async def test_all_up_on_the_real_stack(live_app):
    async with live_app.http() as http:
        public = await http.get("/healthz")
    assert (public.status_code, public.json()) == (200, {"status": "up"})  # no detail for anyone


async def test_staff_see_each_dependency(live_app):
    app = create_app(live_app.settings.model_copy(update={"codec_token": TOKEN}))
    async with app.router.lifespan_context(app), asgi_client(app) as http:
        report = (await http.get("/healthz", headers=STAFF)).json()
    assert report["status"] == "up"
    assert {k: v["status"] for k, v in report["dependencies"].items()} == {
        "database": "up", "temporal": "up", "smtp": "up", "twilio": "up",
    }


async def test_each_missing_dependency_is_reported_down_to_staff_only():
    async with asgi_client(create_app(make_settings(codec_token=TOKEN, **NOTHING_THERE))) as http:
        public = await http.get("/healthz")
        staff = await http.get("/healthz", headers=STAFF)
        wrong = await http.get("/healthz", headers={"Authorization": "Bearer not-it"})
    assert (public.status_code, public.json()) == (503, {"status": "degraded"})
    assert (wrong.status_code, wrong.json()) == (503, {"status": "degraded"})
    assert staff.status_code == 503 and staff.json()["status"] == "degraded"
    assert all(d["status"] == "down" and d["error"] for d in staff.json()["dependencies"].values())


async def test_real_twilio_is_not_probed():
    settings = make_settings(codec_token=TOKEN, database_url="postgresql://nobody@127.0.0.1:9/none", temporal_address="127.0.0.1:9")
    async with asgi_client(create_app(settings)) as http:
        report = (await http.get("/healthz", headers=STAFF)).json()
    assert report["dependencies"]["twilio"]["status"] == "external"


async def test_a_burst_of_health_checks_probes_the_dependencies_once(monkeypatch):
    """Anyone may ask; nobody can make the API hammer the database or the mail server."""
    probes = []
    real_probe = health._probe

    async def counted(resources):
        probes.append(1)
        return await real_probe(resources)

    monkeypatch.setattr(health, "_probe", counted)
    async with asgi_client(create_app(make_settings(codec_token=TOKEN, **NOTHING_THERE))) as http:
        answers = await asyncio.gather(*(http.get("/healthz") for _ in range(20)))
    assert {a.status_code for a in answers} == {503}
    assert len(probes) == 1
