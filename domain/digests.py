"""One-time codes and link tokens, and the keyed digests that stand in for them (DESIGN.md §3).

Only digests travel through workflows and the database. A digest is an HMAC under a key
derived from SECRET_KEY for one purpose, so a leaked history or table cannot be brute-forced
offline (6 digits are only a million guesses) and a code digest cannot be replayed as a
link or cookie digest.
"""

from __future__ import annotations

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

CODE_DIGITS = 6
_CODE = re.compile(r"[0-9]{6}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def generate_code() -> str:
    """6 uniformly random digits, zero-padded ("004217" is as likely as "913582")."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def generate_token() -> str:
    """A URL-safe token with 256 bits of randomness, for links and cookies."""
    return secrets.token_urlsafe(32)


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
    if len(key) < 32:
        raise ValueError("digest keys are 32 bytes; get one from derive_key")
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
