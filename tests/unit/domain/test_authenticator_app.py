"""The authenticator app's domain (domain/authenticator_app.py): the secret sealed to its
account, the QR code's address, and the codes of the steps around now, by their digests."""

from __future__ import annotations

import pyotp
import pytest
from cryptography.exceptions import InvalidTag

from domain import authenticator_app as app
from domain.digests import code_digest

KEY = bytes(range(32))
CODE_KEY = bytes(range(32, 64))
NOW = 1_780_000_000.0  # a fixed moment: the steps around it are known


def test_a_sealed_secret_opens_only_for_its_account_and_key():
    secret = app.new_secret()
    sealed = app.seal(KEY, "account-1", secret)
    assert secret.encode() not in sealed and app.seal(KEY, "account-1", secret) != sealed  # a fresh nonce each time
    assert app.unseal(KEY, "account-1", sealed) == secret
    with pytest.raises(InvalidTag):
        app.unseal(KEY, "account-2", sealed)
    with pytest.raises(InvalidTag):
        app.unseal(bytes(32), "account-1", sealed)


def test_the_secret_has_160_bits_and_the_key_is_shown_in_groups_of_four():
    secret = app.new_secret()
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert app.grouped("ABCDEFGHIJKL") == "ABCD EFGH IJKL"


def test_the_setup_address_names_the_portal_and_the_person():
    secret = app.new_secret()
    uri = app.setup_uri(secret, "pat@example.com")
    parsed = pyotp.parse_uri(uri)
    assert (parsed.secret, parsed.name, parsed.issuer, parsed.interval, parsed.digits) == (
        secret, "pat@example.com", app.ISSUER, 30, 6
    )
    assert app.setup_qr_svg(uri).startswith("<svg")


@pytest.mark.parametrize("offset, found", [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_codes_one_step_either_side_of_now_match(offset, found):
    secret = app.new_secret()
    step = app.step_at(NOW) + offset
    code = app.code_at(secret, step)
    assert code == pyotp.TOTP(secret).at(step * 30)
    matched = app.matching_step(secret, CODE_KEY, "login-1", code_digest(CODE_KEY, "login-1", code), NOW)
    if found:
        assert matched == step
    else:  # unless, one time in a few hundred thousand, a step in the window shows the same code
        window = {app.code_at(secret, app.step_at(NOW) + near) for near in (-1, 0, 1)}
        assert matched is None or code in window


def test_a_code_digested_for_another_flow_does_not_match():
    secret = app.new_secret()
    code = app.code_at(secret, app.step_at(NOW))
    assert app.matching_step(secret, CODE_KEY, "login-1", code_digest(CODE_KEY, "login-2", code), NOW) is None
