"""The notice templates' names: each is the string in running flows' histories and in the audit
log, so a renamed member must not change it, and each names an email that exists."""

from pathlib import Path

import pytest

from workflows.notices import NoticeTemplate

EMAIL_TEMPLATES = Path(__file__).parents[2] / "activities" / "templates" / "email"
IN_HISTORIES = [
    "email_changed", "password_changed", "mfa_registered", "recovery_code_used",
    "recovery_codes_issued", "passkey_added", "signed_in", "passkey_removed",
]


def test_the_names_are_the_strings_recorded_before():
    assert sorted(template.value for template in NoticeTemplate) == sorted(IN_HISTORIES)


@pytest.mark.parametrize("template", list(NoticeTemplate))
def test_each_names_a_text_and_an_html_email(template):
    assert (EMAIL_TEMPLATES / f"{template}.txt").is_file()
    assert (EMAIL_TEMPLATES / f"{template}.html").is_file()
