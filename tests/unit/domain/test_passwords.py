import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import FieldError
from domain.passwords import (
    MAX_LENGTH,
    check_password_policy,
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)

STRONG = "quartz-lemur-violin-42"


def test_hash_is_argon2id_with_owasp_parameters_and_verifies():
    hashed = hash_password(STRONG)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert STRONG not in hashed
    assert verify_password(hashed, STRONG)
    assert not needs_rehash(hashed)


def test_same_password_hashes_differently_each_time():
    assert hash_password(STRONG) != hash_password(STRONG)


def test_wrong_password_or_broken_hash_is_false_not_an_exception():
    hashed = hash_password(STRONG)
    assert not verify_password(hashed, STRONG + "x")
    assert not verify_password("not a hash", STRONG)
    assert not verify_password("", STRONG)


def test_weaker_parameters_need_rehash():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STRONG)
    assert verify_password(weak, STRONG)
    assert needs_rehash(weak)
    assert needs_rehash("not a hash")


def test_dummy_verify_runs_without_error():
    dummy_verify()


def test_strong_password_passes():
    check_password_policy(STRONG, STRONG, user_inputs=["jdoe", "jane.doe@example.com"])


@pytest.mark.parametrize(
    "password, message",
    [("Short1!", "at least 12"), ("a" * (MAX_LENGTH + 1), f"at most {MAX_LENGTH}")],
)
def test_length_limits(password, message):
    with pytest.raises(FieldError) as caught:
        check_password_policy(password, password)
    assert caught.value.field == "password"
    assert message in caught.value.message


def test_longest_allowed_password_is_checked_not_rejected_by_the_library():
    password = "".join(f"{i:03d}quartz-lemur" for i in range(20))[:MAX_LENGTH]
    check_password_policy(password, password)


def test_confirm_must_match():
    with pytest.raises(FieldError) as caught:
        check_password_policy(STRONG, STRONG + "!")
    assert caught.value.field == "confirm_password"
    assert caught.value.message == "Passwords do not match."


def test_common_password_is_too_easy_and_says_why():
    with pytest.raises(FieldError) as caught:
        check_password_policy("password1234", "password1234")
    assert caught.value.field == "password"
    assert caught.value.message.startswith("This password is too easy to guess.")
    assert len(caught.value.message) > len("This password is too easy to guess.")


@pytest.mark.parametrize(
    "password", ["JDoe1987-quartz-lemur", "Quartz-jane.doe-lemur", "Jane.Doe.Example"]
)
def test_password_built_from_the_users_own_details_is_refused(password):
    check_password_policy(password, password)  # fine for a stranger...
    with pytest.raises(FieldError) as caught:  # ...not for Jane
        check_password_policy(
            password, password, user_inputs=["jdoe1987", "Jane", "Doe", "jane.doe@example.com"]
        )
    assert caught.value.field == "password"


def test_short_names_do_not_forbid_unrelated_words():
    password = "quartz-lemur-violin-doe42"
    check_password_policy(password, password, user_inputs=["Al", "Doe"])


@settings(max_examples=60, deadline=None)  # zxcvbn takes milliseconds per password
@given(st.text(max_size=MAX_LENGTH + 8), st.lists(st.text(max_size=40), max_size=4))
def test_any_password_and_details_are_accepted_or_refused_with_a_field_error(password, details):
    try:
        check_password_policy(password, password, user_inputs=details)
    except FieldError as refused:
        assert refused.field == "password" and refused.message
        return
    assert len(password) <= MAX_LENGTH
