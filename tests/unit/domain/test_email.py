import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.email import mask_email, normalise_email
from domain.errors import FieldError


def test_domain_is_lowercased_and_surrounding_space_dropped():
    assert normalise_email("  Jane.Doe@Example.COM ") == "Jane.Doe@example.com"


@pytest.mark.parametrize(
    "text",
    ["", "jane", "jane@", "@example.com", "jane@example", "jane doe@x.com", "jane..doe@x.com"],
)
def test_bad_addresses_say_so(text):
    with pytest.raises(FieldError) as caught:
        normalise_email(text)
    assert caught.value.field == "email"
    assert caught.value.message.startswith("Enter a valid email address.")


def test_field_name_can_be_chosen():
    with pytest.raises(FieldError) as caught:
        normalise_email("nope", field="confirm_email")
    assert caught.value.field == "confirm_email"


def test_mask_keeps_first_letter_and_domain():
    assert mask_email("jane.doe@example.com") == "j*******@example.com"


def test_mask_hides_the_length_of_the_local_part():
    assert len(mask_email("a@example.com")) == len(mask_email("abcdefghijkl@example.com"))


def test_mask_refuses_what_is_not_an_address():
    with pytest.raises(ValueError):
        mask_email("example.com")


@given(st.text())
def test_any_text_is_an_address_that_normalises_to_itself_or_a_field_error(text):
    # Bad input at scale (proving ground, scenario 7): never another exception, never a 500.
    try:
        address = normalise_email(text)
    except FieldError as refused:
        assert refused.field == "email" and refused.message
        return
    assert normalise_email(address) == address
    assert mask_email(address).endswith(address.rpartition("@")[2])

