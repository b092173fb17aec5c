"""Reading a call's TwiML as Twilio would: its <Gather>, where that reports, and which keys it reports."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

from devstack.twilio_sandbox.errors import CallNotAnswerable


def parse_twiml(document: str) -> ET.Element:
    # Plain ElementTree expands entities; TwiML never needs a DTD, so none is accepted.
    if re.search(r"<!(DOCTYPE|ENTITY)", document, re.IGNORECASE):
        raise ValueError("TwiML with a DTD or entity declaration is refused")
    root = ET.fromstring(document)
    if root.tag != "Response":
        raise ValueError(f"TwiML root is <{root.tag}>, not <Response>")
    return root


def gather_of(twiml: str) -> ET.Element:
    try:
        gather = parse_twiml(twiml).find(".//Gather")
    except (ValueError, ET.ParseError) as exc:
        raise CallNotAnswerable(502, f"the call's TwiML does not parse: {exc}") from exc
    if gather is None:
        raise CallNotAnswerable(409, "the call's TwiML has no <Gather>: nothing listens for keys")
    return gather


def action_of(gather: ET.Element, document_url: str | None) -> str:
    action = gather.get("action") or ""
    if document_url:
        # Relative to the document; no action at all means the document's own URL.
        action = urljoin(document_url, action)
    if not action.startswith(("http://", "https://")):
        raise CallNotAnswerable(409, f"<Gather action={action!r}> needs an absolute URL when the TwiML came inline")
    return action


def spoken_code(twiml: str | None) -> str | None:
    """The code a call's <Say> speaks digit by digit ("4. 0. 2. 7. 1. 9"), as the person
    hears it, or None when it speaks none."""
    if not twiml:
        return None
    try:
        said = " ".join(say.text or "" for say in parse_twiml(twiml).iter("Say"))
    except (ValueError, ET.ParseError):
        return None
    found = _SPOKEN_DIGITS.search(said)
    return re.sub(r"\D", "", found[0]) if found else None


_SPOKEN_DIGITS = re.compile(r"(?<!\d)\d(?:[.,]?\s+\d){3,9}(?!\d)")


def reported_digits(gather: ET.Element, pressed: str) -> str:
    """The Digits Twilio would report: input stops at finishOnKey (not included) or numDigits."""
    finish_on_key = gather.get("finishOnKey", "#")
    if finish_on_key and finish_on_key in pressed:
        pressed = pressed[: pressed.index(finish_on_key)]
    if gather.get("numDigits", "").isdigit():
        pressed = pressed[: int(gather.get("numDigits"))]
    return pressed
