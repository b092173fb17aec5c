"""`atrezzo api`: serve the app with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from api.app import create_app
from settings import load_settings


def serve() -> int:
    settings = load_settings()
    logging.getLogger("twilio").setLevel(logging.WARNING)
    # Access logs carry query strings, and link tokens travel in them: keep them out.
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        access_log=False,
        proxy_headers=True,
        log_level="info",
    )
    return 0
