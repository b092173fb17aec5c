"""/openapi.json describes the error answers the app really gives (schemathesis holds it to that)."""

from __future__ import annotations

import jsonschema

from api.app import create_app
from tests.support.app import asgi_client
from tests.support.temporal import make_settings


async def test_a_request_off_schema_gets_the_documented_400_and_refusals_the_documented_422(temporal_env, db_url):
    app = create_app(make_settings(database_url=db_url, temporal_address=temporal_env.client.service_client.config.target_host))
    document = app.openapi()
    problem = document["components"]["schemas"]["HTTPValidationError"]
    operation = document["paths"]["/api/v1/registration/reset"]["post"]
    assert {"400", "422"} <= set(operation["responses"])
    async with app.router.lifespan_context(app), asgi_client(app) as http:
        # Not even the fields the schema asks for: FastAPI's validation, answered as 400.
        off_schema = await http.post("/api/v1/registration/reset", json={"user": 1})
        refused = await http.post("/api/v1/registration/reset", json={"username": ""})
    assert refused.status_code == 422
    jsonschema.validate(refused.json(), operation["responses"]["422"]["content"]["application/json"]["schema"]
                        | {"components": document["components"]})
    assert off_schema.status_code == 400
    jsonschema.validate(off_schema.json(), problem)
    assert "Please check" in off_schema.json()["detail"]


def test_every_documented_429_documents_its_retry_after_header():
    document = create_app(make_settings()).openapi()
    too_many = [
        (path, method, operation["responses"]["429"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "429" in operation.get("responses", {})
    ]
    assert len(too_many) >= 5  # login, first login, registration, passkey login, recovery codes, ...
    for path, method, answer in too_many:
        assert answer["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}, (method, path)
