"""One way to reach Temporal: the same data converter (with encryption) in API, worker and CLI."""

from __future__ import annotations

import dataclasses

import temporalio.converter
from temporalio.client import Client

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
    )
