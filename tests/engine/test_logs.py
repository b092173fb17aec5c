"""Log lines: JSON with the fields a log search needs, text for people, secrets scrubbed
from both whatever logged them."""

from __future__ import annotations

import io
import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider

from engine.logs import configure_logging, redact
from tests.support.temporal import make_settings


@pytest.fixture
def logged():
    """Lines the configured root handler writes; the handler is removed afterwards."""
    stream = io.StringIO()
    handlers = []
    levels = {name: logging.getLogger(name).level for name in ("", "twilio", "httpx", "httpcore")}

    def configure(**settings):
        handlers.append(configure_logging(make_settings(**settings), "worker", stream=stream))
        return stream

    yield configure
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_a_json_line_has_time_level_logger_service_extras_and_the_trace(logged):
    stream = logged()
    with TracerProvider().get_tracer("t").start_as_current_span("request") as span:
        logging.getLogger("atrezzo.test").info("flow %s moved", "registration-1", extra={"flow_step": "check_email"})
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "flow registration-1 moved"
    assert (line["level"], line["logger"], line["service"], line["flow_step"]) == ("INFO", "atrezzo.test", "worker", "check_email")
    assert line["time"].endswith("+00:00")
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_exceptions_are_in_the_line_and_scrubbed(logged):
    stream = logged()
    try:
        raise ValueError("login failed for password=Copper-Meadow-58")
    except ValueError:
        logging.getLogger("atrezzo.test").exception("could not sign in")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert "ValueError" in line["exception"] and "Copper-Meadow-58" not in line["exception"]


def test_text_format_for_people(logged):
    stream = logged(log_format="text")
    logging.getLogger("atrezzo.test").warning("Your verification code is 123456")
    last = stream.getvalue().splitlines()[-1]
    assert " WARNING worker atrezzo.test Your verification code is [redacted]" in last


def test_chatty_request_loggers_stay_at_warnings_and_configuring_twice_keeps_one_handler(logged):
    stream = logged(log_level="debug")
    logged(log_level="debug")
    assert sum(getattr(h, "_atrezzo", False) for h in logging.getLogger().handlers) == 1
    logging.getLogger("httpx").info("HTTP Request: GET http://x/?token=abc")
    logging.getLogger("atrezzo.test").debug("debug shows")
    assert "debug shows" in stream.getvalue() and "HTTP Request" not in stream.getvalue()


@pytest.mark.parametrize("text,secret", [
    ("Your Atrezzo verification code is 482913. It expires", "482913"),
    ("code: 482913", "482913"),
    ("GET /register/verify?flow=registration-1&token=Zq3-_x9AbC", "Zq3-_x9AbC"),
    ("{'To': '+12025550143', 'password': 'Copper-Meadow-58'}", "Copper-Meadow-58"),
    ("Authorization: Bearer eyJhbGciOi.x.y", "eyJhbGciOi"),
    ("Cookie: atrezzo_session=s3ss10n.sig; other=1", "s3ss10n"),
    ("hash $argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA stored", "aGFzaA"),
    ("digest " + "ab" * 32, "ab" * 32),
])
def test_redaction_catches_what_looks_like_a_secret(text, secret):
    assert secret not in redact(text) and "[redacted]" in redact(text)


@pytest.mark.parametrize("text", ["Response Status Code: 201", "worker polling task queue atrezzo at 127.0.0.1:7233",
                                  "flow registration-5f0c moved to check_email"])
def test_redaction_leaves_ordinary_lines_alone(text):
    assert redact(text) == text
