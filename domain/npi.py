"""National Provider Identifier: 10 digits whose last one is a Luhn check digit (CMS rule).

CMS computes the Luhn digit as if the 9 digits were prefixed by "80840" (the health-industry
card issuer prefix), so a plain Luhn check over the 10 digits would accept wrong numbers.
"""

from __future__ import annotations

from domain.errors import FieldError

_ISSUER_PREFIX = "80840"
_MESSAGE = "Enter a valid 10-digit NPI."


def npi_check_digit(first_nine: str) -> str:
    """The check digit CMS would put after these 9 digits."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("an NPI check digit is computed over exactly 9 digits")
    total = 0
    # Luhn: double every second digit counting from the right of the payload, which is the
    # position the check digit will be appended after.
    for position, char in enumerate(reversed(_ISSUER_PREFIX + first_nine)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_valid_npi(text: str) -> bool:
    try:
        parse_npi(text)
    except FieldError:
        return False
    return True


def parse_npi(text: str) -> str:
    """The 10 NPI digits from what a person typed (spaces allowed), or FieldError."""
    digits = "".join(text.split())
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise FieldError("npi", _MESSAGE)
    if npi_check_digit(digits[:9]) != digits[9]:
        raise FieldError("npi", "This NPI is not valid; check the number and try again.")
    return digits
