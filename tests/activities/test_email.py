"""Email activities: a real SMTP conversation with the sink, every template rendered."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import aiosmtplib
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.contracts import INVALID_DESTINATION, CodeDelivery, LinkDelivery, Notice
from activities.email import EmailActivities
from domain import digests
from tests.support.messaging import RefuseEveryone, smtp_server
from tests.support.temporal import make_settings

# What a flow gives one attempt of a 30-second code's send (workflows/deliveries.py).
ATTEMPT = timedelta(seconds=10)
LINK_TEMPLATES = ["registration_link", "registration_reset_link", "enrollment_resume_link", "admin_reset_link"]


def attempt(number: int = 1, activity_id: str = "1", *, within: timedelta = ATTEMPT) -> ActivityEnvironment:
    """An attempt of one scheduled send (attempts after the first are retries after a crash)."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=number, activity_id=activity_id, start_to_close_timeout=within)
    return env


@pytest.fixture
def email(smtp_sink):
    settings = make_settings(smtp_host=smtp_sink.smtp_host, smtp_port=smtp_sink.smtp_port, public_base_url="https://portal.example")
    return settings, EmailActivities(settings)


@pytest.mark.parametrize("purpose,seconds,wording", [
    ("login", 30, "The code expires in 30 seconds."),
    ("registration", 600, "The code expires in 10 minutes."),
    ("password_reset", 600, "reset your Atrezzo password"),
])
async def test_code_email_sends_a_code_and_returns_only_its_digest(email, mail, purpose, seconds, wording):
    settings, activities = email
    sent = await attempt().run(activities.send_code_email, CodeDelivery("kim@example.com", purpose, seconds))
    [message] = await mail.wait_for_messages_to("kim@example.com")
    assert message["subject"] == "Your Atrezzo verification code"
    code = mail.last_code_to("kim@example.com")
    assert wording in message["text"] and code in message["html"]
    key = digests.derive_key(settings.secret_key, digests.CODE_KEY)
    assert sent.digest == digests.code_digest(key, "test", code)  # ActivityEnvironment's workflow id
    assert code not in repr(sent)


@pytest.mark.parametrize("template", LINK_TEMPLATES)
async def test_every_link_email_renders_both_parts(email, mail, template):
    settings, activities = email
    delivery = LinkDelivery(to="kim@example.com", template=template, path="/register/verify", expires_in_seconds=1200, greeting_name="Kim")
    sent = await attempt().run(activities.send_link_email, delivery)
    [message] = await mail.wait_for_messages_to("kim@example.com")
    link = mail.last_link_to("kim@example.com")
    assert link.startswith("https://portal.example/register/verify?flow=test&token=")
    assert "within 20 minutes" in message["text"] and "Hello Kim," in message["text"]
    assert link.replace("&", "&amp;") in message["html"]
    token = link.split("token=")[1]
    assert sent.digest == digests.token_digest(digests.derive_key(settings.secret_key, digests.LINK_KEY), token)




async def test_a_retried_send_repeats_the_code_and_the_link_it_may_already_have_delivered(email, mail):
    # The worker died after the first attempt handed its message over: the retry's copy must
    # carry the same code and link, so the message the person already has keeps working.
    settings, activities = email
    codes, code_sends = [], []
    for number in (1, 2):
        code_sends.append(await attempt(number).run(activities.send_code_email, CodeDelivery("kim@example.com", "login", 30)))
        await mail.wait_for_messages_to("kim@example.com", number)
        codes.append(mail.last_code_to("kim@example.com"))
    assert codes[0] == codes[1] and code_sends[0] == code_sends[1]
    delivery = LinkDelivery(to="lee@example.com", template="registration_link", path="/register/confirm", expires_in_seconds=1200, greeting_name="Lee")
    links, link_sends = [], []
    for number in (1, 2):
        link_sends.append(await attempt(number, "2").run(activities.send_link_email, delivery))
        await mail.wait_for_messages_to("lee@example.com", number)
        links.append(mail.last_link_to("lee@example.com"))
    assert links[0] == links[1] and link_sends[0] == link_sends[1]
    # Send new code is another send: another activity, another code.
    await attempt(1, "3").run(activities.send_code_email, CodeDelivery("kim@example.com", "login", 30))
    await mail.wait_for_messages_to("kim@example.com", 3)
    assert mail.last_code_to("kim@example.com") != codes[0]


async def test_a_stalled_mail_server_holds_an_attempt_no_longer_than_temporal_waits_for_it():
    # Past its attempt's timeout Temporal retries the send elsewhere: this attempt would only
    # deliver late, and held its worker slot for the client's own 20 seconds.
    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    activities = EmailActivities(make_settings(smtp_host="127.0.0.1", smtp_port=port))
    try:
        async with asyncio.timeout(10):
            with pytest.raises(aiosmtplib.SMTPTimeoutError):
                await attempt(within=timedelta(seconds=1)).run(activities.send_code_email, CodeDelivery("kim@example.com", "login", 30))
    finally:
        server.close()


async def test_refused_address_is_not_retried():
    with smtp_server(RefuseEveryone()) as port:
        activities = EmailActivities(make_settings(smtp_host="127.0.0.1", smtp_port=port))
        with pytest.raises(ApplicationError) as refused:
            await attempt().run(activities.send_code_email, CodeDelivery("nobody@example.com", "login", 30))
        assert refused.value.type == INVALID_DESTINATION and refused.value.non_retryable
        # The server refusing one mailbox says nothing of the provider: a password reset's
        # decoy (activities/send_imitation.py) does not copy it, and goes through.
        await attempt(activity_id="decoy").run(activities.imitate_code_email, CodeDelivery("lee@example.com", "login", 30))


async def test_the_cancelled_registration_notice_says_how_to_start_again_and_carries_no_token(email, mail):
    _, activities = email
    notice = Notice(to="kim@example.com", template="registration_cancelled", greeting_name="Kim")
    await attempt().run(activities.send_notice_email, notice)
    [message] = await mail.wait_for_messages_to("kim@example.com")
    assert message["subject"] == "Your Atrezzo registration was cancelled"
    assert "Hello Kim," in message["text"] and "https://portal.example/register" in message["text"]
    assert 'href="https://portal.example/register"' in message["html"]
    assert "token=" not in message["text"] + message["html"]


async def test_an_admin_reset_link_says_its_life_as_people_do(email, mail):
    _, activities = email
    delivery = LinkDelivery(to="kim@example.com", template="admin_reset_link", path="/admin-reset/confirm", expires_in_seconds=7 * 86400)
    await attempt().run(activities.send_link_email, delivery)
    [message] = await mail.wait_for_messages_to("kim@example.com")
    assert "within 7 days" in message["text"] and "10080" not in message["text"]
    assert "https://portal.example/first-login" in message["text"]


@pytest.mark.parametrize("template", ["registration_link", "registration_reset_link"])
async def test_an_expired_registration_link_points_to_registration_reset(email, mail, template):
    """Someone who never verified their email cannot use "Having trouble logging in?"."""
    _, activities = email
    delivery = LinkDelivery(to="kim@example.com", template=template, path="/register/confirm", expires_in_seconds=1200)
    await attempt().run(activities.send_link_email, delivery)
    [message] = await mail.wait_for_messages_to("kim@example.com")
    assert "Registration Error → Reset (https://portal.example/register/reset)" in message["text"]
    assert 'href="https://portal.example/register/reset"' in message["html"]
    assert "Having trouble" not in message["text"]


@pytest.mark.parametrize(
    ("template", "detail", "says"),
    [
        ("email_changed", {"new_email": "p*******@example.org"}, "was changed to p*******@example.org"),
        ("password_changed", {}, "The password of your Atrezzo Provider Portal account was changed"),
        ("mfa_registered", {"method": "phone", "phone": "XXX-XXX-0143"}, "go to the phone number XXX-XXX-0143"),
        ("mfa_registered", {"method": "email"}, "now go to this email address"),
        ("mfa_registered", {"method": "app"}, "you now sign in with the codes of an authenticator app"),
        ("recovery_code_used", {"left": "7"}, "Each code works once: 7"),
        ("recovery_codes_issued", {}, "The codes you had before no longer work"),
    ],
)
async def test_security_notices_say_what_changed_and_what_to_do_if_it_was_not_you(email, mail, template, detail, says):
    _, activities = email
    await attempt().run(activities.send_notice_email, Notice(to="kim@example.com", template=template, detail=detail))
    [message] = await mail.wait_for_messages_to("kim@example.com")
    assert says in message["text"] and says.split(" ")[-1] in message["html"]
    for part in (message["text"], message["html"]):
        assert "If you did not, someone may know your password" in part
        assert "you can ignore it" not in part  # not the footer of messages one may ignore
        assert "token=" not in part


@pytest.mark.parametrize(("method", "says"), [("app", "a code from your authenticator app"), ("passkey", "your passkey")])
async def test_a_sign_in_notice_names_the_factor_and_what_to_do_if_it_was_not_you(email, mail, method, says):
    _, activities = email
    notice = Notice(to="kim@example.com", template="signed_in", detail={"method": method})
    await attempt().run(activities.send_notice_email, notice)
    [message] = await mail.wait_for_messages_to("kim@example.com")
    for part in (message["text"], message["html"]):
        assert f"signed in to your Atrezzo Provider Portal account with {says}" in part
        assert "If it was not" in part and "/password/reset" in part


async def test_mail_goes_over_implicit_tls_with_its_own_ca_when_asked(monkeypatch):
    seen = {}

    async def send(message, **kwargs):
        seen.update(kwargs)

    monkeypatch.setattr("activities.email.aiosmtplib.send", send)
    settings = make_settings(smtp_host="mail.example", smtp_port=465, smtp_tls=True, smtp_tls_ca_file="/etc/ssl/mail-ca.pem")
    await attempt().run(EmailActivities(settings).send_code_email, CodeDelivery("kim@example.com", "login", 30))
    assert (seen["use_tls"], seen["start_tls"], seen["cert_bundle"], seen["port"]) == (True, False, "/etc/ssl/mail-ca.pem", 465)
