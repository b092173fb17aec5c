"""`atrezzo api`: serve the app with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from api.app import create_app
from engine.logs import configure_logging
from settings import load_settings

log = logging.getLogger("atrezzo.api")


def serve() -> int:
    settings = load_settings()
    configure_logging(settings, "api")
    if settings.metrics_address:
        log.info("API metrics at http://%s/metrics", settings.metrics_address)
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        # Access logs carry query strings, and link tokens travel in them: the app writes its
        # own access line without them (api/request_telemetry.py).
        access_log=False,
        # uvicorn's loggers go through the root handler configure_logging installed.
        log_config=None,
        # The app believes X-Forwarded-* from FORWARDED_ALLOW_IPS only (api/app.py).
        proxy_headers=False,
        log_level=settings.log_level.lower(),
    )
    return 0
