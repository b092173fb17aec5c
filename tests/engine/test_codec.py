"""The payload codec: round trip, key rotation, tampering."""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload

from engine.codec import ENCODING, EncryptionCodec, UnknownKeyError


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
    with pytest.raises(InvalidTag):
        await codec.decode([flipped])
    relabelled = Payload(metadata={**sealed.metadata, "encryption-key-id": b"k2"}, data=sealed.data)
    with pytest.raises(InvalidTag):
        await codec.decode([relabelled])


async def test_unencrypted_payloads_pass_through():
    codec = EncryptionCodec([("k1", os.urandom(32))])
    assert await codec.decode([payload("plain")]) == [payload("plain")]
