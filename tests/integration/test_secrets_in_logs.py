"""A whole new-provider registration with every logger at DEBUG: the log holds the requests,
the flows and the sends, and not one password, code, link token or session token."""

from __future__ import annotations

import io
import logging
from urllib.parse import parse_qs, urlparse

import pytest

from domain.passwords import hash_password
from engine.logs import configure_logging
from store.providers import add_provider
from tests.support.temporal import make_settings

NPI = "1234567893"
REGISTRATION_CODE = "REG-CODE-4417-QW"
EMAIL = "logan.md@example.com"
PASSWORD = "Quartz-Harbor-Lantern-73"


@pytest.fixture
def all_logs():
    stream = io.StringIO()
    loggers = [logging.getLogger(name) for name in ["", *logging.root.manager.loggerDict]]
    levels = {logger: logger.level for logger in loggers}
    handler = configure_logging(make_settings(log_level="DEBUG"), "test", stream=stream)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)  # the chatty request loggers too
    # Except the other side, which runs in this process too: the test's own HTTP client logs
    # the links it opens (the app uses httpx only for its health check), and the SMTP sink
    # (aiosmtpd's "mail.log") logs the mail it receives.
    for name in ("httpx", "httpcore", "mail.log"):
        logging.getLogger(name).setLevel(logging.WARNING)
    yield stream
    for logger, level in levels.items():
        logger.setLevel(level)
    logging.getLogger().removeHandler(handler)


async def _post(http, path: str, body: dict, step: str, status: int = 200) -> None:
    response = await http.post(f"/api/v1/{path}", json=body)
    assert response.status_code == status, response.text
    assert response.json()["step"] == step, response.json()


async def test_a_registration_logged_at_debug_leaves_no_secret_in_the_log(all_logs, live_app, mail):
    async with live_app.pool.acquire() as conn:
        await add_provider(conn, NPI, "Demo Family Practice", hash_password(REGISTRATION_CODE))
    user_info = {
        "username": "logan.md", "first_name": "Logan", "last_name": "Medic", "email": EMAIL,
        "confirm_email": EMAIL, "fax": "(717) 564-3862", "state": "PA", "zip_code": "17111",
    }
    async with live_app.http() as http:
        await _post(http, "registration", {"npi": NPI, "registration_code": REGISTRATION_CODE}, "user_info", 201)
        await _post(http, "registration/user-info", user_info, "check_email")
        await mail.wait_for_messages_to(EMAIL)
        link = mail.last_link_to(EMAIL)
        token = parse_qs(urlparse(link).query)["token"][0]
        opened = await http.get(link.replace(live_app.url, ""), follow_redirects=False)
        assert opened.status_code == 303
        await _post(http, "mfa/method", {"method": "email"}, "email")
        await _post(http, "mfa/email", {"email": EMAIL}, "email_code")
        await mail.wait_for_messages_to(EMAIL, count=2)
        code = mail.last_code_to(EMAIL)
        await _post(http, "mfa/code/verify", {"code": code}, "password")
        await _post(http, "mfa/password", {"password": PASSWORD, "confirm_password": PASSWORD}, "terms")
        await _post(http, "mfa/terms", {"accepted": True}, "done")
        assert (await http.get("/api/v1/me")).status_code == 200
        session = http.cookies["atrezzo_session"]

    text = all_logs.getvalue()
    # The reading is real: requests (paths without their query), the worker's activities, DEBUG lines.
    assert '"message": "GET /register/confirm 303"' in text
    assert '"message": "POST /api/v1/mfa/code/verify 200"' in text
    assert "send_code_email" in text and '"level": "DEBUG"' in text
    secrets = {"password": PASSWORD, "email code": code, "link token": token,
               "registration code": REGISTRATION_CODE, "session token": session}
    for name, secret in secrets.items():
        assert secret not in text, f"the {name} is in the log"
