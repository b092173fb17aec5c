"""Password hashing (argon2id, OWASP parameters) and the policy a new password must meet."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from domain.errors import FieldError

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_STRENGTH = 3  # zxcvbn score 0..4; 3 is "safely unguessable" against offline attacks

# The hash of a random string nobody kept, made with the same parameters as real hashes:
# verifying against it costs what a real verify costs, so unknown usernames take as long
# as known ones and response times do not reveal which accounts exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$BdQwexeDHXoAhWwEfWWYfQ"
    "$YkYW+AIF550UBgiIMkH6Wa5fLmeF1OGM6ahmwBfvDoc"
)


@cache
def _hasher() -> PasswordHasher:
    # OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@cache
def _zxcvbn_lock() -> threading.Lock:
    # zxcvbn keeps each call's user_inputs in a module-level dictionary, so two threads
    # checking at once could judge one user's password against another user's details.
    return threading.Lock()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True only when ``password`` matches; a wrong password or a malformed hash is False."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters and should be replaced at login."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def dummy_verify() -> None:
    """Spend the time of one real verification, for a login whose account does not exist."""
    verify_password(_DUMMY_HASH, "not the password")


def opens(password_hash: str | None, secret: str) -> bool:
    """Whether ``secret`` matches the hash, taking one verification's time either way: with no
    hash (no such account) or nothing typed, a dummy one, so timing does not tell them apart.
    Call it off the event loop: it is argon2id."""
    if not password_hash or not secret:
        dummy_verify()
        return False
    return verify_password(password_hash, secret)


def check_password_policy(
    password: str, confirm: str, *, user_inputs: Sequence[str] = ()
) -> None:
    """Raise FieldError unless ``password`` is acceptable and ``confirm`` repeats it.

    ``user_inputs`` are things the user told us (username, email, names): a password built
    from them is easy to guess for anyone who knows the user.
    """
    if len(password) < MIN_LENGTH:
        raise FieldError("password", f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise FieldError("password", f"Use at most {MAX_LENGTH} characters.")
    if password != confirm:
        raise FieldError("confirm_password", "Passwords do not match.")
    if _contains_personal_detail(password, user_inputs):
        raise FieldError(
            "password", "Do not use your username, name or email address in your password."
        )
    with _zxcvbn_lock():
        result = zxcvbn(password, user_inputs=_words_of(user_inputs), max_length=MAX_LENGTH)
    if result["score"] < MIN_STRENGTH:
        feedback = result["feedback"]
        hint = feedback.get("warning") or next(iter(feedback.get("suggestions") or []), "")
        raise FieldError("password", f"This password is too easy to guess. {hint}".strip())


def _contains_personal_detail(password: str, user_inputs: Sequence[str]) -> bool:
    # zxcvbn only lowers the score for these, and a long password made of them still scores
    # well; but anyone who knows the user would try them first. Short inputs are skipped
    # because a 3-letter name turns up inside unrelated words.
    lowered = password.lower()
    details = set()
    for text in user_inputs:
        details.add(text.lower())
        details.add(text.lower().partition("@")[0])
    return any(len(detail) >= 4 and detail in lowered for detail in details)


def _words_of(user_inputs: Sequence[str]) -> list[str]:
    # zxcvbn matches whole dictionary entries, so "jane.doe@example.com" alone would not
    # catch a password made of "jane" or "doe"; give it the pieces as well.
    words: list[str] = []
    for text in user_inputs:
        if not text:
            continue
        words.append(text)
        words.extend(part for part in re.split(r"[^0-9A-Za-z]+", text) if len(part) >= 3)
    return words
