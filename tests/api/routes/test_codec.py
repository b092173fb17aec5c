"""/codec/encode and /codec/decode: the Temporal UI's remote codec, staff only."""

from __future__ import annotations

import base64

import pytest

from api.app import create_app
from tests.support.app import asgi_client
from tests.support.staff import audit_rows, person
from tests.support.temporal import make_settings

TOKEN = "staff-codec-token-" + "x" * 20


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PLAIN = {"payloads": [{"metadata": {"encoding": b64(b"json/plain")}, "data": b64(b'"hello"')}]}


@pytest.fixture
async def codec_app(db_url):
    # The database is real: every decode is audited.
    settings = make_settings(codec_token=TOKEN, database_url=db_url, temporal_address="127.0.0.1:1")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def codec_client(codec_app):
    async with asgi_client(codec_app) as client:
        yield client


async def decoded_audit(app) -> list:
    return await audit_rows(await app.state.resources.pool(), "codec.decoded")


async def test_staff_token_round_trip_and_the_decode_is_audited(codec_client, codec_app):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    encoded = await codec_client.post("/codec/encode", json=PLAIN, headers=auth)
    assert encoded.status_code == 200
    sealed = encoded.json()["payloads"][0]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == b"binary/encrypted"
    page = "http://127.0.0.1:8233/namespaces/default/workflows/registration-2f0c9a4e/01a2-run/history"
    headers = {**auth, "X-Namespace": "default", "Referer": page}
    decoded = await codec_client.post("/codec/decode", json=encoded.json(), headers=headers)
    assert decoded.json() == PLAIN
    [entry] = await decoded_audit(codec_app)
    assert entry["actor_user_id"] is None
    assert entry["detail"] == {"via": "token", "namespace": "default", "workflow": "registration-2f0c9a4e", "payloads": 1}


async def test_a_payload_in_clear_is_refused_with_a_clear_400(codec_client, codec_app):
    response = await codec_client.post("/codec/decode", json=PLAIN, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400 and "not encrypted" in response.json()["detail"]
    assert await decoded_audit(codec_app) == []


async def test_a_bearer_value_that_is_not_ascii_is_refused_not_crashed_on(codec_client):
    response = await codec_client.post("/codec/decode", json=PLAIN, headers={"Authorization": "Bearer tö-ken".encode()})
    assert response.status_code == 403


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Origin": "http://127.0.0.1:8233"}])
async def test_everyone_else_is_refused(codec_client, headers):
    response = await codec_client.post("/codec/decode", json=PLAIN, headers=headers)
    assert response.status_code == 403
    assert response.json() == {"detail": "Staff only."}


async def test_dev_ui_origin_is_trusted_only_when_configured():
    settings = make_settings(codec_trust_ui_origin=True, database_url="postgresql://nobody@127.0.0.1:1/none", temporal_address="127.0.0.1:1")
    async with asgi_client(create_app(settings)) as client:
        allowed = await client.post("/codec/encode", json=PLAIN, headers={"Origin": "http://127.0.0.1:8233"})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "http://127.0.0.1:8233"
        other = await client.post("/codec/decode", json=PLAIN, headers={"Origin": "http://evil.example"})
        assert other.status_code == 403
        preflight = await client.options("/codec/decode", headers={"Origin": "http://127.0.0.1:8233"})
        assert preflight.status_code == 204


SEALED = b64(b"binary/encrypted")


@pytest.mark.parametrize(
    "body",
    [
        {"nope": 1},
        {"payloads": "x"},
        {"payloads": [{"data": "!!notbase64"}]},
        {"payloads": [1]},
        {"payloads": [{"metadata": {"encoding": SEALED, "encryption-key-id": b64(b"\xff")}, "data": b64(b"x" * 40)}]},
        {"payloads": [{"metadata": {"encoding": SEALED, "encryption-key-id": b64(b"test1")}, "data": b64(b"x")}]},
    ],
)
async def test_bad_bodies_get_a_clear_400(codec_client, body):
    response = await codec_client.post("/codec/decode", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400


async def test_tampered_payload_is_a_400_not_a_500(codec_client):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    sealed = (await codec_client.post("/codec/encode", json=PLAIN, headers=auth)).json()
    data = bytearray(base64.b64decode(sealed["payloads"][0]["data"]))
    data[-1] ^= 1
    sealed["payloads"][0]["data"] = b64(bytes(data))
    response = await codec_client.post("/codec/decode", json=sealed, headers=auth)
    assert response.status_code == 400


# --- staff by their signed-in session (the production Temporal UI sends the portal's cookies) ---
async def test_a_staff_session_may_decode_a_non_staff_one_may_not(session_app):
    staff_id, staff_token = await person(session_app, "sam.support", staff=True)
    user_id, user_token = await person(session_app, "pat.portal", staff=False)
    async with session_app.http() as http:
        http.cookies.set("atrezzo_session", staff_token)
        sealed = await http.post("/codec/encode", json=PLAIN, headers={"Origin": "http://127.0.0.1:8233"})
        assert sealed.status_code == 200
        assert sealed.headers["access-control-allow-credentials"] == "true"
        assert (await http.post("/codec/decode", json=sealed.json())).json() == PLAIN
        [decoded] = await audit_rows(session_app.pool, "codec.decoded")
        assert (str(decoded["actor_user_id"]), decoded["detail"]["via"]) == (staff_id, "session")
    async with session_app.http() as http:
        http.cookies.set("atrezzo_session", user_token)
        refused = await http.post("/codec/decode", json=sealed.json(), headers={"Origin": "http://127.0.0.1:8233"})
        assert (refused.status_code, refused.json()) == (403, {"detail": "Staff only."})
    async with session_app.http() as http:
        anonymous = await http.post("/codec/decode", json=sealed.json())
        assert anonymous.status_code == 403
        http.cookies.set("atrezzo_session", "not-a-session")
        assert (await http.post("/codec/decode", json=sealed.json())).status_code == 403
    [entry] = await audit_rows(session_app.pool, "operations.refused")
    assert (str(entry["actor_user_id"]), entry["detail"]["path"]) == (user_id, "/codec/decode")


def test_trusting_the_dev_ui_by_origin_is_off_unless_asked_for():
    assert make_settings().codec_trust_ui_origin is False
