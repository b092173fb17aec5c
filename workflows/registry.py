"""Every workflow the worker runs, and the view each process answers."""

from __future__ import annotations

from workflows.admin_reset import ProviderAdminResetWorkflow, admin_reset_id
from workflows.emailed_link import LinkView
from workflows.enrollment import MfaEnrollmentWorkflow
from workflows.flow import FlowView
from workflows.login import LoginWorkflow
from workflows.maintenance import MaintenanceWorkflow
from workflows.passkey_login import PasskeyLoginWorkflow
from workflows.password_reset import PasswordResetWorkflow
from workflows.registration import ProviderRegistrationWorkflow
from workflows.registration_reset import REASONS, RegistrationResetWorkflow
from workflows.security_notice import SecurityNoticeWorkflow
from workflows.staff_login import StaffLoginWorkflow

WORKFLOWS: list[type] = [
    ProviderRegistrationWorkflow,
    MfaEnrollmentWorkflow,
    RegistrationResetWorkflow,
    LoginWorkflow,
    PasswordResetWorkflow,
    ProviderAdminResetWorkflow,
    StaffLoginWorkflow,
    PasskeyLoginWorkflow,
    SecurityNoticeWorkflow,
    MaintenanceWorkflow,
]

# A flow's view type, by how its id begins (``Flows.new_id``, ``admin_reset_id``, ``enroll``).
_VIEWS: list[tuple[str, type[FlowView]]] = [
    (admin_reset_id(""), ProviderAdminResetWorkflow.VIEW),
    ("registration-", ProviderRegistrationWorkflow.VIEW),
    ("enrollment-", MfaEnrollmentWorkflow.VIEW),
    ("login-", LoginWorkflow.VIEW),
    *((f"{process}-", LinkView) for process, _, _ in REASONS.values()),
]


def view_type(flow_id: str) -> type[FlowView]:
    """What the flow ``flow_id`` answers its ``view`` query and updates with."""
    return next((view for prefix, view in _VIEWS if flow_id.startswith(prefix)), FlowView)
