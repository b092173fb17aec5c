import shlex

import pytest

from cli.main import _run

from .running import ADD_PROVIDER, one_line, run_cli, settings_env, settings_vars

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"


@pytest.mark.parametrize(
    "args, expected",
    [
        (["provider"], "required: ACTION"),
        (["provider", "add", "--npi", "1234567893"], "--name"),
        (["user", "grant-admin", "jdoe"], "--npi"),
        (["migrate", "--force"], "unrecognized arguments: --force"),
    ],
)
async def test_usage_errors_are_one_line_and_status_2(atrezzo_in_process, args, expected):
    result = await atrezzo_in_process(*args)
    assert result.returncode == 2
    assert expected in one_line(result.stderr)
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args, expected", [([], "required: COMMAND"), (["bogus"], "invalid choice")]
)
def test_usage_errors_from_the_real_script(args, expected):
    result = run_cli(settings_env(UNREACHABLE), *args)
    assert result.returncode == 2
    assert expected in one_line(result.stderr)
    assert result.stdout == ""


def test_help_lists_every_command(capsys):
    assert _run(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("migrate", "provider", "user", "dev", "api", "worker"):
        assert command in out


@pytest.mark.parametrize(
    "variable, value, expected",
    [
        ("SECRET_KEY", "short", "setting SECRET_KEY: SECRET_KEY must be set to at least 32"),
        ("PAYLOAD_KEYS", "nonsense", "setting PAYLOAD_KEYS:"),
        ("TWILIO_AUTH_TOKEN", "changeme", "setting TWILIO_AUTH_TOKEN:"),
    ],
)
async def test_bad_settings_are_one_line_and_status_2(
    atrezzo_in_process, monkeypatch, variable, value, expected
):
    monkeypatch.setenv(variable, value)
    result = await atrezzo_in_process("migrate")
    assert result.returncode == 2
    assert expected in one_line(result.stderr)


def test_missing_setting_from_the_real_script(db_url):
    env = settings_env(db_url)
    del env["SECRET_KEY"]
    result = run_cli(env, "user", "grant-staff", "jdoe")
    assert result.returncode == 2
    assert "SECRET_KEY" in one_line(result.stderr)


def test_run_in_process_reports_without_raising(monkeypatch, capsys):
    for name, value in settings_env(UNREACHABLE).items():
        monkeypatch.setenv(name, value)
    assert _run(["user", "grant-staff", "jdoe"]) == 1
    assert "cannot reach the database" in one_line(capsys.readouterr().err)


def test_with_no_settings_beside_a_dev_stack_it_reads_the_stack_s_file_and_says_so(db_url, tmp_path):
    """`make dev` writes .devdata/cli.env; another shell's `atrezzo` needs nothing more."""
    (tmp_path / "cli.env").write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in settings_vars(db_url).items()))
    env = {k: v for k, v in settings_env(db_url).items() if k not in settings_vars(db_url)}
    env["ATREZZO_DEV_DATA"] = str(tmp_path)
    result = run_cli(env, *ADD_PROVIDER)
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"atrezzo: no settings in the environment; using the dev stack's, from {tmp_path}/cli.env\n"


def test_a_setting_in_the_environment_means_the_file_is_not_read(db_url, tmp_path):
    (tmp_path / "cli.env").write_text("DATABASE_URL=postgresql://nobody@127.0.0.1:9/none\n")
    env = settings_env(db_url) | {"ATREZZO_DEV_DATA": str(tmp_path)}
    result = run_cli(env, *ADD_PROVIDER)
    assert result.returncode == 0, result.stderr
    assert "dev stack" not in result.stderr
