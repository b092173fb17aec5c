"""Email through a real SMTP conversation (aiosmtplib), rendered from jinja2 templates.

Each message has a plain-text and an HTML part; the subject is set inside the text
template (``{% set subject = ... %}``) so wording lives in one place.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import CodeDelivery, LinkDelivery, Sent
from domain import digests
from settings import Settings

INVALID_DESTINATION = "InvalidDestination"


class EmailActivities:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._code_key = digests.derive_key(settings.secret_key, digests.CODE_KEY)
        self._link_key = digests.derive_key(settings.secret_key, digests.LINK_KEY)
        self._templates = Environment(
            loader=PackageLoader("activities", "templates/email"),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
        )

    @activity.defn(name="send_code_email")
    async def send_code_email(self, delivery: CodeDelivery) -> Sent:
        code = digests.generate_code()
        await self.send(
            delivery.destination,
            "verification_code",
            code=code,
            purpose=delivery.purpose,
            minutes=_minutes(delivery.expires_in_seconds),
            seconds=delivery.expires_in_seconds,
        )
        return Sent(digest=digests.code_digest(self._code_key, activity.info().workflow_id, code))

    @activity.defn(name="send_link_email")
    async def send_link_email(self, delivery: LinkDelivery) -> Sent:
        token = digests.generate_token()
        flow_id = activity.info().workflow_id
        url = f"{self._settings.public_base_url.rstrip('/')}{delivery.path}?flow={flow_id}&token={token}"
        await self.send(
            delivery.to,
            delivery.template,
            url=url,
            name=delivery.greeting_name,
            minutes=_minutes(delivery.expires_in_seconds),
        )
        return Sent(digest=digests.token_digest(self._link_key, token))

    async def send(self, to: str, template: str, **context: object) -> None:
        text = self._templates.get_template(f"{template}.txt")
        html = self._templates.get_template(f"{template}.html")
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = to
        message["Subject"] = text.make_module(context).subject
        message["Message-ID"] = make_msgid(domain="atrezzo.local")
        message.set_content(text.render(context))
        message.add_alternative(html.render(context), subtype="html")
        try:
            await aiosmtplib.send(
                message,
                hostname=self._settings.smtp_host,
                port=self._settings.smtp_port,
                username=self._settings.smtp_username,
                password=self._settings.smtp_password,
                start_tls=self._settings.smtp_starttls,
                timeout=20,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # Retrying cannot help a mailbox the server refuses; the flow shows the error.
            raise ApplicationError("the mail server refused the address", type=INVALID_DESTINATION, non_retryable=True) from exc


def _minutes(seconds: int) -> int:
    return max(1, round(seconds / 60))
