"""What an operation refuses, in words for the operator; the API maps ``status`` to HTTP,
the CLI prints the message on one line."""

from __future__ import annotations


class OperationRefused(Exception):
    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownFlow(OperationRefused):
    status = 404


class FlowClosed(OperationRefused):
    status = 409


class BadFilter(OperationRefused):
    status = 422


class UnknownUser(OperationRefused):
    status = 404
