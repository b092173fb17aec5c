"""Every process's steps, declared once: the screens its templates show
(``api/templates/<process>/<step>.html``, tests/workflows/test_steps.py holds them to it) and
the ends it can reach. A step's value is what the view's ``step`` and the AtrezzoStep search
attribute carry, so support's filters and recorded histories read as before. A value shared by
several processes (``done``, ``enrolling``) is a member of each: a flow's parts opt in by
their host's ``STEPS``."""

from __future__ import annotations

from enum import StrEnum

# The step of a flow its person has finished: its screens hand over to the process's finish.
DONE = "done"


class RegistrationStep(StrEnum):
    ORGANIZATION = "organization"  # the edge's, before the flow starts
    USER_INFO = "user_info"
    CHECK_EMAIL = "check_email"
    ENROLLING = "enrolling"
    COMPLETE = "complete"
    ENROLLMENT_ABANDONED = "enrollment_abandoned"
    REGISTRATION_ERROR = "registration_error"  # the link could not be sent, or was not clicked
    ABANDONED = "abandoned"  # no user information in time
    CANCELLED = "cancelled"  # by support


class ResetStep(StrEnum):
    """Registration Error → Reset and Having trouble logging in: a new link, then enrollment."""

    CHECK_EMAIL = "check_email"
    ENROLLING = "enrolling"
    COMPLETE = "complete"
    ENROLLMENT_ABANDONED = "enrollment_abandoned"
    LINK_NOT_SENT = "link_not_sent"
    LINK_EXPIRED = "link_expired"


class EnrollmentStep(StrEnum):
    METHOD = "method"
    EMAIL = "email"
    EMAIL_CODE = "email_code"
    PASSWORD = "password"
    PHONE = "phone"
    PHONE_CODE = "phone_code"
    PHONE_CALL = "phone_call"
    APP = "app"  # the authenticator app's QR code and its first code
    PASSKEY = "passkey"  # a new passkey, made by the browser
    RECOVERY_CODES = "recovery_codes"  # shown once, after the app
    TERMS = "terms"
    DONE = "done"
    ABANDONED = "abandoned"


class LoginStep(StrEnum):
    PHONE = "phone"
    PHONE_CODE = "phone_code"
    PHONE_CALL = "phone_call"
    EMAIL = "email"
    EMAIL_CODE = "email_code"
    VERIFIED = "verified"
    APP_CODE = "app_code"  # the authenticator app's code
    PASSKEY = "passkey"  # the person's passkey
    RECOVERY_CODE = "recovery_code"  # one of the person's recovery codes, instead of the app or passkey
    DONE = "done"
    EXPIRED = "expired"


class PasswordResetStep(StrEnum):
    EMAIL_CODE = "email_code"
    EMAIL_VERIFIED = "email_verified"
    PHONE = "phone"
    PHONE_CODE = "phone_code"
    PHONE_CALL = "phone_call"
    APP_CODE = "app_code"  # the authenticator app's code (issue 10)
    PASSKEY = "passkey"  # or the person's passkey
    RECOVERY_CODE = "recovery_code"  # or one of the recovery codes
    NEW_PASSWORD = "new_password"
    DONE = "done"
    EXPIRED = "expired"


class AdminResetStep(StrEnum):
    RESETTING = "resetting"
    AWAITING_USER = "awaiting_user"
    ENROLLING = "enrolling"
    COMPLETE = "complete"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    RESTARTED = "restarted"  # replaced by a newer request for the same user


class StaffLoginStep(StrEnum):
    """The Kepro box's LOGIN: the person is at the identity provider until its answer."""

    AT_PROVIDER = "at_provider"
    DONE = "done"
    REFUSED = "refused"  # the provider's answer, or the account it names, was not accepted
    EXPIRED = "expired"  # no answer within STAFF_LOGIN_TIMEOUT


class PasskeyLoginStep(StrEnum):
    """Sign in with a passkey alone (issue 10): whose passkey it is, the answer says."""

    PASSKEY = "passkey"
    DONE = "done"
    EXPIRED = "expired"
