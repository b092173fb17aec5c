"""TLS to Temporal from the settings: off for the loopback dev server, on with the system's
roots or a CA of its own, mutual with a client certificate and key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from engine.client import tls_config
from tests.support.temporal import make_settings


def test_no_tls_unless_asked_for():
    assert tls_config(make_settings()) is False


def test_tls_with_the_system_roots():
    assert tls_config(make_settings(temporal_tls=True)) == TLSConfig()


def test_mutual_tls_with_a_ca_of_its_own(tmp_path):
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_bytes(f"-- {name} --".encode())
    config = tls_config(make_settings(
        temporal_tls_ca_file=str(tmp_path / "ca.pem"),
        temporal_tls_cert_file=str(tmp_path / "client.pem"),
        temporal_tls_key_file=str(tmp_path / "client.key"),
        temporal_tls_server_name="temporal.internal",
    ))
    assert config == TLSConfig(
        server_root_ca_cert=b"-- ca.pem --", client_cert=b"-- client.pem --",
        client_private_key=b"-- client.key --", domain="temporal.internal",
    )


def test_a_client_certificate_needs_its_key():
    with pytest.raises(ValidationError, match="TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together"):
        make_settings(temporal_tls_cert_file="/etc/ssl/client.pem")


def test_smtp_tls_is_either_implicit_or_starttls():
    with pytest.raises(ValidationError, match="exclude each other"):
        make_settings(smtp_tls=True, smtp_starttls=True)
