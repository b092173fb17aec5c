"""Usernames: what "Create Username" accepts. Case is kept for display but ignored for
uniqueness (the users.username column is citext)."""

from __future__ import annotations

import re

from domain.errors import FieldError

MIN_LENGTH = 3
MAX_LENGTH = 64
# Email-shaped usernames are common among legacy portal accounts, hence "@" and "+".
_USERNAME = re.compile(r"[A-Za-z0-9._@+-]+")


def parse_username(text: str) -> str:
    """The username without surrounding spaces, or FieldError saying what is allowed."""
    username = text.strip()
    if not MIN_LENGTH <= len(username) <= MAX_LENGTH:
        raise FieldError("username", f"Use {MIN_LENGTH} to {MAX_LENGTH} characters.")
    if not _USERNAME.fullmatch(username):
        raise FieldError("username", "Use only letters, digits and . _ - @ +")
    return username
