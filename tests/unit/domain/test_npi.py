import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import FieldError
from domain.npi import is_valid_npi, npi_check_digit, parse_npi

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


def test_cms_example_is_valid():
    # The worked example in the CMS NPI check digit document.
    assert npi_check_digit("123456789") == "3"
    assert parse_npi("1234567893") == "1234567893"


def test_spaces_are_ignored():
    assert parse_npi(" 12345 67893 ") == "1234567893"


@pytest.mark.parametrize(
    "text", ["", "123456789", "12345678930", "123456789a", "1234-567893", "１２３４５６７８９３"]
)
def test_anything_but_ten_ascii_digits_is_refused(text):
    with pytest.raises(FieldError) as caught:
        parse_npi(text)
    assert caught.value.field == "npi"
    assert not is_valid_npi(text)


def test_wrong_check_digit_is_refused_with_a_message():
    with pytest.raises(FieldError) as caught:
        parse_npi("1234567890")
    assert caught.value.field == "npi"
    assert "NPI" in caught.value.message


@given(nine_digits)
def test_every_number_with_its_computed_check_digit_passes(first_nine):
    assert is_valid_npi(first_nine + npi_check_digit(first_nine))


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_changing_any_single_digit_fails(first_nine, position, delta):
    npi = first_nine + npi_check_digit(first_nine)
    changed = npi[:position] + str((int(npi[position]) + delta) % 10) + npi[position + 1 :]
    assert not is_valid_npi(changed)


@given(nine_digits)
def test_exactly_one_check_digit_fits(first_nine):
    assert sum(is_valid_npi(first_nine + d) for d in "0123456789") == 1


def test_check_digit_needs_nine_digits():
    with pytest.raises(ValueError):
        npi_check_digit("12345678")


@given(st.text())
def test_any_text_is_ten_digits_with_their_check_digit_or_a_field_error(text):
    try:
        npi = parse_npi(text)
    except FieldError as refused:
        assert refused.field == "npi" and refused.message and not is_valid_npi(text)
        return
    assert len(npi) == 10 and npi.isascii() and npi.isdigit() and npi_check_digit(npi[:9]) == npi[9]
