"""The fault proxy between the app and a dependency: passes bytes both ways, refuses (nothing
listens), stalls (nothing moves), cuts what is open, and changes at once."""

from __future__ import annotations

import asyncio

import pytest
from twilio.base.exceptions import TwilioRestException

from activities.phone import twilio_client
from devstack.topology import Target
from provingground.faults import FaultProxy, Mode
from tests.support.temporal import make_settings


@pytest.fixture
async def echo():
    async def serve(reader, writer):
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


@pytest.fixture
async def proxy(echo):
    proxy = FaultProxy("echo", Target(port=echo))
    await proxy.start()
    yield proxy
    await proxy.stop()


async def talk(proxy, data: bytes = b"ping", timeout: float = 2.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.listen_port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(1024), timeout)
    finally:
        writer.close()


async def test_bytes_pass_both_ways(proxy):
    assert await talk(proxy) == b"ping"
    assert proxy.counters.connections == 1


async def test_refused_means_nothing_listens_and_pass_listens_again_on_the_same_port(proxy):
    port = proxy.listen_port
    await proxy.set(Mode.REFUSE)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    await proxy.set(Mode.PASS)
    assert proxy.listen_port == port and await talk(proxy) == b"ping"


async def test_a_stall_holds_the_bytes_until_it_ends(proxy):
    await proxy.set(Mode.STALL)
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.listen_port)
    writer.write(b"held")
    await writer.drain()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(reader.read(1024), 0.3)
    await proxy.set(Mode.PASS)
    assert await asyncio.wait_for(reader.read(1024), 2) == b"held"
    writer.close()


async def test_a_cut_ends_open_connections_and_new_ones_pass(proxy):
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.listen_port)
    writer.write(b"one")
    assert await reader.read(1024) == b"one"
    await proxy.set(Mode.CUT)
    assert await asyncio.wait_for(reader.read(1024), 2) == b""  # the connection ended under it
    assert proxy.counters.cut == 1
    assert await talk(proxy, b"two") == b"two"


async def test_latency_is_added_to_each_chunk(proxy):
    await proxy.set(Mode.PASS, latency=0.05)
    assert await talk(proxy) == b"ping"
    assert proxy.latency == 0.05


async def test_an_http_dependency_answers_500_to_the_real_twilio_client_then_recovers(twilio_sandbox):
    proxy = FaultProxy("twilio", Target(port=int(twilio_sandbox.url.rsplit(":", 1)[1])))
    await proxy.start()
    settings = make_settings(twilio_account_sid=twilio_sandbox.account_sid, twilio_auth_token=twilio_sandbox.auth_token,
                             twilio_api_base_url=f"http://{proxy.address}")

    def send() -> str:
        # A client of its own each time: a kept-alive connection the fault cut fails on its own terms.
        return twilio_client(settings).messages.create(to="+12025550143", from_=settings.twilio_from_number, body="hi").sid

    try:
        assert (await asyncio.to_thread(send)).startswith("SM")
        await proxy.set(Mode.SERVER_ERROR)
        for _ in range(2):
            with pytest.raises(TwilioRestException) as failed:
                await asyncio.to_thread(send)
            assert failed.value.status == 500
        await proxy.set(Mode.PASS)
        assert (await asyncio.to_thread(send)).startswith("SM")
    finally:
        await proxy.stop()
