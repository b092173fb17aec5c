import pytest

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
