"""The payload codec: round trip, key rotation, tampering."""

from __future__ import annotations

import os

import pytest
from temporalio.api.common.v1 import Payload

from engine.codec import ENCODING, EncryptionCodec, NotEncryptedError, TamperedPayloadError, UnknownKeyError


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_round_trip_hides_the_data():
    codec = EncryptionCodec([("k1", os.urandom(32))])
    [sealed] = await codec.encode([payload('{"email": "pat@example.com"}')])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata["encryption-key-id"] == b"k1"
    assert b"pat@example.com" not in sealed.data
    [opened] = await codec.decode([sealed])
    assert opened == payload('{"email": "pat@example.com"}')


async def test_rotation_new_key_encrypts_old_key_still_decrypts():
    old, new = os.urandom(32), os.urandom(32)
    [sealed_before] = await EncryptionCodec([("old", old)]).encode([payload("before")])
    rotated = EncryptionCodec([("new", new), ("old", old)])
    [sealed_after] = await rotated.encode([payload("after")])
    assert sealed_after.metadata["encryption-key-id"] == b"new"
    assert [p.data for p in await rotated.decode([sealed_before, sealed_after])] == [b"before", b"after"]


async def test_unknown_key_id_is_refused():
    [sealed] = await EncryptionCodec([("gone", os.urandom(32))]).encode([payload("x")])
    with pytest.raises(UnknownKeyError):
        await EncryptionCodec([("k1", os.urandom(32))]).decode([sealed])


async def test_tampered_payload_or_key_id_fails_authentication():
    key = os.urandom(32)
    codec = EncryptionCodec([("k1", key), ("k2", key)])
    [sealed] = await codec.encode([payload("x")])
    flipped = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(TamperedPayloadError):
        await codec.decode([flipped])
    relabelled = Payload(metadata={**sealed.metadata, "encryption-key-id": b"k2"}, data=sealed.data)
    with pytest.raises(TamperedPayloadError):
        await codec.decode([relabelled])


async def test_a_payload_in_clear_is_refused_with_a_clear_error():
    """Someone with Temporal access but no keys can start a workflow or answer an update in
    clear; no part of the engine may act on what it says."""
    codec = EncryptionCodec([("k1", os.urandom(32))])
    with pytest.raises(NotEncryptedError, match="not encrypted .*'json/plain'.*PAYLOAD_KEYS"):
        await codec.decode([payload('{"account_id": "someone else"}')])
    with pytest.raises(NotEncryptedError):
        await codec.decode([Payload(data=b"no metadata at all")])


@pytest.mark.parametrize(
    "metadata,data",
    [
        ({"encoding": ENCODING, "encryption-key-id": b"k1"}, b"short"),
        ({"encoding": ENCODING, "encryption-key-id": b"\xff\xfe"}, b"x" * 40),
        ({"encoding": ENCODING}, b"x" * 40),
    ],
)
async def test_a_malformed_sealed_payload_is_refused_not_crashed_on(metadata, data):
    with pytest.raises((TamperedPayloadError, UnknownKeyError)):
        await EncryptionCodec([("k1", os.urandom(32))]).decode([Payload(metadata=metadata, data=data)])
