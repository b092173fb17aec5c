"""What the store reports when the data, not the code, is the problem; messages are for people."""

from __future__ import annotations


class StoreError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(StoreError):
    """The row the caller named does not exist."""


class AlreadyExists(StoreError):
    """A unique value (username, email, NPI) is already taken."""


class NotApplicable(StoreError):
    """The row exists, but the change does not apply to it (enabling an unfinished registration)."""


class MigrationFailed(StoreError):
    """A migration file could not be applied; nothing from it was kept."""
