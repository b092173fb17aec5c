"""Every workflow the worker runs."""

from __future__ import annotations

from workflows.admin_reset import ProviderAdminResetWorkflow
from workflows.enrollment import MfaEnrollmentWorkflow
from workflows.login import LoginWorkflow
from workflows.maintenance import MaintenanceWorkflow
from workflows.password_reset import PasswordResetWorkflow
from workflows.registration import ProviderRegistrationWorkflow
from workflows.registration_reset import RegistrationResetWorkflow

WORKFLOWS: list[type] = [
    ProviderRegistrationWorkflow,
    MfaEnrollmentWorkflow,
    RegistrationResetWorkflow,
    LoginWorkflow,
    PasswordResetWorkflow,
    ProviderAdminResetWorkflow,
    MaintenanceWorkflow,
]
