import pytest

from domain.passwords import verify_password

from .running import ADD_PROVIDER, NPI, fetch, fetch_value, one_line

BAD_NPI = "1234567890"


async def test_adds_a_provider_with_the_code_hashed(atrezzo, db_url):
    name = ("--name", "Harrisburg  Clinic")
    result = atrezzo("provider", "add", "--npi", NPI, *name, "--registration-code", "REG-CODE-0001")
    assert result.returncode == 0, result.stderr
    assert one_line(result.stdout) == f"Added provider {NPI} (Harrisburg Clinic)."
    assert result.stderr == ""

    [row] = await fetch(db_url, "SELECT * FROM providers")
    assert (row["npi"], row["name"]) == (NPI, "Harrisburg Clinic")
    assert row["registration_code_hash"].startswith("$argon2id$")
    assert verify_password(row["registration_code_hash"], "REG-CODE-0001")
    events = await fetch(db_url, "SELECT * FROM audit_events WHERE event = 'provider.added'")
    assert len(events) == 1


async def test_bad_npi_from_the_real_script(atrezzo, db_url):
    result = atrezzo(*ADD_PROVIDER[:3], BAD_NPI, *ADD_PROVIDER[4:])
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("atrezzo: npi: ")
    assert result.stdout == ""
    assert await fetch(db_url, "SELECT * FROM providers") == []


@pytest.mark.parametrize(
    "npi, name, code, expected",
    [
        (BAD_NPI, "Clinic", "REG-CODE-0001", "npi:"),
        ("12345", "Clinic", "REG-CODE-0001", "npi:"),
        (NPI, "  ", "REG-CODE-0001", "--name"),
        (NPI, "Clinic", "short", "--registration-code"),
    ],
)
async def test_bad_input_is_one_line_status_2_and_writes_nothing(
    atrezzo_in_process, db_url, npi, name, code, expected
):
    result = await atrezzo_in_process(
        "provider", "add", "--npi", npi, "--name", name, "--registration-code", code
    )
    assert result.returncode == 2
    assert expected in one_line(result.stderr)
    assert result.stdout == ""
    assert await fetch(db_url, "SELECT * FROM providers") == []
    assert await fetch(db_url, "SELECT * FROM audit_events") == []


async def test_same_npi_twice_is_a_clear_error(atrezzo_in_process, db_url):
    assert (await atrezzo_in_process(*ADD_PROVIDER)).returncode == 0
    again = await atrezzo_in_process(*ADD_PROVIDER[:-1], "REG-CODE-0002")
    assert again.returncode == 2
    assert "already exists" in one_line(again.stderr)
    code_hash = await fetch_value(db_url, "SELECT registration_code_hash FROM providers")
    assert verify_password(code_hash, "REG-CODE-0001")
