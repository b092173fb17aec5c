"""SMS and voice through the real twilio client (pointed at TWILIO_API_BASE_URL when set)."""

from __future__ import annotations

import asyncio

import opentelemetry.trace
from temporalio import activity
from temporalio.exceptions import ApplicationError
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from activities.contracts import INVALID_DESTINATION, SPOKEN_CODE, CodeDelivery, Sent
from activities.email import mark_failed
from activities.attempts import this_send
from domain import digests
from engine import metrics
from settings import Settings

VOICE_WEBHOOK_PATH = "/webhooks/twilio/voice"
# Per connect and per read. The client's default is to wait forever: a stalled connection to
# Twilio held a worker thread for good, long after Temporal had retried the send elsewhere.
# Below the shortest send attempt (workflows/deliveries.py: a third of a 30-second code's life).
TWILIO_TIMEOUT_SECONDS = 8


def twilio_client(settings: Settings) -> Client:
    http = TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS)
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url.rstrip("/")
    return client


class PhoneActivities:
    def __init__(self, settings: Settings, client: Client, tracer: opentelemetry.trace.Tracer | None = None) -> None:
        self._settings = settings
        self._client = client
        self._tracer = tracer or opentelemetry.trace.NoOpTracer()
        self._code_key = digests.derive_key(settings.secret_key, digests.CODE_KEY)
        self._send_key = digests.derive_key(settings.secret_key, digests.SEND_KEY)

    @activity.defn(name="send_code_sms")
    async def send_code_sms(self, delivery: CodeDelivery) -> Sent:
        code = digests.code_for_send(self._send_key, this_send(delivery.send_id))
        minutes = max(1, round(delivery.expires_in_seconds / 60))
        body = f"Your Atrezzo verification code is {code}. It expires in {minutes} minutes. Never share it."
        message = await self._create(self._client.messages.create, "sms", delivery.purpose, to=delivery.destination, body=body)
        metrics.code_sent(activity.metric_meter(), "sms", delivery.purpose)
        return Sent(
            digest=digests.code_digest(self._code_key, activity.info().workflow_id, code),
            provider_id=message.sid,
        )

    @activity.defn(name="place_verification_call")
    async def place_verification_call(self, delivery: CodeDelivery) -> Sent:
        """Call the number and speak a 6-digit code, digit by digit, twice; the person types it
        on the screen like the SMS code. (A call that only asked for "#" let in whoever held
        the phone when it rang: pressing a key out of habit approved someone else's login.)"""
        code = digests.code_for_send(self._send_key, this_send(delivery.send_id))
        spoken = ". ".join(code)  # "4. 0. 2. 7. 1. 9": one digit at a time, never "four hundred..."
        response = VoiceResponse()
        response.say(f"This is the Atrezzo Provider Portal. Your verification code is: {spoken}.")
        response.pause(length=1)
        response.say(f"Again, your verification code is: {spoken}.")
        response.say("Enter it on the screen to complete verification. Goodbye.")
        call = await self._create(self._client.calls.create, "voice", delivery.purpose, to=delivery.destination, twiml=str(response))
        metrics.code_sent(activity.metric_meter(), "voice", delivery.purpose)
        return Sent(
            digest=digests.code_digest(self._code_key, activity.info().workflow_id, code),
            provider_id=call.sid,
            detail={SPOKEN_CODE: "yes"},
        )

    async def _create(self, create, channel: str, purpose: str, **fields):
        # Names, kinds and Twilio's sid only: the number and the message stay out of traces.
        # Twilio's error texts quote the number, so they go nowhere: not on the span, and not
        # as the cause of the failure (Temporal logs it, traces it and stores it in history).
        with self._tracer.start_as_current_span(
            f"Twilio {'messages' if channel == 'sms' else 'calls'}.create", kind=opentelemetry.trace.SpanKind.CLIENT,
            attributes={"atrezzo.channel": channel, "atrezzo.purpose": purpose},
            record_exception=False, set_status_on_exception=False,
        ) as span:
            try:
                # The twilio client is synchronous; keep it off the worker's event loop.
                created = await asyncio.to_thread(create, from_=self._settings.twilio_from_number, **fields)
            except TwilioRestException as exc:
                if exc.status and 400 <= exc.status < 500 and exc.status != 429:
                    mark_failed(span, exc, channel, "refused")
                    raise ApplicationError(
                        f"Twilio refused the request ({exc.code})", type=INVALID_DESTINATION, non_retryable=True
                    ) from None
                mark_failed(span, exc, channel, "error")
                raise ApplicationError(f"Twilio failed ({exc.status}, {exc.code})", type="TwilioError") from None
            except Exception as exc:
                mark_failed(span, exc, channel, "error")
                raise
            span.set_attribute("messaging.message.id", created.sid)
            return created
