"""Passkeys' domain (domain/passkeys.py) on answers a software passkey makes: the relying
party from PUBLIC_BASE_URL, options with user verification required, and the checks of
challenge, origin, user verification and the counter."""

from __future__ import annotations

import json

import pytest
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse

from domain import passkeys
from tests.support.soft_passkey import SoftPasskey

RP = passkeys.RelyingParty("localhost", "http://localhost:8000")
KEY = bytes(range(32))


def test_the_relying_party_is_the_portal_s_host_name_never_an_ip_address():
    assert passkeys.RelyingParty.of("https://portal.example/") == passkeys.RelyingParty("portal.example", "https://portal.example")
    assert passkeys.RelyingParty.of("http://localhost:8000") == RP
    assert passkeys.RelyingParty.of("http://127.0.0.1:8000") is None
    assert passkeys.RelyingParty.of("http://[::1]:8000") is None


def test_challenges_are_per_flow_and_ceremony():
    one = passkeys.challenge(KEY, "login-1", 0)
    assert len(one) == 32 and one == passkeys.challenge(KEY, "login-1", 0)
    assert one != passkeys.challenge(KEY, "login-1", 1) != passkeys.challenge(KEY, "login-2", 0)


def test_a_new_passkey_then_a_sign_in_with_it():
    challenge = passkeys.challenge(KEY, "enrollment-1", 0)
    options = passkeys.creation_options(RP, challenge, b"\x01" * 16, "pat@example.com", "Pat Doe", [])
    parsed = json.loads(options)
    assert parsed["authenticatorSelection"]["userVerification"] == "required"
    assert parsed["authenticatorSelection"]["residentKey"] == "required"
    device = SoftPasskey(RP.origin)
    new = passkeys.verified_new(RP, challenge, device.create(options))
    assert (new.credential_id, new.sign_count, new.transports) == (device.credential_id, 0, ("internal",))
    sign_in = passkeys.challenge(KEY, "login-1", 0)
    request = passkeys.request_options(RP, sign_in, [new.credential_id])
    answer = device.get(request)
    assert passkeys.credential_id_of(answer) == device.credential_id
    assert passkeys.verified_use(RP, sign_in, answer, new.public_key, new.sign_count) == 1


def test_an_answer_for_another_challenge_origin_or_without_verification_is_refused():
    challenge = passkeys.challenge(KEY, "enrollment-1", 0)
    options = passkeys.creation_options(RP, challenge, b"\x01" * 16, "pat", "Pat", [])
    with pytest.raises(InvalidRegistrationResponse):
        passkeys.verified_new(RP, passkeys.challenge(KEY, "enrollment-1", 1), SoftPasskey(RP.origin).create(options))
    with pytest.raises(InvalidRegistrationResponse):  # a look-alike site relayed the ceremony
        passkeys.verified_new(RP, challenge, SoftPasskey("http://localhost.evil.example").create(options))
    with pytest.raises(InvalidRegistrationResponse):
        passkeys.verified_new(RP, challenge, SoftPasskey(RP.origin, user_verified=False).create(options))
    device = SoftPasskey(RP.origin)
    new = passkeys.verified_new(RP, challenge, device.create(options))
    sign_in = passkeys.challenge(KEY, "login-1", 0)
    request = passkeys.request_options(RP, sign_in, [new.credential_id])
    answer = device.get(request)
    count = passkeys.verified_use(RP, sign_in, answer, new.public_key, 0)
    # The same answer again: its counter did not move on.
    with pytest.raises(InvalidAuthenticationResponse):
        passkeys.verified_use(RP, sign_in, answer, new.public_key, count)


def test_text_that_is_no_answer_names_no_passkey():
    for text in ("", "{}", "[]", '{"rawId": 5}', "not json"):
        assert passkeys.credential_id_of(text) is None
