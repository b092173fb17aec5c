"""Enter User Information's rules, field by field, without a server: the limits declared
beside each free-text field, and the forms a ZIP code and a state may be typed in."""

import pytest

from api.user_info_form import InvalidUserInfo, UserInfoForm, user_information

TYPED = {
    "username": "Riley.Reyes", "first_name": "Riley", "last_name": "Reyes", "city": "Harrisburg",
    "state": "pa", "zip_code": "171019999", "email": "Riley@Example.COM", "confirm_email": "riley@example.com",
    "phone": "(717) 564-8288", "fax": "717.564.8289",
}
LIMITS = {"first_name": 100, "last_name": 100, "address1": 200, "address2": 200, "city": 100}


def errors_of(**typed: str) -> dict[str, str]:
    with pytest.raises(InvalidUserInfo) as refused:
        user_information(UserInfoForm(**{**TYPED, **typed}))
    return refused.value.errors


def test_what_was_typed_comes_back_normalised():
    info = user_information(UserInfoForm(**TYPED))
    assert (info.state, info.zip_code, info.email) == ("PA", "17101-9999", "Riley@example.com")
    assert (info.phone, info.fax) == ("+17175648288", "+17175648289")


@pytest.mark.parametrize(("name", "limit"), LIMITS.items())
def test_a_free_text_field_takes_its_limit_and_not_one_character_more(name, limit):
    assert getattr(user_information(UserInfoForm(**{**TYPED, name: "a" * limit})), name) == "a" * limit
    assert errors_of(**{name: "a" * (limit + 1)}) == {name: f"Use at most {limit} characters."}


@pytest.mark.parametrize("name", LIMITS)
def test_a_free_text_field_refuses_control_characters(name):
    assert errors_of(**{name: "Suite\x00 5"}) == {name: "Remove the control characters from this field."}


def test_every_wrong_field_is_named_at_once():
    errors = errors_of(city="x" * 101, zip_code="1710", state="Pennsylvania", confirm_email="pat@example.com")
    assert set(errors) == {"city", "zip_code", "state", "confirm_email"}
