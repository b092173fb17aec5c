"""The one error shape for bad input: which form field is wrong and what to tell the user."""

from __future__ import annotations


class FieldError(ValueError):
    """Bad input for one field; ``message`` is shown next to that field on the same screen."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[FieldError], tuple[str, str]]:
        # Exceptions are rebuilt from self.args when pickled (worker processes, test
        # reports); args holds only the message, so say how to rebuild with the field.
        return (type(self), (self.field, self.message))
