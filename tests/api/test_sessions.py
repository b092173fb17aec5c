"""Server-side sessions: the cookie holds a random token, the database only its digest; a new
sign-in rotates the id; signing out ends it on both sides; a forged or ended cookie gets
nowhere (a browser is sent to the login page, a program gets 401)."""

from __future__ import annotations

import re
from datetime import timedelta

from api.remember_me import REMEMBER_COOKIE
from api.sessions import SESSION_COOKIE
from domain.digests import SESSION_KEY, derive_key, token_digest
from store.remember_me import issue_token, remembered_user


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


async def live_sessions(pool, user_id: str) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT id_digest FROM sessions WHERE user_id = $1 AND revoked_at IS NULL", user_id)
    return [row["id_digest"] for row in rows]


async def test_sign_in_sets_a_strict_cookie_whose_digest_alone_is_stored(session_app):
    user_id = await session_app.add_person()
    async with session_app.http() as http:
        response = await http.post(f"/test/sign-in/{user_id}", headers={"user-agent": "pytest-browser"})
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Max-Age" not in cookie and "expires" not in cookie.lower()
        token = http.cookies[SESSION_COOKIE]
        me = await http.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json() == {"id": user_id, "username": "sam.signed", "first_name": "Sam", "last_name": "Signed"}
    key = derive_key(session_app.settings.secret_key, SESSION_KEY)
    assert await live_sessions(session_app.pool, user_id) == [token_digest(key, token)]
    async with session_app.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT user_agent, host(client_ip) AS ip FROM sessions")
        events = await conn.fetch("SELECT event, subject_user_id FROM audit_events WHERE event LIKE 'session.%'")
    assert (row["user_agent"], row["ip"]) == ("pytest-browser", "127.0.0.1")
    assert [(e["event"], str(e["subject_user_id"])) for e in events] == [("session.started", user_id)]


async def test_a_new_sign_in_rotates_the_session(session_app):
    user_id = await session_app.add_person()
    async with session_app.http() as http:
        await http.post(f"/test/sign-in/{user_id}")
        first = http.cookies[SESSION_COOKIE]
        await http.post(f"/test/sign-in/{user_id}")
        second = http.cookies[SESSION_COOKIE]
        assert second != first
        assert (await http.get("/api/v1/me")).status_code == 200
    assert len(await live_sessions(session_app.pool, user_id)) == 1
    async with session_app.http() as replay:
        replay.cookies.set(SESSION_COOKIE, first)
        assert (await replay.get("/api/v1/me")).status_code == 401


async def test_sign_out_ends_the_session_on_both_sides(session_app):
    user_id = await session_app.add_person()
    async with session_app.http() as http:
        await http.post(f"/test/sign-in/{user_id}")
        token = http.cookies[SESSION_COOKIE]
        home = await http.get("/home")
        out = await http.post("/logout", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303 and out.headers["location"] == "/?notice=signed_out"
        assert SESSION_COOKIE not in http.cookies
        assert "You have been signed out." in (await http.get("/?notice=signed_out")).text
        assert (await http.get("/home")).headers["location"] == "/"
    assert await live_sessions(session_app.pool, user_id) == []
    async with session_app.http() as replay:
        replay.cookies.set(SESSION_COOKIE, token)
        again = await replay.get("/home")
        assert again.status_code == 303 and again.headers["location"] == "/?notice=session_expired"
    async with session_app.pool.acquire() as conn:
        ended = await conn.fetchval("SELECT count(*) FROM audit_events WHERE event = 'session.ended'")
    assert ended == 1


async def test_sign_out_needs_the_csrf_token(session_app):
    user_id = await session_app.add_person()
    async with session_app.http() as http:
        await http.post(f"/test/sign-in/{user_id}")
        refused = await http.post("/logout", data={})
        assert refused.status_code == 403
        assert (await http.get("/api/v1/me")).status_code == 200


async def test_a_forged_or_missing_cookie_is_refused(session_app):
    await session_app.add_person()
    async with session_app.http() as http:
        http.cookies.set(SESSION_COOKIE, "forged-" + "x" * 40)
        page = await http.get("/home")
        assert page.status_code == 303 and page.headers["location"] == "/?notice=session_expired"
        http.cookies.set(SESSION_COOKIE, "forged-" + "x" * 40)
        api = await http.get("/api/v1/me")
        assert api.status_code == 401 and api.json() == {"detail": "Sign in first."}
    async with session_app.http() as stranger:
        page = await stranger.get("/home")
        assert page.status_code == 303 and page.headers["location"] == "/"
        assert (await stranger.get("/api/v1/me")).status_code == 401


async def test_sign_out_of_other_sessions_keeps_only_this_one_and_ends_remember_me(session_app):
    user_id = await session_app.add_person()
    async with session_app.pool.acquire() as conn:
        await issue_token(conn, "d" * 64, user_id, "phone", ttl=timedelta(hours=4))
    async with session_app.http() as other:
        await other.post(f"/test/sign-in/{user_id}")
        async with session_app.http() as http:
            await http.post(f"/test/sign-in/{user_id}")
            http.cookies.set(REMEMBER_COOKIE, "this-browsers-token")
            home = await http.get("/home")
            out = await http.post("/logout/others", data={"csrf_token": csrf_of(home.text)})
            assert out.status_code == 303 and out.headers["location"] == "/home?notice=others_signed_out"
            assert f'{REMEMBER_COOKIE}=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
            page = await http.get(out.headers["location"])
            assert "Your other sessions have been signed out, and Remember Me has been turned off." in page.text
        # The other client's session stops working.
        assert (await other.get("/api/v1/me")).status_code == 401
    assert len(await live_sessions(session_app.pool, user_id)) == 1
    async with session_app.pool.acquire() as conn:
        assert await remembered_user(conn, "d" * 64, "phone") is None
        [event] = await conn.fetch("SELECT subject_user_id, detail FROM audit_events WHERE event = 'sessions.others_revoked'")
    assert (str(event["subject_user_id"]), event["detail"]) == (user_id, {"sessions": 1, "remember_me_tokens": 1})


async def test_sign_out_of_other_sessions_through_the_json_api(session_app):
    user_id = await session_app.add_person()
    async with session_app.http() as other, session_app.http() as http:
        await other.post(f"/test/sign-in/{user_id}")
        await http.post(f"/test/sign-in/{user_id}")
        refused = await http.post("/api/v1/logout/others", data={"x": "y"})
        assert refused.status_code == 415
        assert (await other.get("/api/v1/me")).status_code == 200
        ended = await http.post("/api/v1/logout/others", json={})
        assert (ended.status_code, ended.json()) == (200, {"sessions": 1, "remember_me_tokens": 0})
        assert (await other.get("/api/v1/me")).status_code == 401
        assert (await http.get("/api/v1/me")).status_code == 200


async def test_sign_out_of_other_sessions_needs_the_csrf_token_and_a_session(session_app):
    user_id = await session_app.add_person()
    async with session_app.http() as other, session_app.http() as http:
        await other.post(f"/test/sign-in/{user_id}")
        await http.post(f"/test/sign-in/{user_id}")
        assert (await http.post("/logout/others", data={})).status_code == 403
        assert (await other.get("/api/v1/me")).status_code == 200
    async with session_app.http() as stranger:
        assert (await stranger.post("/api/v1/logout/others", json={})).status_code == 401
