"""Email addresses: syntax checked and normalised by email-validator, masked for display."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from domain.errors import FieldError

# A fixed run of asterisks, so the mask does not reveal how long the local part is.
_MASK = "*******"


def normalise_email(text: str, field: str = "email") -> str:
    """The normalised address (domain lowercased), or FieldError saying what is wrong.

    Deliverability (DNS) is not checked: it needs network I/O and the code we email is
    the real proof that the address works.
    """
    try:
        result = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise FieldError(field, f"Enter a valid email address. {exc}") from exc
    return result.normalized


def mask_email(address: str) -> str:
    """"jane.doe@example.com" -> "j*******@example.com"."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("mask_email expects a full email address")
    return f"{local[0]}{_MASK}@{domain}"
