"""settings.py's checks: the staff single sign-on's LOGIN is configured whole or not at all,
over https (http on loopback only), and its group roles are read or refused at start-up; a
flow's task timeout stays where a lost task is noticed and a slow one is not."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.support.temporal import make_settings

WHOLE = {"staff_oidc_issuer": "https://login.kepro.example", "staff_oidc_client_id": "portal",
         "staff_oidc_client_secret": "s3cr3t-from-the-provider"}


def test_without_an_issuer_there_is_no_login():
    assert make_settings().staff_sign_on is False


def test_a_whole_configuration_turns_login_on_with_its_callback():
    settings = make_settings(**WHOLE, public_base_url="https://portal.example/")
    assert settings.staff_sign_on is True
    assert settings.staff_oidc_redirect_uri == "https://portal.example/staff/callback"


@pytest.mark.parametrize("change", [
    {"staff_oidc_client_id": ""},
    {"staff_oidc_client_secret": ""},
    {"staff_oidc_client_secret": "changeme"},
    {"staff_oidc_issuer": "http://login.kepro.example"},
    {"staff_oidc_issuer": "ftp://login.kepro.example"},
    {"staff_oidc_scopes": "email profile"},
    {"staff_oidc_group_roles": "kepro-staff=owner"},
    {"staff_oidc_group_roles": "kepro-admins=provider_admin"},
    {"staff_oidc_group_roles": "=staff"},
])
def test_a_half_or_unsafe_configuration_is_refused_at_start_up(change):
    with pytest.raises(ValidationError):
        make_settings(**(WHOLE | change))


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:9400", "http://localhost:9400", "http://[::1]:9400"])
def test_http_is_allowed_on_loopback_only(issuer):
    assert make_settings(**(WHOLE | {"staff_oidc_issuer": issuer})).staff_sign_on


def test_group_roles_are_read():
    roles = "kepro-staff=staff, kepro-admins=provider_admin:1234567893"
    settings = make_settings(**(WHOLE | {"staff_oidc_group_roles": roles}))
    assert settings.staff_group_roles == [("kepro-staff", "staff", ""), ("kepro-admins", "provider_admin", "1234567893")]


@pytest.mark.parametrize(("value", "seconds"), [(None, 10), ("PT3S", 3), (60, 60)])
def test_a_flow_task_timeout_is_read(value, seconds):
    settings = make_settings() if value is None else make_settings(flow_task_timeout=value)
    assert settings.flow_task_timeout.total_seconds() == seconds


@pytest.mark.parametrize("value", ["PT0.5S", 0, "PT61S", "PT10M"])
def test_a_flow_task_timeout_out_of_range_is_refused_at_start_up(value):
    with pytest.raises(ValidationError):
        make_settings(flow_task_timeout=value)


def test_the_workflow_tasks_a_worker_holds_are_the_sdks_unless_bounded():
    assert make_settings().worker_workflow_tasks == 100
    assert make_settings(worker_workflow_tasks="10").worker_workflow_tasks == 10


@pytest.mark.parametrize("value", [0, 1, 1001])
def test_a_workflow_task_bound_out_of_range_is_refused_at_start_up(value):
    with pytest.raises(ValidationError, match="worker_workflow_tasks"):
        make_settings(worker_workflow_tasks=value)
