"""What the app created, as the sandbox keeps it and as Twilio's REST API answers it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from devstack.twilio_sandbox.twiml import spoken_code

API_VERSION = "2010-04-01"


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass(frozen=True)
class SentSms:
    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    created: datetime

    def as_json(self) -> dict:
        return {"sid": self.sid, "to": self.to, "from": self.from_, "body": self.body, "date_created": self.created.isoformat()}

    def as_twilio_resource(self) -> dict:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        return {
            "sid": self.sid, "account_sid": self.account_sid, "api_version": API_VERSION,
            "to": self.to, "from": self.from_, "body": self.body,
            "status": "queued", "direction": "outbound-api", "messaging_service_sid": None,
            "num_segments": "1" if len(self.body) <= 160 else str(-(-len(self.body) // 153)), "num_media": "0",
            "date_created": format_datetime(self.created), "date_updated": format_datetime(self.created), "date_sent": None,
            "price": None, "price_unit": "USD", "error_code": None, "error_message": None,
            "uri": f"{uri}.json", "subresource_uris": {"media": f"{uri}/Media.json"},
        }


@dataclass(frozen=True)
class PlacedCall:
    sid: str
    account_sid: str
    to: str
    from_: str
    twiml: str | None
    url: str | None
    method: str
    created: datetime
    # ringing -> in-progress (while the keypress is reported) -> completed
    status: str = "ringing"
    digits: str | None = None
    callback_url: str | None = None
    callback_status: int | None = None

    @property
    def spoken_code(self) -> str | None:
        """The code the call speaks, as the person who answers hears it."""
        return spoken_code(self.twiml)

    def as_json(self) -> dict:
        return {
            "sid": self.sid, "to": self.to, "from": self.from_, "twiml": self.twiml, "url": self.url,
            "method": self.method, "status": self.status, "date_created": self.created.isoformat(),
            "digits": self.digits, "callback_url": self.callback_url, "callback_status": self.callback_status,
            "spoken_code": self.spoken_code,
        }

    def as_twilio_resource(self) -> dict:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}"
        return {
            "sid": self.sid, "account_sid": self.account_sid, "api_version": API_VERSION,
            "to": self.to, "to_formatted": self.to, "from": self.from_, "from_formatted": self.from_,
            # What Twilio answers at creation, whatever happens to the call next.
            "status": "queued", "direction": "outbound-api", "parent_call_sid": None,
            "date_created": format_datetime(self.created), "date_updated": format_datetime(self.created),
            "start_time": None, "end_time": None, "duration": None, "price": None, "price_unit": "USD",
            "answered_by": None, "caller_name": None, "forwarded_from": None, "group_sid": None,
            "phone_number_sid": None, "queue_time": "0", "trunk_sid": None,
            "uri": f"{uri}.json",
            "subresource_uris": {name: f"{uri}/{name.title().replace('_', '')}.json" for name in ("notifications", "recordings", "events")},
        }
