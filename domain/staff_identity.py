"""Who a staff member is, as the identity provider said it after every check of its ID token
(api/staff_identity.py): what the staff sign-in's callback sends its flow
(workflows/staff_login.py). Never a token, a code or a secret: those stay at the edge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StaffIdentity:
    issuer: str
    subject: str  # the provider's ``sub``: stable for this person at this issuer
    email: str  # verified by the provider, lower-cased, at one of STAFF_EMAIL_DOMAINS
    given_name: str = ""
    family_name: str = ""
    name: str = ""
    groups: tuple[str, ...] = ()  # the provider's group claim, when it sends one
