"""AES-GCM payload codec: everything a workflow stores is encrypted before it leaves the process.

Each payload carries the id of the key that sealed it, so keys rotate without breaking old
histories: the first key of the ring encrypts, every key in the ring decrypts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
_NONCE_BYTES = 12


class UnknownKeyError(ValueError):
    pass


class EncryptionCodec(PayloadCodec):
    def __init__(self, key_ring: Sequence[tuple[str, bytes]]) -> None:
        if not key_ring:
            raise ValueError("the payload key ring is empty")
        self._encrypt_kid, encrypt_key = key_ring[0]
        self._encryptor = AESGCM(encrypt_key)
        self._decryptors = {kid: AESGCM(key) for kid, key in key_ring}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._seal(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(p) for p in payloads]

    def _seal(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE_BYTES)
        kid = self._encrypt_kid.encode()
        # The key id is authenticated as associated data: swapping it breaks decryption.
        sealed = self._encryptor.encrypt(nonce, payload.SerializeToString(), kid)
        return Payload(
            metadata={"encoding": ENCODING, "encryption-key-id": kid},
            data=nonce + sealed,
        )

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        kid = payload.metadata.get("encryption-key-id", b"")
        decryptor = self._decryptors.get(kid.decode())
        if decryptor is None:
            raise UnknownKeyError(f"no payload key with id {kid.decode()!r}")
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        return Payload.FromString(decryptor.decrypt(nonce, sealed, kid))
