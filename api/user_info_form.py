"""The "Enter User Information" form (guide Section 2): every field checked at the edge with
the domain rules, and every error reported at once, so one round trip fixes them all."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel

from activities.contracts import UserInformation
from domain.email import normalise_email
from domain.errors import FieldError
from domain.phone import parse_us_direct_line, parse_us_fax
from domain.us_states import US_STATES
from domain.username import parse_username

REQUIRED = "This field is required."
EMAILS_DIFFER = "Email addresses do not match."
_ZIP = re.compile(r"([0-9]{5})(?:-?([0-9]{4}))?")


@dataclass(frozen=True)
class FreeText:
    """A field of free text (a name, an address line): at most ``max_length`` characters and no
    control characters, checked by ``user_information`` so the message is the portal's own."""

    max_length: int


class UserInfoForm(BaseModel):
    """What the person typed, kept as typed so a screen with errors can show it again."""

    username: str = ""
    first_name: Annotated[str, FreeText(100)] = ""
    last_name: Annotated[str, FreeText(100)] = ""
    address1: Annotated[str, FreeText(200)] = ""
    address2: Annotated[str, FreeText(200)] = ""
    city: Annotated[str, FreeText(100)] = ""
    state: str = ""
    zip_code: str = ""
    email: str = ""
    confirm_email: str = ""
    phone: str = ""
    fax: str = ""


class InvalidUserInfo(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def user_information(form: UserInfoForm) -> UserInformation:
    """What was typed, normalised, or InvalidUserInfo naming every wrong field."""
    errors: dict[str, str] = {}

    def checked(name: str, parse: Callable[[str], str], *, required: bool = False) -> str:
        typed = getattr(form, name).strip()
        if not typed:
            if required:
                errors[name] = REQUIRED
            return ""
        try:
            return parse(typed)
        except FieldError as exc:
            errors[name] = exc.message
            return ""

    username = checked("username", parse_username, required=True)
    first_name = checked("first_name", _text("first_name"), required=True)
    last_name = checked("last_name", _text("last_name"), required=True)
    address1 = checked("address1", _text("address1"))
    address2 = checked("address2", _text("address2"))
    city = checked("city", _text("city"))
    state = checked("state", _state)
    zip_code = checked("zip_code", _zip)
    email = checked("email", normalise_email, required=True)
    checked("confirm_email", _confirming(email), required=True)
    phone = checked("phone", lambda typed: parse_us_direct_line(typed, "phone"))
    fax = checked("fax", lambda typed: parse_us_fax(typed, "fax"), required=True)
    if errors:
        raise InvalidUserInfo(errors)
    return UserInformation(
        username=username, first_name=first_name, last_name=last_name, email=email, fax=fax,
        address1=address1, address2=address2, city=city, state=state, zip_code=zip_code, phone=phone,
    )


def _text(name: str) -> Callable[[str], str]:
    [rule] = [rule for rule in UserInfoForm.model_fields[name].metadata if isinstance(rule, FreeText)]

    def parse(typed: str) -> str:
        if len(typed) > rule.max_length:
            raise FieldError(name, f"Use at most {rule.max_length} characters.")
        if any(ord(char) < 32 for char in typed):
            raise FieldError(name, "Remove the control characters from this field.")
        return typed

    return parse


def _state(typed: str) -> str:
    code = typed.upper()
    if code not in US_STATES:
        raise FieldError("state", "Select a state from the list.")
    return code


def _zip(typed: str) -> str:
    match = _ZIP.fullmatch(typed)
    if match is None:
        raise FieldError("zip_code", "Enter a 5-digit ZIP code, or ZIP+4 as 12345-6789.")
    five, four = match.groups()
    return f"{five}-{four}" if four else five


def _confirming(email: str) -> Callable[[str], str]:
    def parse(typed: str) -> str:
        # When EMAIL itself is wrong, its own message says so; CONFIRM EMAIL waits for it.
        if not email:
            return typed
        try:
            confirmed = normalise_email(typed, "confirm_email")
        except FieldError:
            raise FieldError("confirm_email", EMAILS_DIFFER) from None
        # The database compares addresses ignoring case; so do we.
        if confirmed.casefold() != email.casefold():
            raise FieldError("confirm_email", EMAILS_DIFFER)
        return confirmed

    return parse
