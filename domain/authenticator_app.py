"""The authenticator app (TOTP, RFC 6238, through pyotp): its secret, sealed at rest, the
QR code that hands it to the app, and the codes it shows.

A typed code never travels in clear: the edge sends the flow its keyed digest, as for codes
sent by email or SMS (domain/digests.py), and the worker that holds the sealed secret
compares it with the digests of the codes of the steps around now."""

from __future__ import annotations

import secrets

import pyotp
import segno
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.digests import code_digest, digests_match

ISSUER = "Atrezzo Provider Portal"
STEP_SECONDS = 30
# A code of the step before or after now is taken too: phones' clocks drift, people type slowly.
WINDOW = 1
SEAL_KEY = "authenticator-secrets"  # derive_key purpose of the key that seals secrets
_NONCE_BYTES = 12


def new_secret() -> str:
    """160 random bits, base32 (RFC 4226's recommended length)."""
    return pyotp.random_base32()


def seal(key: bytes, account_id: str, secret: str) -> bytes:
    """The secret encrypted for the database; bound to its account, so a sealed secret copied
    to another account's row does not open."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, secret.encode(), account_id.encode())


def unseal(key: bytes, account_id: str, sealed: bytes) -> str:
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return AESGCM(key).decrypt(nonce, ciphertext, account_id.encode()).decode()


def setup_uri(secret: str, account_name: str) -> str:
    """The otpauth:// address the QR code carries."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def setup_qr_svg(uri: str) -> str:
    """The QR code as inline SVG markup (no image request, nothing the page's policy blocks)."""
    return segno.make_qr(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")


def grouped(secret: str) -> str:
    """The key as people type it from the screen: groups of four."""
    return " ".join(secret[at:at + 4] for at in range(0, len(secret), 4))


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def matching_step(secret: str, digest_key: bytes, flow_id: str, digest: str, unix_time: float) -> int | None:
    """The time step whose code the person typed (its digest for ``flow_id``), within the
    window around ``unix_time``; None if none. Every step is compared, matched or not."""
    now = step_at(unix_time)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):
        if digests_match(code_digest(digest_key, flow_id, code_at(secret, step)), digest):
            found = step
    return found
