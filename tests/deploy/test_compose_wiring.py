"""docker-compose.yml against the code and the README, checked without a Docker engine: the
settings the app needs and its observability, the search attributes and the namespace Temporal
is set up with, its dynamic config and the codec the UI decodes through, the proxy and
Prometheus pointing at what exists, and the services and forwarded headers the README names."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import ValidationError

from engine import search_attributes
from settings import Settings
from tests.deploy import compose_file
from tests.deploy.compose_file import REPO
from tests.deploy.test_compose import app_services

README = REPO / "README.md"
NOT_SETTINGS: set[str] = set()


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
