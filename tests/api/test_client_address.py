"""Whose address the throttles and the audit trail count: the peer's, unless the peer is one
of FORWARDED_ALLOW_IPS — then the client it forwarded for. Anyone else's X-Forwarded-For is
ignored, so a client cannot pick the address its tries count against."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import ValidationError

from api.app import create_app
from api.client_address import client_ip
from tests.support.temporal import make_settings

FORWARDED = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}


def _echo() -> APIRouter:
    router = APIRouter()

    @router.get("/test/whoami")
    async def whoami(request: Request) -> dict:
        return {"ip": client_ip(request), "scheme": request.url.scheme}

    return router


async def ask(peer: str, **settings: object) -> dict:
    app = create_app(make_settings(**settings), extra_routers=(_echo(),))
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return (await http.get("/test/whoami", headers=FORWARDED)).json()


async def test_a_trusted_proxy_names_the_client_and_its_scheme():
    assert await ask("10.0.0.2", forwarded_allow_ips="10.0.0.2") == {"ip": "198.51.100.7", "scheme": "https"}


async def test_a_trusted_network_counts_like_an_address():
    assert (await ask("172.30.0.10", forwarded_allow_ips="172.30.0.0/24"))["ip"] == "198.51.100.7"


async def test_anyone_else_s_forwarded_header_is_ignored():
    assert await ask("203.0.113.9", forwarded_allow_ips="10.0.0.2") == {"ip": "203.0.113.9", "scheme": "http"}


async def test_by_default_only_loopback_is_a_proxy():
    assert (await ask("127.0.0.1"))["ip"] == "198.51.100.7"
    assert (await ask("192.0.2.44"))["ip"] == "192.0.2.44"


@pytest.mark.parametrize("value", ["*", "proxy.internal", "10.0.0.300"])
def test_trusted_proxies_are_addresses_or_networks(value):
    with pytest.raises(ValidationError, match="FORWARDED_ALLOW_IPS"):
        make_settings(forwarded_allow_ips=value)
