"""AES-GCM payload codec: everything a workflow stores is encrypted before it leaves the process.

Each payload carries the id of the key that sealed it, so keys rotate without breaking old
histories: the first key of the ring encrypts, every key in the ring decrypts.

Only sealed payloads are ever opened. A payload in clear did not come from this engine —
someone with access to Temporal but not to the keys started a workflow or answered an update
— and the worker, the API and the codec endpoint all refuse it rather than act on it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class PayloadRefused(ValueError):
    """A payload this codec will not open; the message says why, never what it holds."""


class UnknownKeyError(PayloadRefused):
    pass


class NotEncryptedError(PayloadRefused):
    pass


class TamperedPayloadError(PayloadRefused):
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
        encoding = payload.metadata.get("encoding", b"")
        if encoding != ENCODING:
            raise NotEncryptedError(
                f"refused a payload that is not encrypted (encoding {encoding.decode(errors='replace')[:40]!r}): "
                "only payloads sealed with this engine's PAYLOAD_KEYS are read"
            )
        try:
            kid = payload.metadata.get("encryption-key-id", b"").decode()
        except UnicodeDecodeError:
            raise TamperedPayloadError("refused an encrypted payload whose key id is not text") from None
        decryptor = self._decryptors.get(kid)
        if decryptor is None:
            raise UnknownKeyError(f"no payload key with id {kid[:40]!r}")
        if len(payload.data) < _NONCE_BYTES + _TAG_BYTES:
            raise TamperedPayloadError("refused an encrypted payload too short to hold its nonce and tag")
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        try:
            opened = decryptor.decrypt(nonce, sealed, kid.encode())
        except InvalidTag:
            raise TamperedPayloadError("refused an encrypted payload that fails authentication (altered, or another key)") from None
        try:
            return Payload.FromString(opened)
        except Exception:  # protobuf's DecodeError and friends: authentic bytes that are no payload
            raise TamperedPayloadError("refused an encrypted payload that holds no payload") from None
