"""Login's second factor (guide Sections 3 and 4). The password was checked at the edge and
never enters history; this flow runs the code challenge for the option the person chose.

Login with Phone: the number on record (masked), Send Code (SMS, then the code) or Call Me
(press #). Login with Email: the address prefilled, Send verification code (valid 30 s by
default), the code, "E-mail address verified. You can now continue.", Continue. The flow ends
at the verification and hands its sign-in over there; Continue is the edge's (api/login_sign_in.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.email import mask_email
    from domain.phone import mask_phone
    from workflows.code_challenge import CodeChallenge
    from workflows.code_step import PhoneCodeStep
    from workflows.flow import FlowView, field_error
    from workflows.second_factor import SecondFactorStep
    from workflows.notices import Notices, NoticeTemplate
    from workflows.sign_in_hand_over import SignInHandOver
    from workflows.steps import LoginStep
    from workflows.timings import Timings
    from workflows.versions import EMAIL_LOGIN_ENDS_VERIFIED, patched

PROCESS = "login"
OPTIONS = ("phone", "email")
VERIFIED = "E-mail address verified. You can now continue."


@dataclass(frozen=True)
class LoginStart:
    account_id: str
    option: str  # "phone" | "email": the button the person clicked
    destination: str  # the number (E.164) or address on record (with the app: where notices go)
    # Email codes follow LOGIN_EMAIL_CODE_TTL (30 s); the API puts it in code_ttl_seconds.
    timings: Timings = field(default_factory=Timings)
    # The digest of the starting browser's binding: the last update hands it the sign-in.
    claim: str = ""
    # "app" or "passkey": the account's second factor, whichever button was clicked.
    second_factor: str = ""


@dataclass
class LoginView(FlowView):
    option: str = ""  # "phone" | "email": the button clicked (Remember Me is per option)
    # Done at "E-mail address verified": the person has passed both factors, and the edge
    # turns the sign-in it was handed into a session when they press Continue (guide Section 4:
    # "Login will complete" then), with no call to the engine.
    signs_in_at_continue: bool = False


@workflow.defn
class LoginWorkflow(PhoneCodeStep, SecondFactorStep, SignInHandOver, steps=LoginStep, view=LoginView):
    _view: LoginView

    @workflow.init
    def __init__(self, start: LoginStart) -> None:
        super().__init__()
        self._start = start
        self._hand_over_to(start.account_id, start.claim)
        self._notices = Notices()
        if start.second_factor:
            first = self._factor_screen()  # the app's code or the passkey: nothing is sent
        else:
            first = LoginStep.PHONE if start.option == "phone" else LoginStep.EMAIL
        self._start_flow(PROCESS, first, account_id=start.account_id)
        self._view.option = start.option
        if first == LoginStep.PHONE:
            self._view.phone = mask_phone(start.destination)
        elif first == LoginStep.EMAIL:
            self._view.email = mask_email(start.destination)
            self.challenge = CodeChallenge(start.timings.code_policy(), "email", start.destination, "login")

    @workflow.run
    async def run(self, start: LoginStart) -> str:
        return await self._handed_over_unless_idle(start.timings.idle, self._notices, done="signed_in")

    @workflow.update
    async def send_email_code(self, pressed_at: int | None = None) -> FlowView:
        """Send verification code, to the address on record."""
        self._touch()
        self._go(LoginStep.EMAIL_CODE)
        return await self.send_code(pressed_at)

    @send_email_code.validator
    def _check_email_code(self, pressed_at: int | None = None) -> None:
        if self._start.option != "email" or self._view.step not in (LoginStep.EMAIL, LoginStep.EMAIL_CODE):
            raise field_error("form", "This step is already complete.")
        self._check_send()

    def _first_phone_challenge(self, channel: str) -> CodeChallenge:
        return CodeChallenge(self._start.timings.code_policy(), channel, self._start.destination, "login")

    def _on_phone_screens(self) -> bool:
        return self._start.option == "phone" and super()._on_phone_screens()

    @workflow.update
    def continue_login(self) -> FlowView:
        """Continue, after "E-mail address verified", for a run from before
        ``EMAIL_LOGIN_ENDS_VERIFIED`` (a newer run is over by then)."""
        self._touch()
        self._finish("completed", LoginStep.DONE)
        return self._answer()

    @continue_login.validator
    def _check_continue(self) -> None:
        if self._view.step != LoginStep.VERIFIED:
            raise field_error("form", "Please verify your email address first.")

    async def _second_factor_passed(self) -> None:
        self._finish("completed", LoginStep.DONE)

    def _factor_used(self, method: str) -> None:
        # Each sign-in by the app or a passkey is told to the address on record.
        self._notices.send(self._start.account_id, NoticeTemplate.SIGNED_IN, self._start.destination, method=method)

    def _notices_to(self) -> str:
        return self._start.destination

    async def _code_verified(self) -> None:
        if self._start.option == "email" and patched(EMAIL_LOGIN_ENDS_VERIFIED):
            self._view.signs_in_at_continue = True
            self._finish("completed", LoginStep.DONE, notice=VERIFIED)
        elif self._start.option == "email":  # a run from before: Continue is its last update
            self._go(LoginStep.VERIFIED, notice=VERIFIED)
        else:
            self._finish("completed", LoginStep.DONE)
