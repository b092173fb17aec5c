"""Passkeys (WebAuthn, through py_webauthn): the options a browser's ceremony starts from, and
the checks of what it answers. User verification is always required (a passkey is a
phishing-resistant factor on its own device's PIN or biometric), and every passkey is
discoverable, so that it can later sign in on its own.

A ceremony's challenge is never stored and never in history: it is an HMAC, under a key
derived from SECRET_KEY, of the flow's id and the flow's ceremony number. The edge that
shows the options and the worker that checks the answer both derive it, and the flow moves
to a new number after each answer, so an answer is good once."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

CHALLENGE_KEY = "passkey-challenges"  # derive_key purpose
RP_NAME = "Atrezzo Provider Portal"
TIMEOUT_MS = 120_000


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the portal's host name and the origin its pages come from."""

    rp_id: str
    origin: str

    @classmethod
    def of(cls, public_base_url: str) -> RelyingParty | None:
        """From PUBLIC_BASE_URL; None where passkeys cannot work (a bare IP address is no
        relying party: open the portal by its name, http://localhost:8000 on a laptop)."""
        parts = urlsplit(public_base_url)
        host = parts.hostname or ""
        try:
            ipaddress.ip_address(host)
            return None
        except ValueError:
            pass
        return cls(rp_id=host, origin=f"{parts.scheme}://{parts.netloc}") if host else None


@dataclass(frozen=True)
class NewPasskey:
    credential_id: bytes
    public_key: bytes
    sign_count: int
    backed_up: bool
    device_type: str  # "single_device" | "multi_device"
    transports: tuple[str, ...]


def challenge(key: bytes, flow_id: str, ceremony: int) -> bytes:
    return hmac.new(key, f"{flow_id}:{ceremony}".encode(), hashlib.sha256).digest()


def creation_options(rp: RelyingParty, challenge_bytes: bytes, user_handle: bytes, user_name: str,
                     display_name: str, existing: list[bytes]) -> str:
    """What navigator.credentials.create() takes, as JSON (PublicKeyCredential.parseCreationOptionsFromJSON)."""
    options = generate_registration_options(
        rp_id=rp.rp_id, rp_name=RP_NAME, user_id=user_handle, user_name=user_name, user_display_name=display_name,
        challenge=challenge_bytes, timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=each) for each in existing],
    )
    return options_to_json(options)


def request_options(rp: RelyingParty, challenge_bytes: bytes, allowed: list[bytes]) -> str:
    """What navigator.credentials.get() takes, as JSON (PublicKeyCredential.parseRequestOptionsFromJSON)."""
    options = generate_authentication_options(
        rp_id=rp.rp_id, challenge=challenge_bytes, timeout=TIMEOUT_MS,
        allow_credentials=[PublicKeyCredentialDescriptor(id=each) for each in allowed],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def verified_new(rp: RelyingParty, challenge_bytes: bytes, answer: str) -> NewPasskey:
    """The passkey a create() answer registers; raises (py_webauthn's InvalidRegistrationResponse,
    or ValueError for JSON that is no answer at all) unless every check holds."""
    verified = verify_registration_response(
        credential=answer, expected_challenge=challenge_bytes, expected_rp_id=rp.rp_id, expected_origin=rp.origin,
        require_user_verification=True,
    )
    transports = _transports(answer)
    return NewPasskey(verified.credential_id, verified.credential_public_key, verified.sign_count,
                      verified.credential_backed_up, verified.credential_device_type.value, transports)


def verified_use(rp: RelyingParty, challenge_bytes: bytes, answer: str, public_key: bytes, sign_count: int) -> int:
    """The new sign counter of a get() answer signed by the passkey with ``public_key``;
    raises unless every check holds."""
    verified = verify_authentication_response(
        credential=answer, expected_challenge=challenge_bytes, expected_rp_id=rp.rp_id, expected_origin=rp.origin,
        credential_public_key=public_key, credential_current_sign_count=sign_count, require_user_verification=True,
    )
    return verified.new_sign_count


def credential_id_of(answer: str) -> bytes | None:
    """Which passkey signed a get() answer (its rawId), before anything is checked; None for
    text that is no answer."""
    try:
        raw = json.loads(answer).get("rawId")
        return base64url_to_bytes(raw) if isinstance(raw, str) and raw else None
    except (ValueError, AttributeError, TypeError):
        return None


def user_handle_of(answer: str) -> bytes | None:
    """The account a discoverable passkey's answer names (its user handle), or None."""
    try:
        handle = json.loads(answer).get("response", {}).get("userHandle")
        return base64url_to_bytes(handle) if isinstance(handle, str) and handle else None
    except (ValueError, AttributeError, TypeError):
        return None


def _transports(answer: str) -> tuple[str, ...]:
    response = json.loads(answer).get("response", {})
    found = response.get("transports", []) if isinstance(response, dict) else []
    return tuple(each for each in found if isinstance(each, str))[:8]
