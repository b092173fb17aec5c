"""A passkey in software, for tests that are not in a browser: it answers the portal's
creation and request options as an authenticator would (ES256, "none" attestation, user
present and verified), so the server's real checks run on real answers."""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url, encode_cbor

_UP, _UV, _BE, _BS, _AT = 0x01, 0x04, 0x08, 0x10, 0x40


@dataclass
class SoftPasskey:
    origin: str  # where the "browser" is: http://localhost:<port>
    user_verified: bool = True
    counter: int = 0
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def create(self, options_json: str) -> str:
        """The answer to navigator.credentials.create(), as PublicKeyCredential.toJSON() gives it."""
        options = json.loads(options_json)
        numbers = self.key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + encode_cbor(cose)
        auth_data = self._auth_data(options["rp"]["id"], _AT) + attested
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return self._answer({
            "clientDataJSON": bytes_to_base64url(client_data),
            "attestationObject": bytes_to_base64url(attestation),
            "transports": ["internal"],
        })

    def get(self, options_json: str, *, challenge: str | None = None) -> str:
        """The answer to navigator.credentials.get() (``challenge``: sign another one instead)."""
        options = json.loads(options_json)
        self.counter += 1
        auth_data = self._auth_data(options["rpId"], 0)
        client_data = self._client_data("webauthn.get", challenge or options["challenge"])
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return self._answer({
            "clientDataJSON": bytes_to_base64url(client_data),
            "authenticatorData": bytes_to_base64url(auth_data),
            "signature": bytes_to_base64url(signature),
            "userHandle": None,
        })

    def _auth_data(self, rp_id: str, extra_flags: int) -> bytes:
        flags = _UP | (_UV if self.user_verified else 0) | extra_flags
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}).encode()

    def _answer(self, response: dict) -> str:
        raw = bytes_to_base64url(self.credential_id)
        return json.dumps({"id": raw, "rawId": raw, "type": "public-key", "response": response,
                           "clientExtensionResults": {}, "authenticatorAttachment": "platform"})
