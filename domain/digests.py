"""One-time codes and link tokens, and the keyed digests that stand in for them (DESIGN.md §3).

Only digests travel through workflows and the database. A digest is an HMAC under a key
derived from SECRET_KEY for one purpose, so a leaked history or table cannot be brute-forced
offline (6 digits are only a million guesses) and a code digest cannot be replayed as a
link or cookie digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

# Purposes for derive_key: one key each, so a digest made for one use is worthless in another.
CODE_KEY = "codes"  # one-time codes sent by email or SMS
LINK_KEY = "links"  # tokens in emailed links
COOKIE_KEY = "cookies"  # signed cookies, CSRF tokens
VOICE_KEY = "voice-calls"  # tokens that tie a Twilio call back to its flow
SESSION_KEY = "sessions"  # session cookies: only their digest is stored
REMEMBER_KEY = "remember-me"  # Remember Me cookies: only their digest is stored
THROTTLE_KEY = "throttles"  # what a throttle counts (an email, a username): named by its digest
SEND_KEY = "sends"  # what one send carries (a code, a link token): every attempt of it repeats it

CODE_DIGITS = 6
_CODE = re.compile(r"[0-9]{6}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def generate_token() -> str:
    """A URL-safe token with 256 bits of randomness, for links and cookies."""
    return secrets.token_urlsafe(32)


def code_for_send(key: bytes, send: str) -> str:
    """The code the send named ``send`` carries: 6 digits from an HMAC under a server key, as
    HOTP derives its codes from a counter. Every attempt of one send (a retry after a crash
    that may already have delivered it) carries the same code, so a second copy of a message
    never voids the first; another send (Send new code) has another name and another code."""
    value = int.from_bytes(_hmac(key, f"code:{send}"), "big")  # 256 bits: the modulo bias is nil
    return f"{value % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def token_for_send(key: bytes, send: str) -> str:
    """The link token the send named ``send`` carries (256 bits), the same for each attempt."""
    return base64.urlsafe_b64encode(_hmac(key, f"token:{send}")).rstrip(b"=").decode()


def normalise_code(text: str) -> str | None:
    """The 6 digits a person typed (spaces allowed, as in "123 456"), or None."""
    compact = "".join(text.split())
    return compact if _CODE.fullmatch(compact) else None


def derive_key(secret_key: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose ("codes", "links", "cookies", ...) from SECRET_KEY."""
    if not secret_key:
        raise ValueError("derive_key needs the SECRET_KEY setting")
    if not purpose:
        raise ValueError("derive_key needs a purpose, such as 'codes'")
    return hmac.new(
        secret_key.encode(), b"atrezzo key for " + purpose.encode(), hashlib.sha256
    ).digest()


def code_digest(key: bytes, flow_id: str, code: str) -> str:
    """Digest of ``code`` bound to ``flow_id``: a code sent for one flow fails in any other."""
    if not _CODE.fullmatch(code):
        raise ValueError("code_digest takes exactly 6 digits; normalise_code the input first")
    if not flow_id:
        raise ValueError("code_digest needs the flow id the code belongs to")
    return _hmac_hex(key, f"{flow_id}:{code}")


def token_digest(key: bytes, token: str) -> str:
    if not token:
        raise ValueError("token_digest needs a token")
    return _hmac_hex(key, token)


def digests_match(a: str, b: str) -> bool:
    """Constant-time comparison, so response timing does not reveal how much of a guess matched."""
    return hmac.compare_digest(a.encode(), b.encode())


def is_digest(text: str) -> bool:
    """True for what code_digest and token_digest return: 64 lowercase hex characters."""
    return bool(_DIGEST.fullmatch(text))


def _hmac_hex(key: bytes, message: str) -> str:
    return _hmac(key, message).hex()


def _hmac(key: bytes, message: str) -> bytes:
    if len(key) < 32:
        raise ValueError("digest keys are 32 bytes; get one from derive_key")
    return hmac.new(key, message.encode(), hashlib.sha256).digest()
