import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.digests import (
    CODE_KEY,
    COOKIE_KEY,
    LINK_KEY,
    SEND_KEY,
    VOICE_KEY,
    code_digest,
    code_for_send,
    derive_key,
    digests_match,
    generate_token,
    is_digest,
    normalise_code,
    token_digest,
    token_for_send,
)

SECRET = "s" * 40
codes = st.text(alphabet="0123456789", min_size=6, max_size=6)
flow_ids = st.text(min_size=1, max_size=60)


SEND = derive_key(SECRET, SEND_KEY)


def test_codes_for_sends_are_six_digits_and_vary_from_send_to_send():
    seen = {code_for_send(SEND, f"registration-1/run/{n}") for n in range(500)}
    assert all(len(code) == 6 and code.isdigit() for code in seen)
    assert len(seen) > 450
    assert any(code_for_send(SEND, f"flow/run/{n}").startswith("0") for n in range(5000))


def test_every_attempt_of_one_send_carries_the_same_code_and_token_and_nothing_else_does():
    # A send retried after a crash repeats its message; any other send (another flow, run,
    # activity or server key) carries another secret.
    assert code_for_send(SEND, "flow/run/7") == code_for_send(SEND, "flow/run/7")
    assert token_for_send(SEND, "flow/run/7") == token_for_send(SEND, "flow/run/7")
    others = ("flow/run/8", "flow/other-run/7", "other-flow/run/7")
    assert len({token_for_send(SEND, send) for send in ("flow/run/7", *others)}) == 4
    assert token_for_send(derive_key(SECRET + "x", SEND_KEY), "flow/run/7") != token_for_send(SEND, "flow/run/7")
    assert token_for_send(derive_key(SECRET, LINK_KEY), "flow/run/7") != token_for_send(SEND, "flow/run/7")


def test_tokens_for_sends_are_long_and_url_safe():
    url_safe = set(string.ascii_letters + string.digits + "-_")
    assert all(len(t) >= 43 and set(t) <= url_safe for t in (token_for_send(SEND, f"f/r/{n}") for n in range(50)))


def test_tokens_are_long_url_safe_and_unique():
    tokens = {generate_token() for _ in range(100)}
    assert len(tokens) == 100
    url_safe = set(string.ascii_letters + string.digits + "-_")
    assert all(len(t) >= 43 and set(t) <= url_safe for t in tokens)


def test_keys_differ_per_purpose_and_per_secret():
    assert len(derive_key(SECRET, "codes")) == 32
    assert derive_key(SECRET, "codes") == derive_key(SECRET, "codes")
    assert derive_key(SECRET, "codes") != derive_key(SECRET, "links")
    assert derive_key(SECRET, "codes") != derive_key(SECRET + "x", "codes")


def test_each_named_purpose_gets_its_own_key():
    purposes = [CODE_KEY, LINK_KEY, COOKIE_KEY, VOICE_KEY]
    assert len({derive_key(SECRET, purpose) for purpose in purposes}) == len(purposes)


@pytest.mark.parametrize("secret, purpose", [("", "codes"), (SECRET, "")])
def test_derive_key_refuses_empty_inputs(secret, purpose):
    with pytest.raises(ValueError):
        derive_key(secret, purpose)


@given(flow_ids, codes)
def test_code_digest_is_a_digest_and_reproducible(flow_id, code):
    key = derive_key(SECRET, "codes")
    digest = code_digest(key, flow_id, code)
    assert is_digest(digest)
    assert digests_match(digest, code_digest(key, flow_id, code))


@given(flow_ids, flow_ids, codes)
def test_code_digest_is_bound_to_its_flow(flow_a, flow_b, code):
    key = derive_key(SECRET, "codes")
    if flow_a != flow_b:
        assert code_digest(key, flow_a, code) != code_digest(key, flow_b, code)


@given(flow_ids, codes, codes)
def test_a_different_code_gives_a_different_digest(flow_id, code_a, code_b):
    key = derive_key(SECRET, "codes")
    if code_a != code_b:
        digest_a = code_digest(key, flow_id, code_a)
        assert not digests_match(digest_a, code_digest(key, flow_id, code_b))


def test_code_digest_depends_on_the_key():
    assert code_digest(derive_key(SECRET, "codes"), "f", "123456") != code_digest(
        derive_key(SECRET, "links"), "f", "123456"
    )


@pytest.mark.parametrize("code", ["12345", "1234567", "12345a", " 123456"])
def test_code_digest_takes_only_normalised_codes(code):
    with pytest.raises(ValueError):
        code_digest(derive_key(SECRET, "codes"), "flow", code)


def test_code_digest_refuses_short_keys_and_missing_flow():
    with pytest.raises(ValueError):
        code_digest(b"short", "flow", "123456")
    with pytest.raises(ValueError):
        code_digest(derive_key(SECRET, "codes"), "", "123456")


def test_token_digest():
    key = derive_key(SECRET, "links")
    token = generate_token()
    assert is_digest(token_digest(key, token))
    assert token_digest(key, token) == token_digest(key, token)
    assert token_digest(key, token) != token_digest(key, token + "x")
    with pytest.raises(ValueError):
        token_digest(key, "")


def test_digests_match_handles_any_text():
    assert digests_match("ab", "ab")
    assert not digests_match("ab", "abc")
    assert not digests_match("é", "e")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a" * 64, True),
        ("A" * 64, False),
        ("a" * 63, False),
        ("g" * 64, False),
        ("a" * 64 + "\n", False),
    ],
)
def test_is_digest(text, expected):
    assert is_digest(text) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("012345", "012345"),
        ("12345", None),
        ("1234567", None),
        ("12345a", None),
        ("١٢٣٤٥٦", None),  # Arabic-Indic digits pass str.isdigit(), not our rule
        ("", None),
    ],
)
def test_normalise_code(text, expected):
    assert normalise_code(text) == expected


@given(st.text(max_size=12))
def test_normalise_code_returns_six_ascii_digits_or_none(text):
    result = normalise_code(text)
    assert result is None or (len(result) == 6 and result.isascii() and result.isdigit())
