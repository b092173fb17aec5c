"""One way to reach Temporal: the same data converter (with encryption) in API, worker and CLI."""

from __future__ import annotations

import dataclasses

import temporalio.converter
from temporalio.client import Client

from engine.codec import EncryptionCodec
from settings import Settings


def data_converter(settings: Settings) -> temporalio.converter.DataConverter:
    return dataclasses.replace(
        temporalio.converter.default(),
        payload_codec=EncryptionCodec(settings.payload_key_ring),
        # Failure messages can name an address; encrypt them like every other payload.
        failure_converter_class=temporalio.converter.DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )
