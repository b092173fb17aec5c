"""US phone numbers as the guide wants them: a 10-digit direct line, no extensions, stored E.164."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType

from domain.errors import FieldError

_DIRECT_LINE_MESSAGE = "Enter a 10-digit direct line; extensions are not supported."
_FAX_MESSAGE = "Enter a 10-digit US fax number; extensions are not supported."
# Ten digits that no US line has (an unassigned area code or exchange): saying "10 digits"
# again would not tell the person what is wrong.
_NOT_A_US_NUMBER = "This is not a valid US phone number. Please check the area code and the number."

# Only what people type around the digits of one number. Letters, "x", "#", ";" and ","
# are how extensions and pauses get written, so refusing them refuses every extension form.
_TYPED_NUMBER = re.compile(r"[0-9()+.\-\s]+")

# Numbers that ring one person's desk or handset; toll-free and premium lines are shared
# or billed lines that cannot receive an SMS code reliably.
_DIRECT_LINE_TYPES = frozenset(
    {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
        PhoneNumberType.PERSONAL_NUMBER,
    }
)
# Offices do receive determination letters on toll-free fax lines.
_FAX_TYPES = _DIRECT_LINE_TYPES | {PhoneNumberType.TOLL_FREE}


def parse_us_direct_line(text: str, field: str = "phone_number") -> str:
    """E.164 ("+1XXXXXXXXXX") for a US direct line typed in any common format, or FieldError."""
    return _parse_us_number(text, field, _DIRECT_LINE_MESSAGE, _DIRECT_LINE_TYPES)


def parse_us_fax(text: str, field: str = "fax") -> str:
    """E.164 for a US fax number; like a direct line, but toll-free numbers are accepted."""
    return _parse_us_number(text, field, _FAX_MESSAGE, _FAX_TYPES)


def mask_phone(e164: str) -> str:
    """"+12125559885" -> "XXX-XXX-9885", the way the login screen shows the number on file."""
    if not re.fullmatch(r"\+1[0-9]{10}", e164):
        raise ValueError("mask_phone expects a US number in E.164 form, like +12125559885")
    return f"XXX-XXX-{e164[-4:]}"


def _parse_us_number(
    text: str, field: str, message: str, allowed_types: frozenset[int]
) -> str:
    typed = text.strip()
    if not typed or not _TYPED_NUMBER.fullmatch(typed):
        raise FieldError(field, message)
    try:
        number = phonenumbers.parse(typed, "US")
    except phonenumbers.NumberParseException as exc:
        raise FieldError(field, message) from exc
    if number.extension or len(str(number.national_number)) != 10 or number.country_code != 1:
        raise FieldError(field, message)
    if not phonenumbers.is_valid_number_for_region(number, "US"):
        raise FieldError(field, _NOT_A_US_NUMBER)
    if phonenumbers.number_type(number) not in allowed_types:
        raise FieldError(field, message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
