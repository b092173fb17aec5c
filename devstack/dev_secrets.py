"""Secrets for the local stack, generated once and kept in .devdata/secrets.env (mode 0600):
flows that are still running were encrypted with these keys and must stay readable."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def _generate() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PAYLOAD_KEYS": f"dev1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "CODEC_TOKEN": secrets.token_urlsafe(24),
        # The client secret at the local OpenID provider (devstack/oidc_provider.py).
        "STAFF_OIDC_CLIENT_SECRET": secrets.token_urlsafe(32),
    }


def load_or_create(path: Path) -> dict[str, str]:
    if path.exists():
        values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        missing = {k: v for k, v in _generate().items() if k not in values}
        if not missing:
            return values
        values.update(missing)
    else:
        values = _generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(f"{k}={v}\n" for k, v in values.items()))
    return values
