"""Durations the way people write them in a message: "20 minutes", "7 days", "30 seconds"."""

from __future__ import annotations

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def in_words(seconds: int) -> str:
    """The largest unit that divides the duration evenly: 604800 -> "7 days", 5400 -> "90
    minutes", 1200 -> "20 minutes", 30 -> "30 seconds"."""
    if seconds <= 0:
        raise ValueError("a duration in words is a positive number of seconds")
    for name, size in _UNITS:
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {name}{'s' if count != 1 else ''}"
    raise AssertionError("unreachable: every whole number of seconds divides by one")
