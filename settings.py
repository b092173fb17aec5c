"""The one settings object: every knob comes from the environment (DESIGN.md §6).

Defaults are the user guide's numbers; a value set in the environment always wins.
Nothing is read at import time: call ``load_settings()`` where a process starts.
"""

from __future__ import annotations

import base64
import ipaddress
from datetime import timedelta
from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that must never reach a real deployment; the dev stack generates its own.
_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "dev", "test"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    database_url: str = "postgresql://postgres@127.0.0.1:5432/atrezzo"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "atrezzo"
    # TLS to the Temporal frontend: on with the system's roots, or with a CA of its own; a
    # client certificate and key for mutual TLS; the name the server's certificate must carry
    # when it is not the address's host. (PostgreSQL takes TLS in DATABASE_URL itself:
    # ?sslmode=verify-full&sslrootcert=/path/ca.pem, and sslcert / sslkey for client certs.)
    temporal_tls: bool = False
    temporal_tls_ca_file: str = ""
    temporal_tls_cert_file: str = ""
    temporal_tls_key_file: str = ""
    temporal_tls_server_name: str = ""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # Implicit TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS, and a CA
    # bundle of its own for the mail server's certificate (certificates are always verified).
    smtp_tls: bool = False
    smtp_tls_ca_file: str = ""
    mail_from: str = "Atrezzo Provider Portal <no-reply@atrezzo.local>"

    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: str = Field(default="", repr=False)
    twilio_from_number: str = "+15005550006"
    twilio_api_base_url: str | None = None

    public_base_url: str = "http://127.0.0.1:8000"
    # The portal owner's own email domains (comma-separated): its staff sign in with the Kepro
    # box's LOGIN, not with the Customer/Provider login (guide, "Customer or Provider Login").
    staff_email_domains: str = "kepro.com"
    # The Kepro box's LOGIN: staff single sign-on by OpenID Connect (README "Staff single
    # sign-on"). The issuer's discovery document names every endpoint; "" turns LOGIN off.
    staff_oidc_issuer: str = ""
    staff_oidc_client_id: str = ""
    staff_oidc_client_secret: str = Field(default="", repr=False)
    staff_oidc_scopes: str = "openid email profile"
    # Optional: IdP groups that decide portal roles at each sign-in, "group=staff,group2=provider_admin:NPI".
    staff_oidc_group_roles: str = ""
    staff_oidc_groups_claim: str = "groups"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # The proxies whose X-Forwarded-For / X-Forwarded-Proto are believed, as addresses or
    # networks ("10.0.0.2,172.30.0.0/24"). Throttles and the audit trail count the address
    # these name, so anyone else's header is ignored.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    secret_key: str = Field(default="", repr=False)
    # "kid:base64key,kid2:base64key": the first key encrypts, all of them decrypt.
    payload_keys: str = Field(default="", repr=False)
    # Bearer token the Temporal UI (or staff tooling) presents to the codec endpoint.
    codec_token: str = Field(default="", repr=False)
    # Origins allowed to call the codec endpoint from a browser (the Temporal UI).
    codec_cors_origins: str = "http://127.0.0.1:8233,http://localhost:8233"
    # Only `make dev` sets this: the local Temporal UI cannot present a token, so on a
    # loopback-only stack a request from one of the origins above is let through.
    codec_trust_ui_origin: bool = False

    # Observability (README "Observability"). Logs are always on; metrics and traces are off
    # until an address is given. "host:port" where this process serves Prometheus /metrics
    # (Temporal SDK metrics and atrezzo_* app metrics); the API and a worker each need their own.
    metrics_address: str = ""
    # Base URL of an OTLP/HTTP collector (".../v1/traces" is added); "" keeps tracing off.
    otel_exporter_otlp_endpoint: str = ""
    # The service name on exported spans; "" = "atrezzo-api" or "atrezzo-worker" by process.
    otel_service_name: str = ""
    log_format: Literal["json", "text"] = "json"
    log_level: str = "INFO"

    # Durations, guide values as defaults.
    registration_link_ttl: timedelta = timedelta(minutes=20)
    # A new account whose email was never verified holds its username and address this long,
    # then is released (anyone can type anyone's address into a registration).
    pending_account_ttl: timedelta = timedelta(days=1)
    # The provider administrator's reset: how long its emailed link (and the flow that follows
    # the user to re-registration) lasts.
    admin_reset_link_ttl: timedelta = timedelta(days=7)
    login_email_code_ttl: timedelta = timedelta(seconds=30)
    enrollment_code_ttl: timedelta = timedelta(minutes=10)
    enrollment_idle_timeout: timedelta = timedelta(hours=1)
    login_idle_timeout: timedelta = timedelta(minutes=15)
    remember_me_ttl: timedelta = timedelta(hours=4)
    code_resend_cooldown: timedelta = timedelta(seconds=20)
    code_max_sends: int = 10
    code_max_wrong_tries: int = 5
    session_idle_timeout: timedelta = timedelta(minutes=30)
    session_absolute_timeout: timedelta = timedelta(hours=12)
    # From LOGIN to the identity provider's answer: a staff sign-in left at its page ends then.
    staff_login_timeout: timedelta = timedelta(minutes=10)
    # How long a worker may hold a flow's workflow task before Temporal gives it to another: a
    # task lost with its worker costs a person this long. Temporal's 10 s, because a live worker
    # is slower than it looks: it takes up to WORKER_WORKFLOW_TASKS (100) and works on them all
    # on one core, so a burst (a restart into load, a stalled send in a local activity) keeps
    # some past 3 s, and a task given away while its worker lives is done twice (proving ground,
    # scenario 1).
    flow_task_timeout: timedelta = Field(default=timedelta(seconds=10), ge=timedelta(seconds=1), le=timedelta(seconds=60))
    # Workflow tasks one worker holds at once (the SDK's 100); more wait at Temporal, where their
    # FLOW_TASK_TIMEOUT does not run yet. A bound keeps a burst's tasks short and dodges the dev
    # server's lost deliveries, but a stalled provider's sends then fill it and every other
    # press waits (bench/JOURNAL.md, "A bound on the workflow tasks a worker holds"). At least
    # 2: the SDK refuses fewer to a worker that keeps flows in its sticky cache.
    worker_workflow_tasks: int = Field(default=100, ge=2, le=1000)
    # argon2id computations one API process runs at once (19 MiB and a core each); more wait in
    # line. One suits a replica per core, as the compose file runs them; raise it where there
    # are fewer replicas than cores.
    password_hashes_at_once: int = 1

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_real(cls, value: str) -> str:
        if value.strip().lower() in _PLACEHOLDERS or len(value) < 32:
            raise ValueError("SECRET_KEY must be set to at least 32 random characters")
        return value

    @field_validator("payload_keys")
    @classmethod
    def _payload_keys_parse(cls, value: str) -> str:
        _parse_payload_keys(value)
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level_exists(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("LOG_LEVEL is one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value.upper()

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _trusted_proxies_are_addresses(cls, value: str) -> str:
        _parse_networks(value)
        return value

    @field_validator("twilio_auth_token")
    @classmethod
    def _auth_token_is_real(cls, value: str) -> str:
        if value.strip().lower() in _PLACEHOLDERS:
            raise ValueError("TWILIO_AUTH_TOKEN must be set")
        return value

    @model_validator(mode="after")
    def _codes_fit_their_expiry(self) -> "Settings":
        if self.code_max_sends < 1 or self.code_max_wrong_tries < 1:
            raise ValueError("CODE_MAX_SENDS and CODE_MAX_WRONG_TRIES must be at least 1")
        if self.password_hashes_at_once < 1:
            raise ValueError("PASSWORD_HASHES_AT_ONCE must be at least 1")
        return self

    @model_validator(mode="after")
    def _tls_settings_agree(self) -> "Settings":
        if bool(self.temporal_tls_cert_file) != bool(self.temporal_tls_key_file):
            raise ValueError("TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together (mutual TLS)")
        if self.smtp_tls and self.smtp_starttls:
            raise ValueError("SMTP_TLS (TLS from the start) and SMTP_STARTTLS (upgrade) exclude each other")
        return self

    @model_validator(mode="after")
    def _staff_sign_on_is_whole(self) -> "Settings":
        if not self.staff_oidc_issuer:
            return self
        if not self.staff_oidc_client_id or self.staff_oidc_client_secret.strip().lower() in _PLACEHOLDERS:
            raise ValueError("STAFF_OIDC_ISSUER needs STAFF_OIDC_CLIENT_ID and STAFF_OIDC_CLIENT_SECRET")
        if not _is_https_or_loopback(self.staff_oidc_issuer):
            raise ValueError("STAFF_OIDC_ISSUER must be an https URL (http only on loopback)")
        if "openid" not in self.staff_oidc_scopes.split():
            raise ValueError("STAFF_OIDC_SCOPES must include openid")
        _parse_group_roles(self.staff_oidc_group_roles)
        return self

    @property
    def staff_sign_on(self) -> bool:
        """The Kepro box's LOGIN is configured."""
        return bool(self.staff_oidc_issuer)

    @property
    def staff_oidc_redirect_uri(self) -> str:
        return f"{self.public_base_url.rstrip('/')}/staff/callback"

    @property
    def staff_group_roles(self) -> list[tuple[str, str, str]]:
        """(group, role, NPI): role "staff", or "provider_admin" of the provider with that NPI."""
        return _parse_group_roles(self.staff_oidc_group_roles)

    @cached_property
    def payload_key_ring(self) -> list[tuple[str, bytes]]:
        return _parse_payload_keys(self.payload_keys)

    @property
    def trusted_proxies(self) -> list[str]:
        return [str(network) for network in _parse_networks(self.forwarded_allow_ips)]

    @property
    def staff_domains(self) -> frozenset[str]:
        return frozenset(d.strip().lower().lstrip("@") for d in self.staff_email_domains.split(",") if d.strip())

    @property
    def codec_origins(self) -> list[str]:
        return [o.strip() for o in self.codec_cors_origins.split(",") if o.strip()]


def _is_https_or_loopback(url: str) -> bool:
    parsed = urlsplit(url)
    if parsed.scheme == "https" and parsed.hostname:
        return True
    if parsed.scheme != "http" or not parsed.hostname:
        return False
    if parsed.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parsed.hostname).is_loopback
    except ValueError:
        return False


def _parse_group_roles(value: str) -> list[tuple[str, str, str]]:
    mapped: list[tuple[str, str, str]] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        group, sep, role = item.rpartition("=")
        role, _, npi = role.partition(":")
        if not sep or not group or role not in ("staff", "provider_admin") or (role == "provider_admin") != bool(npi):
            raise ValueError(
                f"STAFF_OIDC_GROUP_ROLES entries look like 'group=staff' or 'group=provider_admin:NPI', not {item!r}"
            )
        mapped.append((group, role, npi))
    return mapped


def _parse_networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"FORWARDED_ALLOW_IPS lists proxy addresses or networks (10.0.0.2, 172.30.0.0/24), not {item!r}"
            ) from None
    return networks


def _parse_payload_keys(value: str) -> list[tuple[str, bytes]]:
    ring: list[tuple[str, bytes]] = []
    for item in value.split(","):
        if not item.strip():
            continue
        kid, sep, encoded = item.strip().partition(":")
        if not sep or not kid:
            raise ValueError("PAYLOAD_KEYS entries look like 'kid:base64key'")
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise ValueError(f"PAYLOAD_KEYS key {kid!r} is not base64") from exc
        if len(key) not in (16, 24, 32):
            raise ValueError(f"PAYLOAD_KEYS key {kid!r} must be 16, 24 or 32 bytes")
        ring.append((kid, key))
    if not ring:
        raise ValueError("PAYLOAD_KEYS must hold at least one 'kid:base64key'")
    return ring


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
