"""A whole new-provider registration with every logger at DEBUG: the log holds the requests,
the flows and the sends, and not one password, code, link token or session token."""

from __future__ import annotations

import io
import logging

import pytest

from engine.logs import configure_logging
from tests.support.temporal import make_settings
from tests.support.whole_registration import register_through_api

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


async def test_a_registration_logged_at_debug_leaves_no_secret_in_the_log(all_logs, live_app, mail):
    registered = await register_through_api(
        live_app, mail, username="logan.md", email=EMAIL, password=PASSWORD, registration_code=REGISTRATION_CODE
    )

    text = all_logs.getvalue()
    # The reading is real: requests (paths without their query), the worker's activities, DEBUG lines.
    assert '"message": "GET /register/confirm 303"' in text
    assert '"message": "POST /api/v1/mfa/code/verify 200"' in text
    assert "send_code_email" in text and '"level": "DEBUG"' in text
    for name, secret in registered.secrets.items():
        assert secret not in text, f"the {name} is in the log"
