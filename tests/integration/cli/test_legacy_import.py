import pytest

from domain.passwords import verify_password

from .running import ADD_PROVIDER, NPI, fetch, one_line

HEADER = "username,password,first_name,last_name,email,npi\n"
JANE = f"jdoe,pw-one-1,Jane,Doe,jane@example.com,{NPI}"
USERS = (
    "SELECT u.*, m.provider_id, m.is_admin"
    " FROM users u JOIN provider_members m ON m.user_id = u.id ORDER BY username"
)


@pytest.fixture
async def provider(atrezzo_in_process):
    result = await atrezzo_in_process(*ADD_PROVIDER)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def write_csv(tmp_path):
    def write(*lines: str, header: str = HEADER) -> str:
        path = tmp_path / "legacy.csv"
        path.write_text(header + "".join(line + "\n" for line in lines), encoding="utf-8")
        return str(path)

    return write


async def test_imports_every_row_as_an_active_legacy_user(atrezzo, db_url, provider, write_csv):
    path = write_csv(
        f"jdoe,first-old-password,Jane,Doe,Jane.Doe@Example.COM,{NPI}",
        f'bsmith,"with,comma and ""quotes""",Bob,Smith,bob@example.com,{NPI}',
    )
    result = atrezzo("user", "import-legacy", path)
    assert result.returncode == 0, result.stderr
    assert one_line(result.stdout) == f"Imported 2 legacy user(s) from {path}."

    bob, jane = await fetch(db_url, USERS)
    assert jane["email"] == "Jane.Doe@example.com"
    for user in (bob, jane):
        assert (user["status"], user["is_legacy"], user["mfa_method"]) == ("active", True, None)
        assert user["is_admin"] is False
        assert user["password_hash"].startswith("$argon2id$")
    assert verify_password(jane["password_hash"], "first-old-password")
    assert verify_password(bob["password_hash"], 'with,comma and "quotes"')

    events = await fetch(db_url, "SELECT * FROM audit_events WHERE event = 'user.legacy_imported'")
    assert {e["subject_user_id"] for e in events} == {bob["id"], jane["id"]}
    stored = str([dict(r) for r in (bob, jane, *events)])
    assert "first-old-password" not in stored


async def test_a_bad_row_from_the_real_script_imports_nothing(atrezzo, db_url, provider, write_csv):
    path = write_csv(JANE, f"bsmith,pw-two-2,Bob,Smith,bob@example,{NPI}")
    result = atrezzo("user", "import-legacy", path)
    assert result.returncode == 2
    assert "line 3 (email)" in one_line(result.stderr)
    assert result.stdout == ""
    assert await fetch(db_url, USERS) == []


@pytest.mark.parametrize(
    "rows, expected",
    [
        (
            [JANE, f"bsmith,pw-two-2,Bob,Smith,not-an-email,{NPI}"],
            "line 3 (email): Enter a valid email address.",
        ),
        (["jdoe,pw-one-1,Jane,Doe,jane@example.com,1234567890"], "line 2 (npi):"),
        (
            ["jdoe,pw-one-1,Jane,Doe,jane@example.com,1245319599"],
            "line 2 (npi): no provider with NPI 1245319599",
        ),
        (
            [JANE, f"JDOE,pw-two-2,J,D,other@example.com,{NPI}"],
            "line 3 (username): JDOE is also on line 2",
        ),
        ([JANE, f"bsmith,pw-two-2,Bob,Smith,JANE@example.com,{NPI}"], "line 3 (email):"),
        ([f"jdoe,,Jane,Doe,jane@example.com,{NPI}"], "line 2 (password): the password is empty"),
        ([f"jdoe,pw-one-1,,Doe,jane@example.com,{NPI}"], "line 2 (first_name):"),
        (["jdoe,pw-one-1,Jane,Doe,jane@example.com"], "line 2: expected 6 fields, found 5"),
        ([f"j doe,pw-one-1,Jane,Doe,jane@example.com,{NPI}"], "line 2 (username):"),
        ([JANE, "", "x,pw,,,bad,123"], "line 4 (username):"),
    ],
)
async def test_one_bad_row_imports_nothing(
    atrezzo_in_process, db_url, provider, write_csv, rows, expected
):
    result = await atrezzo_in_process("user", "import-legacy", write_csv(*rows))
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert expected in line
    assert "nothing was imported" in line
    assert "pw-one-1" not in line and "pw-two-2" not in line
    assert await fetch(db_url, USERS) == []


async def test_a_row_clashing_with_the_database_imports_nothing(
    atrezzo, atrezzo_in_process, db_url, provider, write_csv
):
    first = await atrezzo_in_process("user", "import-legacy", write_csv(JANE))
    assert first.returncode == 0, first.stderr
    path = write_csv(
        f"newbie,pw-one-1,New,User,new@example.com,{NPI}",
        f"JDoe,pw-two-2,J,D,other@example.com,{NPI}",
    )
    result = atrezzo("user", "import-legacy", path)
    assert result.returncode == 2
    assert "line 3 (username): JDoe is already taken" in one_line(result.stderr)
    assert [u["username"] for u in await fetch(db_url, USERS)] == ["jdoe"]


@pytest.mark.parametrize(
    "header, expected",
    [
        ("username,password,first_name,last_name,email\n", "missing: npi"),
        ("username,password,first_name,last_name,email,npi,phone\n", "unexpected: phone"),
        ("user,password,first_name,last_name,email,npi\n", "missing: username; unexpected: user"),
        ("username,password,first_name,last_name,email,npi,npi\n", "repeated: npi"),
        ("", "is empty"),
    ],
)
async def test_wrong_columns_are_named(atrezzo_in_process, provider, write_csv, header, expected):
    result = await atrezzo_in_process("user", "import-legacy", write_csv(header=header))
    assert result.returncode == 2
    assert expected in one_line(result.stderr)


async def test_header_only_file_is_refused(atrezzo_in_process, provider, write_csv):
    result = await atrezzo_in_process("user", "import-legacy", write_csv())
    assert result.returncode == 2
    assert "no users to import" in one_line(result.stderr)


async def test_missing_or_non_utf8_file(atrezzo_in_process, tmp_path):
    missing = await atrezzo_in_process("user", "import-legacy", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2
    assert "cannot read" in one_line(missing.stderr)

    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + f"jdoe,pw,José,Doe,j@example.com,{NPI}\n").encode("latin-1"))
    result = await atrezzo_in_process("user", "import-legacy", str(latin1))
    assert result.returncode == 2
    assert "UTF-8" in one_line(result.stderr)


async def test_excel_byte_order_mark_is_accepted(atrezzo_in_process, db_url, provider, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}{JANE}\r\n".encode())
    result = await atrezzo_in_process("user", "import-legacy", str(path))
    assert result.returncode == 0, result.stderr
    assert len(await fetch(db_url, USERS)) == 1
