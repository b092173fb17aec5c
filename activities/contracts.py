"""What workflows send to activities and get back. Plain dataclasses: they cross the
Temporal boundary and land (encrypted) in history, so they never hold a code, a token
or a password — only digests."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class CodeDelivery:
    """Send a fresh 6-digit code (email or SMS) or place a "press #" call.

    ``purpose`` picks the wording ("registration", "login", "password_reset", ...).
    The activity binds the code to the calling workflow and returns only its digest.
    """

    destination: str
    purpose: str
    expires_in_seconds: int
    # Names this send for every attempt of it (the flow's local one, then the activity's): each
    # carries the same code. "" (flows from before): the activity's own id names it.
    send_id: str = ""


@dataclass(frozen=True)
class LinkDelivery:
    """Email a single-use link to ``path`` on the portal, e.g. "/register/verify"."""

    to: str
    template: str
    path: str
    expires_in_seconds: int
    greeting_name: str = ""
    send_id: str = ""  # as CodeDelivery's: every attempt carries the same token


# In a verification call's Sent.detail: the call spoke a code to type. Calls placed before this
# asked for "#" instead, and their flows still take the key press.
SPOKEN_CODE = "spoken_code"
# The failure type of a send the provider refused for its address: no retry can help.
INVALID_DESTINATION = "InvalidDestination"


@dataclass(frozen=True)
class Sent:
    """The keyed digest of what went out (code or link token) and the provider's id."""

    digest: str
    provider_id: str = ""
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UserInformation:
    """Who a new user is, as the "Enter User Information" screen gave it (already normalised
    at the edge). Which organization they join is not theirs to say: their registration
    checked its code, and the flow adds it (NewAccount)."""

    username: str
    first_name: str
    last_name: str
    email: str
    fax: str
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    phone: str = ""


@dataclass(frozen=True, kw_only=True)
class NewAccount(UserInformation):
    """A provider's new user. The account starts pending: it cannot sign in."""

    provider_id: int

    @classmethod
    def joining(cls, provider_id: int, person: UserInformation) -> NewAccount:
        return cls(provider_id=provider_id, **{name: getattr(person, name) for name in _PERSON})


_PERSON = tuple(person_field.name for person_field in fields(UserInformation))


@dataclass(frozen=True)
class Outcome:
    """What a database step decided. ``error`` is for the person, on ``field`` of their screen
    (a taken username, an email used by another account); empty when it went through."""

    account_id: str = ""
    field: str = ""
    error: str = ""
    # A new account's email belongs to another already: nobody is told so on the screen (that
    # would reveal who is registered); the registration answers as for a new address and the
    # owner of the address is emailed instead. "account", or "unverified" for a registration
    # that never proved the address (it expires); "" when the address is free.
    email_holder: str = ""


@dataclass(frozen=True)
class EmailToVerify:
    account_id: str
    email: str
    # "mfa.email_verified" written in the same transaction (flows since AUDITED_EMAIL; before,
    # the flow recorded it with a step of its own).
    audited: bool = False


@dataclass(frozen=True)
class NewPassword:
    account_id: str
    password_hash: str  # argon2id, made at the edge; the password itself never travels


@dataclass(frozen=True)
class StagedPassword:
    """The password the edge staged for the calling flow becomes ``account_id``'s, audited as
    ``event`` in the same transaction; with ``end_sign_ins`` (a reset) every other sign-in
    of the account ends in it too."""

    account_id: str
    event: str  # "password.created" | "password.reset"
    end_sign_ins: bool = False


@dataclass(frozen=True)
class MfaChoice:
    account_id: str
    method: str  # "phone" | "email"
    phone: str = ""  # E.164, for the phone method
    # "mfa.registered" written in the same transaction (flows since AUDITED_WRITES; before,
    # the flow recorded it with a step of its own).
    audited: bool = False


@dataclass(frozen=True)
class TermsAccepted:
    account_id: str
    version: str


@dataclass(frozen=True)
class AuditEntry:
    event: str
    subject: str = ""
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AdminResetRequested:
    """A provider administrator reset ``account_id``'s MFA registration (the flow records it)."""

    account_id: str
    requested_by: str  # the administrator's account id
    requested_at: str  # ISO 8601, when the flow started


@dataclass(frozen=True)
class AdminResetEnded:
    account_id: str
    state: str  # re_registered | expired | cancelled | restarted


@dataclass(frozen=True)
class AccountProgress:
    """What the database already holds of an unfinished registration or enrollment, so a flow
    support restarted picks up there. Empty ``account_id``: nothing saved yet."""

    account_id: str = ""
    status: str = ""  # pending | active | disabled
    email: str = ""
    first_name: str = ""
    email_verified: bool = False
    has_password: bool = False


@dataclass(frozen=True)
class Notice:
    """An email that tells the person something (no link token, no code), from ``template``.
    ``detail`` fills the template in: masked addresses and numbers, a method's name."""

    to: str
    template: str
    greeting_name: str = ""
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StaffAccount:
    """The account a staff sign-in signs in as, or why none (store/staff_identities.py)."""

    account_id: str = ""
    refusal: str = ""  # "disabled" | "other_identity"


@dataclass(frozen=True)
class AppCode:
    """A code typed from the authenticator app: its keyed digest for the flow checking it."""

    account_id: str
    code_digest: str
    # True while the app is being set up: the pending secret is checked, and a right code
    # makes it the account's second factor.
    setting_up: bool = False


@dataclass(frozen=True)
class RecoveryCode:
    account_id: str
    code_digest: str  # domain/recovery_codes.digest


@dataclass(frozen=True)
class RecoveryCodeUsed:
    accepted: bool
    left: int = 0  # codes still unused after this one


# What checking an app code found (AuthenticatorActivities.check_app_code).
APP_CODE_VERIFIED = "verified"
APP_CODE_WRONG = "wrong"
APP_CODE_USED = "used"  # right, but its time step was spent by an earlier sign-in


@dataclass(frozen=True)
class PasskeyAnswer:
    """What a browser's passkey ceremony answered (public: a signature over a challenge that
    only this ceremony of this flow had, and for a new passkey its public key)."""

    account_id: str
    ceremony: int  # the flow's ceremony number, from which the challenge is derived
    answer: str  # the browser's JSON (PublicKeyCredential.toJSON())
    name: str = ""  # a new passkey's name
    as_method: bool = False  # a new passkey becomes the account's second factor


PASSKEY_VERIFIED = "verified"
PASSKEY_REFUSED = "refused"


@dataclass(frozen=True)
class PasskeyOwner:
    """Whose passkey signed a passkey-first sign-in; "" when the answer was refused."""

    account_id: str = ""
    email: str = ""  # the address on record, told of the sign-in
