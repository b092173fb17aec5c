"""A flow's actions, declared once (api/flow_router.py): each is one handler at a form path and
its /api/v1 twin, the twin documented with the action's input model, each kind of client held
to its own CSRF defence, and a body that does not fit answered 400 without what was typed."""

from __future__ import annotations

import dataclasses
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
from pydantic import BaseModel

from api.app import create_app
from api.code_checks import ChannelBody
from api.flow_router import Action, UndeclaredAction, declared_actions
from api.routes import enrollment, login, password_reset
from tests.support.app import asgi_client
from tests.support.temporal import make_settings
from workflows import steps
from workflows.code_challenge import CodeStatus
from workflows.enrollment import MfaEnrollmentWorkflow
from workflows.flow import FlowView
from workflows.steps import DONE

PROCESSES = (enrollment.SCREENS, login.SCREENS, password_reset.SCREENS)
STEP_ENUMS = {"enrollment": steps.EnrollmentStep, "login": steps.LoginStep, "password_reset": steps.PasswordResetStep}


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


async def test_an_action_that_sends_a_code_gives_its_flow_the_moment_the_api_took_the_press():
    """The flow's update says it takes the press's stamp (``pressed_at``); the router adds it,
    last, to that action's input and to no other (workflows/code_step.py)."""
    sent: list[tuple] = []

    class Recorded:
        async def update(self, flow_id, update, *args):
            sent.append((update.__name__, *args))

    pressed = {(screens.process, action.path) for screens in PROCESSES for action in screens.actions if action.pressed}
    assert pressed == {
        ("login", "phone/send"), ("login", "email/send"), ("login", "code/send"),
        ("password_reset", "phone"), ("password_reset", "code/send"),
        ("enrollment", "code/send"), ("enrollment", "email/on-record"),
    }
    actions = {(screens.process, action.path): action for screens in PROCESSES for action in screens.actions}
    before = round(time.time() * 1000)
    await actions["login", "code/send"].run(None, Recorded(), "f", None)
    await actions["login", "phone/send"].run(None, Recorded(), "f", ChannelBody(channel="voice"))
    after = round(time.time() * 1000)
    await actions["password_reset", "continue"].run(None, Recorded(), "f", None)
    [(_, code_at), (_, channel, call_at), continued] = sent
    assert channel == "voice" and before <= code_at <= call_at <= after
    assert continued == ("continue_reset", None)


# --- the forms of the screens ------------------------------------------------------------------
class _Forms(HTMLParser):
    """Each form of a page: its action and the names its fields and buttons send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form" and named.get("method") == "post":
            self.forms.append((named.get("action") or "", set()))
        elif tag in ("input", "button", "select", "textarea") and named.get("name") and self.forms:
            self.forms[-1][1].add(named["name"] or "")


def _variants(screens, step: str) -> list:
    """The view of each screen as it shows by default, and with every optional part on."""
    plain = screens.view(process=screens.process, step=step)
    shown = {f.name: "x" for f in dataclasses.fields(plain) if f.type in ("str", str) and f.name not in ("process", "step", "status")}
    shown |= {f.name: True for f in dataclasses.fields(plain) if f.type in ("bool", bool)}
    return [plain, dataclasses.replace(plain, **shown, code=CodeStatus("sms", True, False, None, True, None, 3, 5))]


@pytest.mark.parametrize("screens", PROCESSES, ids=lambda screens: screens.process)
def test_every_form_of_a_screen_posts_a_declared_action_with_its_input_models_fields(screens):
    templates = create_app(make_settings(database_url="postgresql:///unused", temporal_address="127.0.0.1:1")).state.templates
    request = SimpleNamespace(url_for=lambda name, **params: f"/{name}/{params.get('path', '')}")
    fields = {f"{screens.prefix}/{action.path}": set(action.body.model_fields if action.body else ()) for action in screens.actions}
    steps = [step for step in STEP_ENUMS[screens.process] if step != DONE]
    posted: set[str] = set()
    for step in steps:
        for view in _variants(screens, step):
            page = templates.get_template(f"{screens.process}/{step}.html").render(view=view, csrf_token="t", request=request)
            forms = _Forms()
            forms.feed(page)
            for action, names in forms.forms:
                assert action in fields, f"{step}: a form posts to {action!r}, which {screens.process} does not declare"
                assert names - {"csrf_token"} == fields[action], f"{step}: the form of {action} sends {names}"
                posted.add(action)
    assert posted == set(fields)  # and every declared action has its form on some screen


def test_a_form_naming_an_action_its_process_does_not_declare_fails_its_page():
    action_of = declared_actions(*PROCESSES)
    view = FlowView(process="login", step="email")
    assert action_of(view, "code/verify") == "/login/code/verify"
    with pytest.raises(UndeclaredAction):
        action_of(view, "terms")  # enrollment's, not login's


def test_no_screen_of_a_declared_flow_writes_an_actions_path_by_hand():
    templates = Path(__file__).parents[2] / "api" / "templates"
    declared = {f"{screens.prefix}/{action.path}" for screens in PROCESSES for action in screens.actions}
    for page in templates.glob("*/*.html"):
        written = set(re.findall(r'action="([^"]*)"', page.read_text()))
        assert not written & declared, page
