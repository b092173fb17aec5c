"""What workflows send to activities and get back. Plain dataclasses: they cross the
Temporal boundary and land (encrypted) in history, so they never hold a code, a token
or a password — only digests."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CodeDelivery:
    """Send a fresh 6-digit code (email or SMS) or place a "press #" call.

    ``purpose`` picks the wording ("registration", "login", "password_reset", ...).
    The activity binds the code to the calling workflow and returns only its digest.
    """

    destination: str
    purpose: str
    expires_in_seconds: int


@dataclass(frozen=True)
class LinkDelivery:
    """Email a single-use link to ``path`` on the portal, e.g. "/register/verify"."""

    to: str
    template: str
    path: str
    expires_in_seconds: int
    greeting_name: str = ""


@dataclass(frozen=True)
class Sent:
    """The keyed digest of what went out (code or link token) and the provider's id."""

    digest: str
    provider_id: str = ""
    detail: dict[str, str] = field(default_factory=dict)
