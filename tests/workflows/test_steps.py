"""Each process's steps are declared once (workflows/steps.py): every screen among them has its
template, every flow that hands its person over ends on the one ``done``, and each workflow
names its own steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows import steps
from workflows.admin_reset import ProviderAdminResetWorkflow
from workflows.enrollment import MfaEnrollmentWorkflow
from workflows.login import LoginWorkflow
from workflows.password_reset import PasswordResetWorkflow
from workflows.registration import ProviderRegistrationWorkflow
from workflows.registration_reset import RegistrationResetWorkflow
from workflows.staff_login import StaffLoginWorkflow

TEMPLATES = Path(__file__).parents[2] / "api" / "templates"
# The processes whose screens the API renders from templates/<process>/<step>.html.
SCREENS = {
    "registration": steps.RegistrationStep,
    "enrollment": steps.EnrollmentStep,
    "login": steps.LoginStep,
    "password_reset": steps.PasswordResetStep,
    "staff_login": steps.StaffLoginStep,
}


@pytest.mark.parametrize("process", sorted(SCREENS))
def test_every_screen_step_has_its_template(process):
    missing = [step.value for step in SCREENS[process]
               if step != steps.DONE and not (TEMPLATES / process / f"{step}.html").is_file()]
    assert missing == []


def test_a_flow_that_hands_over_ends_on_done():
    for enum in (steps.EnrollmentStep, steps.LoginStep, steps.PasswordResetStep, steps.StaffLoginStep):
        assert enum.DONE == steps.DONE


def test_each_workflow_names_its_steps():
    assert ProviderRegistrationWorkflow.STEPS is steps.RegistrationStep
    assert RegistrationResetWorkflow.STEPS is steps.ResetStep
    assert MfaEnrollmentWorkflow.STEPS is steps.EnrollmentStep
    assert LoginWorkflow.STEPS is steps.LoginStep
    assert PasswordResetWorkflow.STEPS is steps.PasswordResetStep
    assert ProviderAdminResetWorkflow.STEPS is steps.AdminResetStep
    assert StaffLoginWorkflow.STEPS is steps.StaffLoginStep
    # What an emailed link's enrollment reaches, in both flows that run one.
    for enum in (steps.RegistrationStep, steps.ResetStep):
        assert {"enrolling", "complete", "enrollment_abandoned"} <= {step.value for step in enum}
