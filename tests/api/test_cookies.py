"""Cookie flags follow the portal's public address: with PUBLIC_BASE_URL on https every cookie
is Secure and __Host- prefixed, and HSTS is sent — even though the request reaches the API as
plain http behind the TLS-terminating proxy."""

from __future__ import annotations

import httpx

from api.security import BROWSER_COOKIE
from api.sessions import SESSION_COOKIE


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


async def test_behind_an_https_address_every_cookie_is_secure_and_host_only(https_session_app):
    user_id = await https_session_app.add_person()
    # What the proxy forwards: plain http inside, https outside.
    async with https_session_app.http() as http:
        page = await http.get("/")
        signed_in = await http.post(f"/test/sign-in/{user_id}")
    cookies = set_cookies(page) + set_cookies(signed_in)
    names = {cookie.split("=", 1)[0] for cookie in cookies}
    assert names == {f"__Host-{BROWSER_COOKIE}", f"__Host-{SESSION_COOKIE}"}
    for cookie in cookies:
        assert "Secure" in cookie and "Path=/" in cookie and "HttpOnly" in cookie and "Domain" not in cookie
    assert page.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"


async def test_the_prefixed_cookies_are_the_ones_read_back(https_session_app):
    user_id = await https_session_app.add_person()
    transport = httpx.ASGITransport(app=https_session_app.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://portal.example") as http:
        await http.post(f"/test/sign-in/{user_id}")
        assert (await http.get("/api/v1/me")).status_code == 200
        # The unprefixed name is someone else's cookie (a subdomain could set it): ignored.
        token = http.cookies[f"__Host-{SESSION_COOKIE}"]
        http.cookies.clear()
        http.cookies.set(SESSION_COOKIE, token)
        assert (await http.get("/api/v1/me")).status_code == 401


async def test_on_a_plain_http_address_cookies_are_not_secure_and_no_hsts(session_app):
    async with session_app.http() as http:
        page = await http.get("/")
    [cookie] = set_cookies(page)
    assert cookie.startswith(f"{BROWSER_COOKIE}=") and "Secure" not in cookie
    assert "strict-transport-security" not in page.headers


async def test_a_browser_id_we_could_not_have_made_is_replaced(session_app):
    async with session_app.http() as http:
        page = await http.get("/", headers={"cookie": f"{BROWSER_COOKIE}=forged-üñï-id".encode()})
    assert page.status_code == 200
    [cookie] = set_cookies(page)
    assert cookie.startswith(f"{BROWSER_COOKIE}=") and "forged" not in cookie
