"""A whole new-provider registration through the JSON API, as the secret-leak tests need it:
every secret the person and the portal exchanged, to look for wherever things are kept."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

from domain.passwords import hash_password
from store.providers import add_provider

NPI = "1234567893"


@dataclass(frozen=True)
class Registered:
    registration_flow: str
    # What must never be at rest or in a log in plain text, by name.
    secrets: dict[str, str]


async def register_through_api(
    live_app, mail, *, username: str, email: str, password: str, registration_code: str
) -> Registered:
    """Provider registration with the EMAIL method, from the NPI to the Terms of Use, signed in."""
    async with live_app.pool.acquire() as conn:
        await add_provider(conn, NPI, "Demo Family Practice", hash_password(registration_code))
    user_info = {
        "username": username, "first_name": username.split(".")[0].title(), "last_name": "Medic",
        "email": email, "confirm_email": email, "fax": "(717) 564-3862", "state": "PA", "zip_code": "17111",
    }
    async with live_app.http() as http:
        await _post(http, "registration", {"npi": NPI, "registration_code": registration_code}, "user_info", 201)
        await _post(http, "registration/user-info", user_info, "check_email")
        await mail.wait_for_messages_to(email)
        link = mail.last_link_to(email)
        query = parse_qs(urlparse(link).query)
        opened = await http.get(link.replace(live_app.url, ""), follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"].endswith("/mfa")
        await _post(http, "mfa/method", {"method": "email"}, "email")
        await _post(http, "mfa/email", {"email": email}, "email_code")
        await mail.wait_for_messages_to(email, count=2)
        code = mail.last_code_to(email)
        await _post(http, "mfa/code/verify", {"code": code}, "password")
        await _post(http, "mfa/password", {"password": password, "confirm_password": password}, "terms")
        await _post(http, "mfa/terms", {"accepted": True}, "done")
        assert (await http.get("/api/v1/me")).status_code == 200
        session = http.cookies["atrezzo_session"]
    secrets = {"password": password, "email code": code, "link token": query["token"][0],
               "registration code": registration_code, "session token": session}
    return Registered(registration_flow=query["flow"][0], secrets=secrets)


async def _post(http, path: str, body: dict, step: str, status: int = 200) -> None:
    response = await http.post(f"/api/v1/{path}", json=body)
    assert response.status_code == status, response.text
    assert response.json()["step"] == step, response.json()
