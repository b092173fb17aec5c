import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import FieldError
from domain.username import parse_username


@pytest.mark.parametrize(
    "text, expected",
    [
        ("jdoe", "jdoe"),
        ("  JDoe  ", "JDoe"),
        ("jane.doe@example.com", "jane.doe@example.com"),
        ("a_b-c+d", "a_b-c+d"),
    ],
)
def test_accepted(text, expected):
    assert parse_username(text) == expected


@pytest.mark.parametrize(
    "text", ["", "ab", "a" * 65, "jane doe", "jané", "drop;table", "tab\there"]
)
def test_refused_with_a_message(text):
    with pytest.raises(FieldError) as caught:
        parse_username(text)
    assert caught.value.field == "username"
    assert caught.value.message


@given(st.text())
def test_result_is_always_a_valid_shape_or_an_error(text):
    try:
        username = parse_username(text)
    except FieldError:
        return
    assert 3 <= len(username) <= 64
    assert username.isascii() and not any(c.isspace() for c in username)
