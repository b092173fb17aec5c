"""docker-compose.yml, checked without a Docker engine (none runs here).

- Against the Compose specification's JSON schema, after interpolation with test values:
  tests/deploy/compose-spec.json is compose-spec/compose-spec's schema/compose-spec.json as
  vendored in the PyPI package check-jsonschema 0.39.0
  (check_jsonschema/builtin_schemas/vendor/compose-spec.json, sha256 d549057e…3ed10e64;
  licence beside it, Apache-2.0).
- With a Compose implementation when one is installed (`docker compose` or Debian's
  `docker-compose`, which `make test` installs when it can): `config -q`.
- Against the code and the README: services, health checks and start order, replicas,
  pinned images, required secrets, the settings the app needs, the search attributes, the
  codec wiring, the CLI commands and the files the services mount.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from cli.main import build_parser
from engine import search_attributes
from settings import Settings
from tests.deploy import compose_file
from tests.deploy.compose_file import REPO, MissingVariable

SCHEMA = Path(__file__).with_name("compose-spec.json")
README = REPO / "README.md"

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
NOT_SETTINGS: set[str] = set()


@pytest.fixture(scope="module")
def compose() -> dict:
    return compose_file.load(TEST_ENV)


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


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


# -- what the app needs ----------------------------------------------------------------


def _fields_that_need_a_value(monkeypatch) -> set[str]:
    """Settings whose default settings.py refuses, or whose default is this machine's
    loopback (which in a container is the container itself)."""
    for field in Settings.model_fields:
        monkeypatch.delenv(field.upper(), raising=False)
    with pytest.raises(ValidationError) as refused:
        Settings()
    needed = {str(error["loc"][0]).upper() for error in refused.value.errors()}
    for name, field in Settings.model_fields.items():
        if isinstance(field.default, str) and re.search(r"127\.0\.0\.1|localhost", field.default):
            needed.add(name.upper())
    return needed


def test_the_settings_without_a_safe_default_are_set(services, monkeypatch):
    needed = _fields_that_need_a_value(monkeypatch)
    assert {"SECRET_KEY", "PAYLOAD_KEYS", "TWILIO_AUTH_TOKEN", "DATABASE_URL", "API_HOST"} <= needed
    for name, service in app_services(services).items():
        env = compose_file.environment(service)
        missing = {key for key in needed if not env.get(key)}
        assert not missing, f"{name} does not set {sorted(missing)}"


def test_every_app_variable_is_a_setting(services):
    fields = {name.upper() for name in Settings.model_fields}
    for name, service in app_services(services).items():
        unknown = set(compose_file.environment(service)) - fields - NOT_SETTINGS
        assert not unknown, f"{name} sets {sorted(unknown)}, which settings.py does not read"


def test_the_app_environment_loads_into_settings(services, monkeypatch):
    for field in Settings.model_fields:
        monkeypatch.delenv(field.upper(), raising=False)
    for key, value in compose_file.environment(services["api"]).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.api_host == "0.0.0.0"
    assert urlsplit(settings.database_url).hostname == "app-db"
    assert settings.temporal_address.split(":")[0] == "temporal"
    assert settings.smtp_host == "mail"


def test_observability_is_wired(services):
    for name in ("api", "worker"):
        env = compose_file.environment(services[name])
        assert env["METRICS_ADDRESS"] == "0.0.0.0:9464"
        assert env["LOG_FORMAT"] == "json"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == ""  # off unless the operator sets one
    raw_env = compose_file.environment(compose_file.raw()["services"]["api"])
    assert compose_file.references(raw_env["OTEL_EXPORTER_OTLP_ENDPOINT"]) == [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", ":-", "")
    ]


# -- Temporal --------------------------------------------------------------------------


def test_the_search_attributes_created_are_the_engines(services):
    env = compose_file.environment(services["temporal-setup"])
    created = dict(pair.split("=") for pair in env["ATREZZO_SEARCH_ATTRIBUTES"].split())
    engine = {key.name: key.indexed_value_type.name.capitalize() for key in search_attributes.ALL}
    assert created == engine
    script = (REPO / "deploy/temporal/setup-namespace.sh").read_text()
    assert "$ATREZZO_SEARCH_ATTRIBUTES" in script


def test_the_namespace_created_is_the_one_the_app_uses(services):
    created = compose_file.environment(services["temporal-setup"])["TEMPORAL_NAMESPACE"]
    for name, service in app_services(services).items():
        assert compose_file.environment(service)["TEMPORAL_NAMESPACE"] == created, name
    assert compose_file.environment(services["temporal-ui"])["TEMPORAL_DEFAULT_NAMESPACE"] == created


def test_temporal_reads_the_dynamic_config_it_is_given(services):
    temporal = services["temporal"]
    path = "/etc/temporal/" + compose_file.environment(temporal)["DYNAMIC_CONFIG_FILE_PATH"]
    (mount,) = [v for v in temporal["volumes"] if ":/etc/temporal/config/dynamicconfig" in v]
    source, target = mount.split(":")[:2]
    host_file = REPO / source / Path(path).relative_to(target)
    assert isinstance(yaml.safe_load(host_file.read_text()), dict)


def test_the_temporal_ui_decodes_through_the_api_codec(services):
    ui = compose_file.environment(services["temporal-ui"])
    api = compose_file.environment(services["api"])
    assert ui["TEMPORAL_CODEC_ENDPOINT"] == api["PUBLIC_BASE_URL"].rstrip("/") + "/codec"
    # Staff sign in to the API; the UI's fetches carry that cookie (credentials included).
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
    ui_port = services["temporal-ui"]["ports"][0].rsplit(":", 1)[-1]
    origins = [o.strip() for o in api["CODEC_CORS_ORIGINS"].split(",")]
    assert any(urlsplit(o).port == int(ui_port) for o in origins)
    assert api["CODEC_TRUST_UI_ORIGIN"] == "false"


# -- the proxy and Prometheus point at what exists ------------------------------------


def test_the_proxy_sends_to_the_api_replicas(services):
    conf = (REPO / "deploy/proxy/default.conf.template").read_text()
    api_port = compose_file.environment(services["api"])["API_PORT"]
    assert re.search(rf"server\s+api:{api_port}\s+resolve;", conf)
    listen = re.search(r"listen\s+(\d+);", conf)[1]
    assert services["proxy"]["ports"][0].endswith(f":{listen}")
    public = urlsplit(compose_file.environment(services["api"])["PUBLIC_BASE_URL"])
    assert services["proxy"]["ports"][0].split(":")[-2] == str(public.port)


def test_prometheus_scrapes_every_replica_and_temporal(services):
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name in ("api", "worker"):
        metrics_port = int(compose_file.environment(services[name])["METRICS_ADDRESS"].rsplit(":", 1)[1])
        (sd,) = jobs[f"atrezzo-{name}"]["dns_sd_configs"]
        assert sd["names"] == [name] and sd["port"] == metrics_port
    temporal_port = compose_file.environment(services["temporal"])["PROMETHEUS_ENDPOINT"].rsplit(":", 1)[1]
    assert jobs["temporal"]["static_configs"][0]["targets"] == [f"temporal:{temporal_port}"]


# -- the README ------------------------------------------------------------------------


def readme_services() -> list[str]:
    """The first column of the compose table (headed `service`) in "Beyond one machine"."""
    lines = README.read_text().splitlines()
    section = lines.index("## Beyond one machine")
    start = next(i for i, line in enumerate(lines) if i > section and re.match(r"\|\s*service\s*\|", line))
    names = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        names += re.findall(r"`([a-z0-9-]+)`", line.split("|")[1])
    return names


def test_every_service_the_readme_names_exists_and_is_named(services):
    named = readme_services()
    assert named, "the README has no compose service table"
    assert set(named) <= set(services), f"not in docker-compose.yml: {set(named) - set(services)}"
    assert set(services) <= set(named), f"not in the README: {set(services) - set(named)}"


def test_the_api_believes_forwarded_headers_from_the_proxy_alone(services, compose):
    """Throttles count the client address: only the proxy's X-Forwarded-For may name it."""
    proxy_address = services["proxy"]["networks"]["edge"]["ipv4_address"]
    allowed = compose_file.environment(services["api"])["FORWARDED_ALLOW_IPS"]
    assert allowed == proxy_address
    [subnet] = compose["networks"]["edge"]["ipam"]["config"]
    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet["subnet"])
    conf = (REPO / "deploy/proxy/default.conf.template").read_text()
    assert "set_real_ip_from ${LOAD_BALANCER_CIDR};" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    # The scheme the client used reaches the API (cookies are Secure by PUBLIC_BASE_URL anyway).
    assert "proxy_set_header X-Forwarded-Proto $forwarded_proto;" in conf
    assert compose_file.environment(services["proxy"])["LOAD_BALANCER_CIDR"] == "127.0.0.1/32"
