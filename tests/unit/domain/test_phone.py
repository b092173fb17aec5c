import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import FieldError
from domain.phone import mask_phone, parse_us_direct_line, parse_us_fax


@pytest.mark.parametrize(
    "text",
    [
        "2125559885",
        "(212) 555-9885",
        "212.555.9885",
        "212-555-9885",
        "+1 212 555 9885",
        "1-212-555-9885",
        " 212 555 9885 ",
    ],
)
def test_common_us_formats_become_e164(text):
    assert parse_us_direct_line(text) == "+12125559885"


@pytest.mark.parametrize(
    "text",
    [
        "212-555-9885 x123",
        "212-555-9885 ext. 5",
        "tel:+1-212-555-9885;ext=5",
        "212-555-9885#12",
        "212-555-9885,,12",
    ],
)
def test_extensions_are_refused(text):
    with pytest.raises(FieldError) as caught:
        parse_us_direct_line(text)
    assert caught.value.field == "phone_number"
    assert "extensions are not supported" in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "555-9885",
        "212555988",
        "21255598851",
        "+44 20 7946 0958",  # not US
        "613-555-0123",  # Canada shares +1 but is not a US line
        "800-555-0199",  # toll-free is not a direct line
        "900-555-0123",  # premium rate
        "1-800-FLOWERS",
        "123-456-7890",  # no such area code
    ],
)
def test_non_us_or_non_direct_numbers_are_refused(text):
    with pytest.raises(FieldError):
        parse_us_direct_line(text)


def test_field_name_can_be_chosen():
    with pytest.raises(FieldError) as caught:
        parse_us_direct_line("nope", field="phone")
    assert caught.value.field == "phone"


def test_fax_accepts_toll_free_but_not_extensions():
    assert parse_us_fax("(800) 555-0199") == "+18005550199"
    with pytest.raises(FieldError) as caught:
        parse_us_fax("212-555-9885 x1")
    assert caught.value.field == "fax"


def test_mask_shows_only_the_last_four_digits():
    assert mask_phone("+12125559885") == "XXX-XXX-9885"


@given(st.text(alphabet="0123456789", min_size=4, max_size=4))
def test_mask_never_shows_more_than_the_last_four(last_four):
    masked = mask_phone("+1212555" + last_four)
    assert masked == "XXX-XXX-" + last_four


def test_mask_refuses_what_is_not_us_e164():
    with pytest.raises(ValueError):
        mask_phone("2125559885")


@pytest.mark.parametrize("text", ["123-456-7890", "(199) 555-0143", "212-055-9885", "613-555-0123"])
def test_ten_digits_no_us_line_has_are_called_not_a_valid_us_number(text):
    """"Enter a 10-digit direct line" would not say what is wrong with ten digits."""
    with pytest.raises(FieldError) as caught:
        parse_us_direct_line(text)
    assert caught.value.message == "This is not a valid US phone number. Please check the area code and the number."


@pytest.mark.parametrize("text", ["800-555-0199", "212-555-9885 x12", "555-9885", "21255598851"])
def test_other_refusals_keep_the_guide_s_words(text):
    with pytest.raises(FieldError) as caught:
        parse_us_direct_line(text)
    assert caught.value.message == "Enter a 10-digit direct line; extensions are not supported."


@given(st.text())
def test_any_text_is_a_us_number_in_e164_or_a_field_error(text):
    for parse, field in ((parse_us_direct_line, "phone_number"), (parse_us_fax, "fax")):
        try:
            e164 = parse(text)
        except FieldError as refused:
            assert refused.field == field and refused.message
            continue
        assert e164.startswith("+1") and len(e164) == 12 and e164[1:].isdigit()
        assert mask_phone(e164) == f"XXX-XXX-{e164[-4:]}"
