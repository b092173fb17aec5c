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


async def test_disable_ends_every_sign_in_and_enable_lets_the_account_back(atrezzo_in_process, db_url, provider_and_user):
    """HIPAA termination: a disabled account signs in nowhere, and what it had open ends now."""
    user_id = await fetch_value(db_url, "SELECT id FROM users WHERE username = 'jdoe'")
    await fetch_value(
        db_url,
        "INSERT INTO sessions (id_digest, user_id, idle_expires_at, absolute_expires_at)"
        " VALUES (repeat('a', 64), $1, now() + interval '30 minutes', now() + interval '12 hours') RETURNING 1",
        user_id,
    )
    await fetch_value(
        db_url,
        "INSERT INTO remember_me_tokens (token_digest, user_id, login_option, expires_at)"
        " VALUES (repeat('b', 64), $1, 'email', now() + interval '4 hours') RETURNING 1",
        user_id,
    )
    disabled = await atrezzo_in_process("user", "disable", "JDoe")
    assert disabled.returncode == 0, disabled.stderr
    assert one_line(disabled.stdout) == "JDoe is disabled: it signs in nowhere, and its sessions and Remember Me have ended."
    assert await fetch_value(db_url, "SELECT status FROM users WHERE id = $1", user_id) == "disabled"
    assert await fetch_value(db_url, "SELECT sign_ins_revoked_at IS NOT NULL FROM users WHERE id = $1", user_id)
    assert await fetch_value(db_url, "SELECT bool_and(revoked_at IS NOT NULL) FROM sessions")
    assert await fetch_value(db_url, "SELECT bool_and(revoked_at IS NOT NULL) FROM remember_me_tokens")
    enabled = await atrezzo_in_process("user", "enable", "jdoe")
    assert (enabled.returncode, one_line(enabled.stdout)) == (0, "jdoe is enabled again.")
    assert await fetch_value(db_url, "SELECT status FROM users WHERE id = $1", user_id) == "active"
    events = await fetch_value(db_url, "SELECT string_agg(event, ',' ORDER BY id) FROM audit_events WHERE event LIKE 'user.%abled'")
    assert events == "user.disabled,user.enabled"


async def test_disable_refuses_an_unknown_user_and_an_unfinished_registration(atrezzo_in_process, db_url, provider_and_user):
    unknown = await atrezzo_in_process("user", "disable", "nobody")
    assert (unknown.returncode, one_line(unknown.stderr)) == (2, "atrezzo: No user named 'nobody'.")
    await fetch_value(db_url, "UPDATE users SET status = 'pending' WHERE username = 'jdoe' RETURNING 1")
    pending = await atrezzo_in_process("user", "disable", "jdoe")
    assert pending.returncode == 2 and "has not finished registering" in pending.stderr
    assert await fetch_value(db_url, "SELECT status FROM users WHERE username = 'jdoe'") == "pending"
