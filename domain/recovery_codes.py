"""Recovery codes: ten single-use codes a person keeps on paper, each standing in once for
their authenticator app. 80 random bits each (NIST SP 800-63B asks at least 64 of a
look-up secret), shown once, stored as keyed digests only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

COUNT = 10
DIGEST_KEY = "recovery-codes"  # derive_key purpose
_BYTES = 10  # 80 bits: 16 base32 characters
_SHAPE = re.compile(r"[A-Z2-7]{16}")
# What people misread in print: base32 has no 0, 1 or 8.
_LOOK_ALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def new_codes() -> list[str]:
    return [_shown(base64.b32encode(secrets.token_bytes(_BYTES)).decode()) for _ in range(COUNT)]


def normalise(typed: str) -> str | None:
    """The code as issued, from what was typed (any case, spaces or dashes, 0 for O); or None."""
    compact = "".join(ch for ch in typed if ch not in " -\t").upper().translate(_LOOK_ALIKES)
    return _shown(compact) if _SHAPE.fullmatch(compact) else None


def digest(key: bytes, account_id: str, code: str) -> str:
    """The keyed digest stored for ``code`` of one account (``code`` as ``normalise`` gives it)."""
    return hmac.new(key, f"{account_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _shown(compact: str) -> str:
    return "-".join(compact[at:at + 4] for at in range(0, 16, 4))
