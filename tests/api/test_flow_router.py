"""A flow's actions, declared once (api/flow_router.py): each is one handler at a form path and
its /api/v1 twin, the twin documented with the action's input model, each kind of client held
to its own CSRF defence, and a body that does not fit answered 400 without what was typed."""

from __future__ import annotations

import jsonschema
import pytest
from pydantic import BaseModel

from api.app import create_app
from api.flow_router import Action
from api.routes import enrollment, login, password_reset
from tests.support.app import asgi_client
from tests.support.temporal import make_settings
from workflows.enrollment import MfaEnrollmentWorkflow

PROCESSES = (enrollment.SCREENS, login.SCREENS, password_reset.SCREENS)


@pytest.fixture
async def app(temporal_env, db_url):
    target = temporal_env.client.service_client.config.target_host
    app = create_app(make_settings(database_url=db_url, temporal_address=target))
    async with app.router.lifespan_context(app):
        yield app


async def test_every_action_is_a_form_route_and_a_twin_documented_with_its_input_model(app):
    document = app.openapi()
    posts = {route.path for process in (enrollment, login, password_reset) for route in process.router.routes
             if "POST" in route.methods}
    for screens in PROCESSES:
        screen = screens.screen or screens.prefix
        assert "get" in document["paths"][f"/api/v1{screen}"]
        for action in screens.actions:
            form, twin = f"{screens.prefix}/{action.path}", f"/api/v1{screens.prefix}/{action.path}"
            assert form in posts and twin in posts
            operation = document["paths"][twin]["post"]
            assert operation["summary"] == action.summary
            if action.body is None:
                assert "requestBody" not in operation and "400" not in operation["responses"]
            else:
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                assert schema == action.body.model_json_schema()
            assert {"200", "404", "409", "415"} <= set(operation["responses"])
            assert _answer_schema(operation) == screens.view.__name__


async def test_each_process_documents_its_own_typed_view(app):
    schemas = app.openapi()["components"]["schemas"]
    assert schemas["LoginView"]["properties"]["option"]["type"] == "string"
    assert schemas["EnrollmentView"]["properties"]["can_use_email"]["type"] == "boolean"
    assert "can_use_email" not in schemas["LoginView"]["properties"]


def _answer_schema(operation: dict) -> str:
    return operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


async def test_a_twin_body_off_its_schema_is_a_documented_400_that_does_not_repeat_the_password(app):
    operation = app.openapi()["paths"]["/api/v1/mfa/password"]["post"]
    async with asgi_client(app) as http:
        answer = await http.post("/api/v1/mfa/password", json={"password": "Hunter-2-Horse-Staple", "confirm_password": 7})
        not_json = await http.post("/api/v1/mfa/password", content=b"{password", headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert "confirm_password" in answer.json()["detail"]
    assert "Hunter-2-Horse-Staple" not in answer.text
    jsonschema.validate(answer.json(), operation["responses"]["400"]["content"]["application/json"]["schema"])
    assert not_json.status_code == 400 and "Please check" in not_json.json()["detail"]


async def test_each_kind_of_client_is_held_to_its_own_csrf_defence(app):
    async with asgi_client(app) as http:
        # A cross-site page can post a form, but not JSON: the twin takes JSON only.
        form_to_twin = await http.post("/api/v1/mfa/code/verify", data={"code": "123456"})
        # A form without the token this browser was given.
        no_token = await http.post("/mfa/code/verify", data={"code": "123456"})
        # JSON at the form's path is no form: no token either.
        json_to_form = await http.post("/mfa/code/send", json={})
    assert form_to_twin.status_code == 415
    assert no_token.status_code == 403 and "reload the page" in no_token.text
    assert json_to_form.status_code == 403


async def test_a_twin_with_nothing_bound_to_the_client_is_404_after_its_input_is_read(app):
    async with asgi_client(app) as http:
        answer = await http.post("/api/v1/login/code/verify", json={"code": "123456"})
        screen = await http.get("/api/v1/password/reset/code")
    assert answer.status_code == 404
    # A reset answers its own expired screen rather than a bare 404 body.
    assert screen.status_code == 404 and screen.json()["step"] == "expired"


def test_an_action_sends_an_update_or_has_an_edge_step_and_an_update_takes_one_value():
    class Two(BaseModel):
        one: str
        two: str

    async def edge(request, flows, flow_id, typed):  # pragma: no cover - never called
        raise AssertionError

    with pytest.raises(TypeError, match="either"):
        Action("both", "Both", MfaEnrollmentWorkflow.change_email, edge=edge)
    with pytest.raises(TypeError, match="either"):
        Action("neither", "Neither")
    with pytest.raises(TypeError, match="one typed value"):
        Action("two", "Two", MfaEnrollmentWorkflow.submit_phone, Two)
    assert Action("two", "Two", body=Two, edge=edge).edge is edge
