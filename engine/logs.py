"""Logs of the API and the worker: one line per record on stderr, JSON by default
(LOG_FORMAT=json: time, level, logger, message, service, the trace and span ids when a span is
current, and every ``extra`` field such as Temporal's ``temporal_workflow``), or text for people.

The code never logs a password, a code, a link token or a session token; ``redact`` is the
second line of defence and scrubs anything that looks like one from every line, including
third-party libraries' lines and exception text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import IO, Any

import opentelemetry.trace

from settings import Settings

_R = "[redacted]"
_REDACTIONS = [
    # "verification code is 123456", "code=123456": a one-time code beside the word.
    (re.compile(r"(?i)(\bcodes?\b[^0-9\n]{0,24}?)(?<!\d)\d{6}(?!\d)"), rf"\1{_R}"),
    # Query parameters and key/value pairs that carry secrets (link tokens travel as ?token=).
    (re.compile(r"(?i)((?:token|password|passwd|secret)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;}]+"), rf"\1{_R}"),
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\n,}]+"), rf"\1{_R}"),
    # Our cookies (session, Remember Me, flow bindings).
    (re.compile(r"(atrezzo_[a-z_]+=)[^;\s\"']+"), rf"\1{_R}"),
    # Password hashes and 256-bit digests (HMACs of codes and tokens).
    (re.compile(r"\$argon2(?:id|i|d)\$[^\s\"']+"), _R),
    (re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])"), _R),
]
# Libraries that log every request line at INFO (the twilio client with its parameters, httpx
# with full URLs and their query strings): kept to warnings whatever LOG_LEVEL says.
_CHATTY = ("twilio", "httpx", "httpcore")
# Attributes every LogRecord has; anything else on a record came in through ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName", "color_message"}


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(v) for v in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
        }
        span = opentelemetry.trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        entry.update((k, v) for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_"))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(_redacted(entry), ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s %(levelname)s {service} %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(settings: Settings, service: str, *, stream: IO[str] | None = None) -> logging.Handler:
    """Send every logger's records through one redacting handler on the root logger; calling
    it again replaces the handler it installed before. Returns the handler (tests remove it)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(service) if settings.log_format == "json" else TextFormatter(service))
    handler._atrezzo = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_atrezzo", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler
