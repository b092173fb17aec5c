"""Why the sandbox refuses: to the app in Twilio's error format, to a person pressing keys plainly."""

from __future__ import annotations


class TwilioError(Exception):
    """Answered in Twilio's error format, which TwilioRestException reads (code, message, status)."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class CallNotAnswerable(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message
