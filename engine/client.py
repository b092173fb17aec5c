"""One way to reach Temporal: the same data converter (with encryption) in API, worker and CLI."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import temporalio.converter
from temporalio.client import Client
from temporalio.service import TLSConfig

from engine.codec import EncryptionCodec
from engine.telemetry import Telemetry
from settings import Settings


def data_converter(settings: Settings) -> temporalio.converter.DataConverter:
    return dataclasses.replace(
        temporalio.converter.default(),
        payload_codec=EncryptionCodec(settings.payload_key_ring),
        # Failure messages can name an address; encrypt them like every other payload.
        failure_converter_class=temporalio.converter.DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(settings: Settings, telemetry: Telemetry | None = None) -> Client:
    """``telemetry`` (the API's, a worker's) adds the metrics runtime and the tracing interceptor;
    a worker built on this client inherits both."""
    telemetry = telemetry or Telemetry()
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        runtime=telemetry.runtime,
        interceptors=telemetry.client_interceptors(),
        tls=tls_config(settings),
    )


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS (or mutual TLS) to the Temporal frontend as the TEMPORAL_TLS_* settings ask; False
    when none is asked for (the loopback dev server)."""
    files = (settings.temporal_tls_ca_file, settings.temporal_tls_cert_file, settings.temporal_tls_key_file)
    if not (settings.temporal_tls or any(files) or settings.temporal_tls_server_name):
        return False
    ca, cert, key = (Path(name).read_bytes() if name else None for name in files)
    return TLSConfig(
        server_root_ca_cert=ca, client_cert=cert, client_private_key=key,
        domain=settings.temporal_tls_server_name or None,
    )
