"""How a failed command is reported: one line on stderr and an exit status, never a traceback.

Status 2 means the operator asked for something wrong (bad argument, bad file, unknown
user, missing setting) and can fix the command; status 1 means the command was fine but
something it depends on failed (database unreachable, a migration broke).
"""

from __future__ import annotations

import asyncpg
from pydantic import ValidationError

from domain.errors import FieldError
from operations.errors import OperationRefused
from store.errors import AlreadyExists, MigrationFailed, NotApplicable, NotFound

BAD_INPUT = 2
RUNTIME_FAILURE = 1


class BadInput(Exception):
    """The command line or a file it names is wrong; the message says how."""


class ServiceUnreachable(Exception):
    """A service the command needs (Temporal) did not answer; the message names it."""


def explain(exc: Exception) -> tuple[int, str]:
    """The exit status and the single line to print for ``exc``."""
    status, message = _classify(exc)
    return status, " ".join(message.split())


def _classify(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, BadInput):
        return BAD_INPUT, str(exc)
    if isinstance(exc, OperationRefused):  # an unknown flow or user, a closed flow, a bad filter
        return BAD_INPUT, exc.message
    if isinstance(exc, ServiceUnreachable):
        return RUNTIME_FAILURE, str(exc)
    if isinstance(exc, FieldError):
        return BAD_INPUT, f"{exc.field}: {exc.message}"
    if isinstance(exc, (NotFound, AlreadyExists, NotApplicable)):
        return BAD_INPUT, exc.message
    if isinstance(exc, ValidationError):
        return BAD_INPUT, _describe_settings_error(exc)
    if isinstance(exc, MigrationFailed):
        return RUNTIME_FAILURE, exc.message
    if isinstance(exc, asyncpg.UndefinedTableError):
        return RUNTIME_FAILURE, f"the database has no schema yet ({exc}); run `atrezzo migrate`"
    if isinstance(exc, asyncpg.PostgresError):
        return RUNTIME_FAILURE, f"database error: {exc}"
    if isinstance(exc, (OSError, TimeoutError, asyncpg.InterfaceError)):
        return RUNTIME_FAILURE, f"cannot reach the database: {exc or type(exc).__name__}"
    return RUNTIME_FAILURE, f"unexpected error: {type(exc).__name__}: {exc}"


def _describe_settings_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    # pydantic prefixes custom validator messages with "Value error, "; the rest is ours.
    message = first["msg"].removeprefix("Value error, ")
    field = ".".join(str(part) for part in first["loc"]).upper()
    return f"setting {field}: {message}" if field else f"settings: {message}"
