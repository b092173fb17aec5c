"""Email through a real SMTP conversation (aiosmtplib), rendered from jinja2 templates.

Each message has a plain-text and an HTML part; the subject is set inside the text
template (``{% set subject = ... %}``) so wording lives in one place.
"""

from __future__ import annotations

import asyncio
import secrets
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
import opentelemetry.trace
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import INVALID_DESTINATION, CodeDelivery, LinkDelivery, Notice, Sent
from activities.attempts import attempt_timeout, this_send
from activities.send_imitation import RecentAttempts
from domain import digests
from domain.durations import in_words
from engine import metrics
from settings import Settings

SMTP_TIMEOUT_SECONDS = 20.0
IMITATED_FAILURE = "ImitatedSendFailure"


class EmailActivities:
    def __init__(self, settings: Settings, tracer: opentelemetry.trace.Tracer | None = None) -> None:
        self._settings = settings
        self._tracer = tracer or opentelemetry.trace.NoOpTracer()
        self._code_key = digests.derive_key(settings.secret_key, digests.CODE_KEY)
        self._link_key = digests.derive_key(settings.secret_key, digests.LINK_KEY)
        self._send_key = digests.derive_key(settings.secret_key, digests.SEND_KEY)
        self._templates = Environment(
            loader=PackageLoader("activities", "templates/email"),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
        )
        self._code_attempts = RecentAttempts()

    @activity.defn(name="send_code_email")
    async def send_code_email(self, delivery: CodeDelivery) -> Sent:
        # A refused address is the person's, not the provider's: a decoy does not copy it.
        with self._code_attempts.timed(unless=(ApplicationError,)):
            code = digests.code_for_send(self._send_key, this_send(delivery.send_id))
            await self.send(
                delivery.destination,
                "verification_code",
                code=code,
                purpose=delivery.purpose,
                minutes=_minutes(delivery.expires_in_seconds),
                seconds=delivery.expires_in_seconds,
            )
            metrics.code_sent(activity.metric_meter(), "email", delivery.purpose)
            return Sent(digest=digests.code_digest(self._code_key, activity.info().workflow_id, code))

    @activity.defn(name="imitate_code_email")
    async def imitate_code_email(self, delivery: CodeDelivery) -> Sent:
        """A password reset's decoy for an address with no account: nothing is sent, but the
        attempt takes as long as one of this worker's recent real code emails, and fails when
        that one did, so the decoy is retried through an outage as a real send is. It takes
        and answers what a real one does, so even their payloads cost the same."""
        attempt = self._code_attempts.pick()
        await asyncio.sleep(attempt.seconds)
        if attempt.failed:
            raise ApplicationError("a decoy copying a failed send", type=IMITATED_FAILURE)
        # Shaped like a code's digest but of no code: nothing typed ever matches it.
        return Sent(digest=secrets.token_hex(32))

    @activity.defn(name="send_link_email")
    async def send_link_email(self, delivery: LinkDelivery) -> Sent:
        token = digests.token_for_send(self._send_key, this_send(delivery.send_id))
        flow_id = activity.info().workflow_id
        url = f"{self._settings.public_base_url.rstrip('/')}{delivery.path}?flow={flow_id}&token={token}"
        await self.send(
            delivery.to,
            delivery.template,
            url=url,
            name=delivery.greeting_name,
            within=in_words(delivery.expires_in_seconds),
            portal_url=self._settings.public_base_url.rstrip("/"),
        )
        metrics.link_sent(activity.metric_meter(), delivery.template)
        return Sent(digest=digests.token_digest(self._link_key, token))

    @activity.defn(name="send_notice_email")
    async def send_notice_email(self, notice: Notice) -> None:
        """An email that only tells (a registration cancelled by support, a security change):
        nothing to click but the portal's own pages."""
        await self.send(
            notice.to, notice.template, name=notice.greeting_name, detail=dict(notice.detail),
            portal_url=self._settings.public_base_url.rstrip("/"),
        )

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
        with self._smtp_span(template, context) as span:
            try:
                await aiosmtplib.send(
                    message,
                    hostname=self._settings.smtp_host,
                    port=self._settings.smtp_port,
                    username=self._settings.smtp_username,
                    password=self._settings.smtp_password,
                    start_tls=self._settings.smtp_starttls,
                    use_tls=self._settings.smtp_tls,
                    cert_bundle=self._settings.smtp_tls_ca_file or None,
                    timeout=attempt_timeout(SMTP_TIMEOUT_SECONDS),
                )
            except aiosmtplib.SMTPRecipientsRefused as exc:
                mark_failed(span, exc, "email", "refused")
                # Retrying cannot help a mailbox the server refuses; the flow shows the error.
                # Not chained: the server's reply quotes the address, and Temporal would log,
                # trace and store it with the failure.
                raise ApplicationError("the mail server refused the address", type=INVALID_DESTINATION, non_retryable=True) from None
            except Exception as exc:
                mark_failed(span, exc, "email", "error")
                raise
            span.set_attribute("messaging.message.id", message["Message-ID"])

    def _smtp_span(self, template: str, context: dict):
        # Names and kinds only: the address, the code and the link stay out of traces.
        attributes = {"atrezzo.channel": "email", "atrezzo.template": template, "server.address": self._settings.smtp_host,
                      "server.port": self._settings.smtp_port}
        if isinstance(context.get("purpose"), str):
            attributes["atrezzo.purpose"] = context["purpose"]
        # record_exception off: SMTP errors quote the refused address.
        return self._tracer.start_as_current_span(
            "SMTP send", kind=opentelemetry.trace.SpanKind.CLIENT, attributes=attributes,
            record_exception=False, set_status_on_exception=False,
        )


def mark_failed(span: opentelemetry.trace.Span, exc: Exception, channel: str, reason: str) -> None:
    """A failed attempt: counted, and marked on the span by the error's type alone."""
    span.set_status(opentelemetry.trace.StatusCode.ERROR, type(exc).__name__)
    metrics.send_failed(activity.metric_meter(), channel, reason)


def _minutes(seconds: int) -> int:
    return max(1, round(seconds / 60))
