"""Every SMS and call the app created, newest kept."""

from __future__ import annotations

import dataclasses
import threading
from collections import deque

from devstack.twilio_sandbox.errors import CallNotAnswerable
from devstack.twilio_sandbox.records import PlacedCall, SentSms


class SandboxState:
    """What the app sent; read by tests from other threads than the server's."""

    def __init__(self, limit: int = 1000) -> None:
        # A dev stack runs for days; the oldest entries go rather than the memory.
        self._sms: deque[SentSms] = deque(maxlen=limit)
        self._calls: deque[PlacedCall] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add_sms(self, sms: SentSms) -> None:
        with self._lock:
            self._sms.append(sms)

    def add_call(self, call: PlacedCall) -> None:
        with self._lock:
            self._calls.append(call)

    def sms_newest_first(self, to: str | None = None) -> list[SentSms]:
        with self._lock:
            return [s for s in reversed(self._sms) if to is None or s.to == to]

    def calls_newest_first(self, to: str | None = None) -> list[PlacedCall]:
        with self._lock:
            return [c for c in reversed(self._calls) if to is None or c.to == to]

    def start_answering(self, sid: str) -> PlacedCall:
        """Claim a ringing call, so a second press cannot report it twice."""
        with self._lock:
            call = self._find_call(sid)
            if call.status != "ringing":
                raise CallNotAnswerable(409, f"call {sid} is {call.status}, not ringing")
            return self._replace_call(call, status="in-progress")

    def update_call(self, sid: str, **changes) -> PlacedCall:
        with self._lock:
            return self._replace_call(self._find_call(sid), **changes)

    def clear(self) -> None:
        with self._lock:
            self._sms.clear()
            self._calls.clear()

    def _find_call(self, sid: str) -> PlacedCall:
        call = next((c for c in self._calls if c.sid == sid), None)
        if call is None:
            raise CallNotAnswerable(404, f"no call {sid}")
        return call

    def _replace_call(self, call: PlacedCall, **changes) -> PlacedCall:
        updated = dataclasses.replace(call, **changes)
        self._calls[self._calls.index(call)] = updated
        return updated
