"""GET /healthz names every dependency and its state."""

from __future__ import annotations

from api.app import create_app
from tests.support.app import asgi_client
from tests.support.temporal import make_settings


async def test_all_up_on_the_real_stack(live_app):
    async with live_app.http() as http:
        response = await http.get("/healthz")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["status"] == "up"
    assert {k: v["status"] for k, v in report["dependencies"].items()} == {
        "database": "up", "temporal": "up", "smtp": "up", "twilio": "up",
    }


async def test_each_missing_dependency_is_reported_down():
    settings = make_settings(
        database_url="postgresql://nobody@127.0.0.1:9/none",
        temporal_address="127.0.0.1:9",
        smtp_port=9,
        twilio_api_base_url="http://127.0.0.1:9",
    )
    async with asgi_client(create_app(settings)) as http:
        response = await http.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "degraded"
    assert all(d["status"] == "down" and d["error"] for d in report["dependencies"].values())


async def test_real_twilio_is_not_probed():
    settings = make_settings(database_url="postgresql://nobody@127.0.0.1:9/none", temporal_address="127.0.0.1:9")
    async with asgi_client(create_app(settings)) as http:
        report = (await http.get("/healthz")).json()
    assert report["dependencies"]["twilio"]["status"] == "external"
