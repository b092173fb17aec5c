"""docker-compose.yml, checked without a Docker engine (none runs here).

- Against the Compose specification's JSON schema, after interpolation with test values:
  tests/deploy/compose-spec.json is compose-spec/compose-spec's schema/compose-spec.json as
  vendored in the PyPI package check-jsonschema 0.39.0
  (check_jsonschema/builtin_schemas/vendor/compose-spec.json, sha256 d549057e…3ed10e64;
  licence beside it, Apache-2.0).
- With a Compose implementation when one is installed (`docker compose` or Debian's
  `docker-compose`, which `make test` installs when it can): `config -q`.
- Against the code: required secrets, services, health checks and start order, replicas,
  pinned images, the CLI commands and the files the services mount.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from cli.main import build_parser
from tests.deploy import compose_file
from tests.deploy.compose_file import REPO, MissingVariable

SCHEMA = Path(__file__).with_name("compose-spec.json")

# One value for every variable the file requires (valid for settings.py's checks).
TEST_ENV = {
    "SECRET_KEY": "compose-test-secret-key-0123456789abcdef",
    "PAYLOAD_KEYS": "k1:" + base64.b64encode(bytes(range(32))).decode(),
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "compose-test-auth-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
    "CODEC_TOKEN": "compose-test-codec-token",
    "APP_DB_PASSWORD": "compose-test-app-db",
    "TEMPORAL_DB_PASSWORD": "compose-test-temporal-db",
}
APP_COMMANDS = {"api", "worker", "migrate"}
ONE_SHOT_RESTARTS = re.compile(r"no|on-failure(:\d+)?")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PWD|TOKEN|KEYS?$")


def app_services(services: dict[str, dict]) -> dict[str, dict]:
    """The services that run the app's image (`atrezzo <command>`)."""
    return {name: s for name, s in services.items() if (s.get("command") or [None])[0] == "atrezzo"}


def cli_commands() -> set[str]:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    return set(commands.choices)


def is_one_shot(service: dict) -> bool:
    return bool(ONE_SHOT_RESTARTS.fullmatch(str(service.get("restart", "no"))))


# -- the file as Compose reads it ------------------------------------------------------


def test_matches_the_compose_specification(compose):
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_check_catches_a_broken_file(compose):
    # The schema is strict enough to matter: a misspelt key is an error, not ignored.
    broken = json.loads(json.dumps(compose))
    broken["services"]["api"]["depends_on"]["migrate"]["condtion"] = "service_healthy"
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert list(validator.iter_errors(broken))


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def _run_config(cli: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in TEST_ENV and not k.startswith("COMPOSE_")}
    return subprocess.run(
        [*cli, "-f", str(compose_file.COMPOSE_FILE), "config", "-q"],
        cwd=REPO, env={**clean, **env}, capture_output=True, text=True, timeout=120,
    )


def test_a_compose_implementation_accepts_it():
    cli = _compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor Debian's docker-compose is installed; the schema test still ran")
    result = _run_config(cli, TEST_ENV)
    assert result.returncode == 0, result.stderr


def test_a_compose_implementation_refuses_it_without_a_secret():
    cli = _compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor Debian's docker-compose is installed; the schema test still ran")
    result = _run_config(cli, {k: v for k, v in TEST_ENV.items() if k != "SECRET_KEY"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


# -- secrets ---------------------------------------------------------------------------


def test_every_required_variable_is_a_secret_with_no_default():
    refs = compose_file.references(compose_file.COMPOSE_FILE.read_text())
    required = {name for name, op, _ in refs if op == ":?"}
    assert required == set(TEST_ENV)
    for name, op, word in refs:
        if SECRET_NAME.search(name):
            assert op == ":?", f"${{{name}}} must be required (${{{name}:?…}}), not {op or 'optional'}"


def test_without_a_secret_the_file_does_not_load():
    for name in TEST_ENV:
        with pytest.raises(MissingVariable) as missing:
            compose_file.load({k: v for k, v in TEST_ENV.items() if k != name})
        assert missing.value.name == name
        with pytest.raises(MissingVariable):
            compose_file.load({**TEST_ENV, name: ""})


def test_no_secret_is_written_into_the_file():
    for name, service in compose_file.raw()["services"].items():
        for key, value in compose_file.environment(service).items():
            if SECRET_NAME.search(key) or "://" in value and "@" in value:
                assert any(op == ":?" for _, op, _ in compose_file.references(value)), (
                    f"{name}: {key} holds a literal secret"
                )


# -- services, health and start order -------------------------------------------------


def test_depends_on_waits_for_health_or_completion(services):
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for target, spec in depends_on.items():
            assert target in services, f"{name} depends on unknown service {target}"
            condition = spec.get("condition")
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}'s health, it has no check"
                assert not is_one_shot(services[target])
            elif condition == "service_completed_successfully":
                assert is_one_shot(services[target]), f"{target} is not a one-shot job"
            else:
                pytest.fail(f"{name} -> {target}: condition {condition!r}")


def test_every_long_running_service_has_a_health_check(services):
    for name, service in services.items():
        if not is_one_shot(service):
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
            assert not service["healthcheck"].get("disable")


def test_the_app_starts_after_migrations_and_the_temporal_setup(services):
    for name in ("api", "worker"):
        waits_for = services[name]["depends_on"]
        assert waits_for["migrate"]["condition"] == "service_completed_successfully"
        assert waits_for["temporal-setup"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["app-db"]["condition"] == "service_healthy"
    assert services["temporal"]["depends_on"]["temporal-schema"]["condition"] == "service_completed_successfully"
    assert services["temporal-setup"]["depends_on"]["temporal"]["condition"] == "service_healthy"


def test_api_and_worker_run_more_than_one_replica(services):
    for name in ("api", "worker"):
        assert services[name]["deploy"]["replicas"] > 1
        # Replicas cannot share a host port: the proxy is the one published address.
        assert not services[name].get("ports")


def test_every_image_is_pinned_to_a_version(services):
    for name, service in services.items():
        image = service.get("image", "")
        assert image, f"{name} names no image"
        last = image.split("/")[-1]
        tag = last.split(":", 1)[1] if ":" in last else ""
        assert tag and tag != "latest", f"{name}: {image} is not pinned"
        if "build" not in service:
            assert re.search(r"\d", tag), f"{name}: {image} has no version in its tag"


def test_app_services_run_real_cli_commands(services):
    apps = app_services(services)
    assert {s["command"][1] for s in apps.values()} == APP_COMMANDS
    assert all(len(s["command"]) == 2 and s["command"][1] in cli_commands() for s in apps.values())


def test_files_the_services_mount_exist(services):
    for name, service in services.items():
        mounts = {}
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
                mounts[target] = REPO / source
        for arg in service.get("command", []):
            for target, source in mounts.items():
                if isinstance(arg, str) and arg.startswith(target + "/"):
                    assert (source / arg[len(target) + 1:]).is_file(), f"{name} runs missing {arg}"


def test_the_setup_scripts_are_valid_shell():
    for script in sorted((REPO / "deploy").rglob("*.sh")):
        result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, f"{script.name}: {result.stderr}"
