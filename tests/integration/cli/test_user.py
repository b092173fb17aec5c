import pytest

from .running import ADD_PROVIDER, NPI, fetch_value, one_line, run_cli, settings_env

GRANTS = "SELECT count(*) FROM audit_events WHERE event LIKE '%.granted'"


@pytest.fixture
async def provider_and_user(atrezzo_in_process, tmp_path):
    added = await atrezzo_in_process(*ADD_PROVIDER)
    assert added.returncode == 0, added.stderr
    csv_file = tmp_path / "users.csv"
    csv_file.write_text(
        "username,password,first_name,last_name,email,npi\n"
        f"jdoe,old-password,Jane,Doe,jane@example.com,{NPI}\n"
    )
    imported = await atrezzo_in_process("user", "import-legacy", str(csv_file))
    assert imported.returncode == 0, imported.stderr


async def test_grant_admin(atrezzo, db_url, provider_and_user):
    result = atrezzo("user", "grant-admin", "JDoe", "--npi", NPI)
    assert result.returncode == 0, result.stderr
    assert one_line(result.stdout) == f"JDoe is now an administrator of provider {NPI}."
    assert await fetch_value(db_url, "SELECT bool_and(is_admin) FROM provider_members")
    assert await fetch_value(db_url, GRANTS) == 1


async def test_grant_staff(atrezzo, db_url, provider_and_user):
    result = atrezzo("user", "grant-staff", "jdoe")
    assert result.returncode == 0, result.stderr
    assert one_line(result.stdout) == "jdoe now has staff access."
    assert await fetch_value(db_url, "SELECT is_staff FROM users WHERE username = 'jdoe'")
    assert await fetch_value(db_url, GRANTS) == 1


async def test_unknown_user_from_the_real_script(atrezzo, db_url, provider_and_user):
    result = atrezzo("user", "grant-admin", "nobody", "--npi", NPI)
    assert result.returncode == 2
    assert one_line(result.stderr) == "atrezzo: No user named 'nobody'."
    assert result.stdout == ""
    assert await fetch_value(db_url, GRANTS) == 0


@pytest.mark.parametrize(
    "args, expected",
    [
        (["grant-staff", "nobody"], "No user named 'nobody'."),
        (["grant-admin", "nobody", "--npi", NPI], "No user named 'nobody'."),
        (["grant-admin", "jdoe", "--npi", "1245319599"], "No provider with NPI 1245319599."),
        (["grant-admin", "jdoe", "--npi", "1245319598"], "npi:"),
    ],
)
async def test_unknown_user_or_provider_changes_nothing(
    atrezzo_in_process, db_url, provider_and_user, args, expected
):
    result = await atrezzo_in_process("user", *args)
    assert result.returncode == 2
    assert expected in one_line(result.stderr)
    assert not await fetch_value(db_url, "SELECT bool_or(is_admin) FROM provider_members")
    assert not await fetch_value(db_url, "SELECT bool_or(is_staff) FROM users")
    assert await fetch_value(db_url, GRANTS) == 0


async def test_commands_on_an_unmigrated_database_say_to_migrate(empty_db_url):
    result = run_cli(settings_env(empty_db_url), "user", "grant-staff", "jdoe")
    assert result.returncode == 1
    assert "atrezzo migrate" in one_line(result.stderr)
