"""What no screen can use is refused at the door with a clear 4xx — a NUL in any typed field,
text that is not UTF-8, an oversized body — never a 500 from deep inside a flow or a query."""

from __future__ import annotations

import pytest

from api.input_guard import MAX_BODY, REFUSED


@pytest.mark.parametrize(
    "path,kwargs",
    [
        ("/api/v1/login/email", {"json": {"email": "dana\x00@example.com", "password": "x"}}),
        ("/api/v1/registration", {"json": {"npi": "1234567893", "registration_code": "A\x00B"}}),
        ("/api/v1/first-login", {"json": {"username": "lee", "password": "pass\x00word"}}),
        ("/api/v1/registration/help", {"json": {"email": "a@b.c", "password": ["\x00"]}}),
    ],
)
async def test_a_nul_in_any_json_field_is_a_400(session_app, path, kwargs):
    async with session_app.http() as http:
        response = await http.post(path, **kwargs)
    assert (response.status_code, response.json()) == (400, {"detail": REFUSED})


async def test_a_nul_in_a_form_or_the_query_is_a_400(session_app):
    async with session_app.http() as http:
        form = await http.post("/login/email", content=b"email=dana%00x%40example.com&password=x",
                               headers={"content-type": "application/x-www-form-urlencoded"})
        query = await http.get("/api/v1/operations/flows?process=registration%00")
        bad_utf8 = await http.post("/first-login", content=b"username=%ff%fe&password=x",
                                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == query.status_code == bad_utf8.status_code == 400
    assert REFUSED in form.text


async def test_an_oversized_body_is_a_413(session_app):
    async with session_app.http() as http:
        response = await http.post("/api/v1/login/email", content=b'{"email": "' + b"a" * MAX_BODY + b'"}',
                                   headers={"content-type": "application/json"})
    assert response.status_code == 413


async def test_ordinary_input_passes_untouched(session_app):
    async with session_app.http() as http:
        response = await http.post("/api/v1/login/email", json={"email": "nobody@example.com", "password": "Naïve-Passwörd-1"})
    assert response.status_code == 422  # the usual wrong-password answer: the body reached the route


async def test_a_csrf_token_that_is_not_ascii_is_refused_not_crashed_on(session_app):
    """hmac.compare_digest raises on str with non-ASCII characters: a 403, not a 500."""
    async with session_app.http() as http:
        await http.get("/first-login")
        response = await http.post("/first-login", data={"username": "lee", "password": "x", "csrf_token": "tökén"})
    assert response.status_code == 403 and "Your session has expired" in response.text


async def test_the_codec_takes_a_page_of_payloads_larger_than_any_form(session_app):
    big = {"payloads": [{"metadata": {}, "data": "A" * (MAX_BODY * 2)}]}
    async with session_app.http() as http:
        response = await http.post("/codec/decode", json=big)
    assert response.status_code == 403  # read whole and refused for who asked, not for its size
