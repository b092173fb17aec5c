"""Read a real workflow history the way staff would through the codec: every payload decrypted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory

from engine.codec import ENCODING, EncryptionCodec


def _payloads(message: Message) -> Iterator[Payload]:
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        if descriptor.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif isinstance(value, Message):
            items = [value]
        else:
            items = list(value)
        for item in items:
            if isinstance(item, Payload):
                yield item
            elif isinstance(item, Message):
                yield from _payloads(item)


async def decoded_text(history: WorkflowHistory, codec: EncryptionCodec) -> str:
    """The history as JSON plus every payload's decrypted bytes, as one searchable string.
    Search attributes (and the SDK's own headers) are not codec payloads: they are read as
    they are, in clear."""
    parts = [history.to_json()]
    for event in history.events:
        for payload in _payloads(event):
            if payload.metadata.get("encoding") != ENCODING:
                parts.append(payload.data.decode("utf-8", "replace"))
                continue
            [plain] = await codec.decode([payload])
            parts.append(plain.data.decode("utf-8", "replace"))
            parts.extend(v.decode("utf-8", "replace") for v in plain.metadata.values())
    return "\n".join(parts)


def update_names(history: WorkflowHistory) -> list[str]:
    """The updates a flow accepted, in order."""
    return [event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            for event in history.events if event.HasField("workflow_execution_update_accepted_event_attributes")]


async def update_inputs(client: Client, history: WorkflowHistory, name: str) -> list[list[Any]]:
    """What each accepted update called ``name`` was sent, decoded as the flow's worker reads it."""
    inputs = []
    for event in history.events:
        accepted = event.workflow_execution_update_accepted_event_attributes.accepted_request.input
        if event.HasField("workflow_execution_update_accepted_event_attributes") and accepted.name == name:
            inputs.append(list(await client.data_converter.decode(list(accepted.args.payloads))))
    return inputs
