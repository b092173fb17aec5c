"""Recovery codes (domain/recovery_codes.py): ten of 80 bits, typed back however people type
them, stored as digests bound to their account."""

from __future__ import annotations

from domain import recovery_codes

KEY = bytes(range(32))


def test_ten_distinct_codes_of_sixteen_base32_characters():
    codes = recovery_codes.new_codes()
    assert len(codes) == 10 == len(set(codes))
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")  # 16 × 5 bits = 80


def test_typed_codes_are_read_as_people_type_them():
    assert recovery_codes.normalise("abcd efgh ijkl mnop") == "ABCD-EFGH-IJKL-MNOP"
    assert recovery_codes.normalise(" ABCD-EFGH-IJKL-MNOP ") == "ABCD-EFGH-IJKL-MNOP"
    # 0, 1 and 8 are not in the alphabet: read as the letters they look like.
    assert recovery_codes.normalise("0OOO-1III-8BBB-2222") == "OOOO-IIII-BBBB-2222"
    for not_a_code in ("", "ABCD-EFGH-IJKL", "ABCD-EFGH-IJKL-MNOPQ", "ABCD-EFGH-IJKL-MN9P", "123456"):
        assert recovery_codes.normalise(not_a_code) is None


def test_a_digest_is_keyed_and_bound_to_its_account():
    code = "ABCD-EFGH-IJKL-MNOP"
    digest = recovery_codes.digest(KEY, "account-1", code)
    assert len(digest) == 64 and "ABCD" not in digest.upper()
    assert digest != recovery_codes.digest(KEY, "account-2", code)
    assert digest != recovery_codes.digest(bytes(32), "account-1", code)
