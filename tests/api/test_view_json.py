"""The JSON API's form of a flow's view: every field of the view's own class, nested ones
included, as plain JSON values a program reads back to the same view."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from api.view_json import view_json
from workflows.code_challenge import CodeStatus
from workflows.flow import FlowView
from workflows.registry import view_type

FLOW_IDS = ["registration-1", "enrollment-1", "login-1", "registration_reset-1", "admin-reset-1", "password_reset-1"]


@pytest.mark.parametrize("flow_id", FLOW_IDS)
def test_every_field_of_the_flows_view_class_reads_back_as_it_was(flow_id):
    view_class = view_type(flow_id)
    sent_at = datetime(2026, 12, 7, 19, 30, 15, 250000, tzinfo=UTC)
    code = CodeStatus("email", True, False, sent_at + timedelta(seconds=30), False, sent_at + timedelta(seconds=30), 9, 5)
    view = view_class(process="p", step="email_code", errors={"code": "Wrong code."}, code=code)

    shown = json.loads(json.dumps(view_json(view)))  # plain JSON values, nothing else

    assert set(shown) == {f.name for f in dataclasses.fields(view_class)}
    assert shown["errors"] == {"code": "Wrong code."} and shown["step"] == "email_code"
    assert datetime.fromisoformat(shown["code"]["expires_at"]) == code.expires_at
    assert {**shown["code"], "expires_at": None, "resend_available_at": None} == {
        **dataclasses.asdict(code), "expires_at": None, "resend_available_at": None}


def test_a_view_without_a_code_says_null():
    assert view_json(FlowView(process="p", step="s"))["code"] is None
