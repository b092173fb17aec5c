"""Fake activities registered under the real activity names (the temporalio samples style):
the senders 'send' known codes and link tokens (the accounts: tests/workflows/fake_accounts.py).
Both record every call so a test can assert what a flow asked for."""

from __future__ import annotations

import asyncio
import secrets

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import (
    INVALID_DESTINATION,
    SPOKEN_CODE,
    CodeDelivery,
    LinkDelivery,
    NewAccount,
    Notice,
    Sent,
    UserInformation,
)
from domain import digests
from workflows.code_step import Keypress

CODE = "246810"
VOICE_TOKEN = "voice-token-for-tests"
LINK_TOKEN = "link-token-for-tests"
# The provider and the person the flows under test register.
PROVIDER_ID = 7
PROVIDER_NPI = "1234567893"
# What the edge sends on "Enter User Information", and the account the flow makes of it.
PERSON = UserInformation(
    username="pat.doe",
    first_name="Pat",
    last_name="Doe",
    email="pat.doe@example.com",
    fax="+12025550188",
    city="Springfield",
)
NEW_ACCOUNT = NewAccount.joining(PROVIDER_ID, PERSON)
# Shaped like what the edge sends; made up, it hashes nothing.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$ZmFrZXNhbHQ$ZmFrZWhhc2hmYWtlaGFzaA"


class FakeSenders:
    """Codes, calls and links: each delivery is recorded and answered with the digest of a known
    secret; ``hold_sending`` (when set to an unset Event) keeps code and call deliveries in flight."""

    def __init__(self, secret_key: str) -> None:
        self.code_key = digests.derive_key(secret_key, digests.CODE_KEY)
        self.voice_key = digests.derive_key(secret_key, digests.VOICE_KEY)
        self.link_key = digests.derive_key(secret_key, digests.LINK_KEY)
        self.sent: list[CodeDelivery] = []
        # Decoy sends (an address with no account): nothing is delivered.
        self.imitations = 0
        self.links: list[LinkDelivery] = []
        self.hold_sending: asyncio.Event | None = None
        # The provider is down: code and link deliveries fail (and are retried) while this is set.
        self.provider_down = False
        self.refused = 0
        # The provider refuses the address itself (no retry can help).
        self.address_refused = False
        # Attempts whose worker dies after handing the message over: they never report back.
        self.lost_attempts = 0
        # Calls that ask for "#" instead of speaking CODE, as workers placed them before.
        self.press_pound_calls = False
        self.sending = asyncio.Event()
        self.hold_link: asyncio.Event | None = None
        self.link_out = asyncio.Event()
        self.notices: list[Notice] = []
        # Tokens the next link emails carry, one each (then LINK_TOKEN): for flows whose second
        # link must not open what the first one did.
        self.next_link_tokens: list[str] = []

    def sends(self) -> list[str]:
        """The destination of each send delivered, once however many of its attempts delivered
        (a local attempt that ran out of time, then the activity: the same code both times)."""
        attempts = {delivery.send_id or id(delivery): delivery for delivery in self.sent}
        return [delivery.destination for delivery in attempts.values()]

    def code_digest(self, flow_id: str, code: str = CODE) -> str:
        return digests.code_digest(self.code_key, flow_id, code)

    def keypress(self, digits: str = "#", token: str = VOICE_TOKEN) -> Keypress:
        return Keypress(token_digest=digests.token_digest(self.voice_key, token), digits=digits)

    def link_digest(self, token: str = LINK_TOKEN) -> str:
        return digests.token_digest(self.link_key, token)

    def activities(self) -> list:
        @activity.defn(name="send_code_email")
        async def send_code_email(delivery: CodeDelivery) -> Sent:
            await self._deliver(delivery)
            return Sent(digest=self.code_digest(activity.info().workflow_id))

        @activity.defn(name="send_code_sms")
        async def send_code_sms(delivery: CodeDelivery) -> Sent:
            return await send_code_email(delivery)

        @activity.defn(name="place_verification_call")
        async def place_verification_call(delivery: CodeDelivery) -> Sent:
            await self._deliver(delivery)
            if self.press_pound_calls:  # how calls were placed before they spoke a code
                return Sent(digest=digests.token_digest(self.voice_key, VOICE_TOKEN))
            return Sent(digest=self.code_digest(activity.info().workflow_id), detail={SPOKEN_CODE: "yes"})

        @activity.defn(name="imitate_code_email")
        async def imitate_code_email(delivery: CodeDelivery) -> Sent:
            # As the real one copies its worker's recent sends: as slow as these, and failing
            # while they do; a digest of no code.
            self.imitations += 1
            self._unless_down()
            if self.hold_sending is not None:
                await self.hold_sending.wait()
            return Sent(digest=secrets.token_hex(32))

        @activity.defn(name="send_link_email")
        async def send_link_email(delivery: LinkDelivery) -> Sent:
            self._unless_down()
            self.links.append(delivery)
            token = self.next_link_tokens.pop(0) if self.next_link_tokens else LINK_TOKEN
            # The email is out; its result may reach the flow later than the click does.
            self.link_out.set()
            if self.hold_link is not None:
                await self.hold_link.wait()
            return Sent(digest=self.link_digest(token))

        @activity.defn(name="send_notice_email")
        async def send_notice_email(notice: Notice) -> None:
            self.notices.append(notice)

        return [send_code_email, imitate_code_email, send_code_sms, place_verification_call, send_link_email,
                send_notice_email]

    def _unless_down(self) -> None:
        if self.provider_down:
            self.refused += 1
            raise RuntimeError("the provider refused the connection")

    async def _deliver(self, delivery: CodeDelivery) -> None:
        self._unless_down()
        if self.address_refused:
            raise ApplicationError("the mail server refused the address", type=INVALID_DESTINATION, non_retryable=True)
        self.sent.append(delivery)
        self.sending.set()
        if self.lost_attempts:
            self.lost_attempts -= 1
            await asyncio.Event().wait()  # its worker is gone: only the attempt's timeout ends it
        if self.hold_sending is not None:
            await self.hold_sending.wait()
