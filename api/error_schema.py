"""How /openapi.json describes the app's error answers: FastAPI documents a 422 list of
validation errors on every operation with a body or parameters, but this app answers a
request that does not fit its schema with 400 {"detail": "Please check ..."} (api/app.py),
and a route that refuses a value itself with {"detail": "..."} — a screen's form errors add
"errors" by field. The document says what clients really get, so generated clients and
schemathesis hold the API to it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM = {
    "title": "Problem",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "title": "What is wrong, in words for a person"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}, "title": "What to correct, by field"},
    },
    "required": ["detail"],
}
# Every 429 comes from a throttle (api/throttling.py), which says how long to wait.
RETRY_AFTER = {
    "description": "Seconds until an attempt may go through: the wait the message gives in words",
    "schema": {"type": "integer", "minimum": 1},
}
_BAD_REQUEST = {"description": "The request does not fit this operation's schema",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}


def describe_errors(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        schemas = document.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = PROBLEM
            schemas.pop("ValidationError", None)
            for operation in _operations(document):
                responses = operation.get("responses", {})
                if "422" in responses:
                    responses.setdefault("400", _BAD_REQUEST)
                if "429" in responses:
                    responses["429"].setdefault("headers", {})["Retry-After"] = RETRY_AFTER
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in document.get("paths", {}).values() for op in path.values() if isinstance(op, dict)]
