"""Which running flows a staff member asks for, turned into a Temporal visibility query.

Values are checked before they reach the query (it is a small language of its own): a
process or step is a lower-case name, an age is "15m", "2h", "1d", "90s" or ISO 8601.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from engine import search_attributes as sa
from operations.errors import BadFilter

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SHORT_AGE = re.compile(r"(\d{1,6})\s*([smhd])")
_ISO_AGE = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
LONGEST_AGE = timedelta(days=3650)


@dataclass(frozen=True)
class FlowFilter:
    process: str = ""
    step: str = ""
    # At the current step for longer than this: "waiting for the email link for over 15 minutes".
    older_than: timedelta | None = None

    def query(self, now: datetime) -> str:
        clauses = ["ExecutionStatus = 'Running'", f"{sa.PROCESS.name} IS NOT NULL"]
        if self.process:
            clauses.append(f"{sa.PROCESS.name} = '{self.process}'")
        if self.step:
            clauses.append(f"{sa.STEP.name} = '{self.step}'")
        if self.older_than is not None:
            cutoff = (now - self.older_than).astimezone(timezone.utc)
            clauses.append(f"{sa.STEP_SINCE.name} < '{cutoff.strftime('%Y-%m-%dT%H:%M:%SZ')}'")
        return " AND ".join(clauses)


def flow_filter(process: str | None = None, step: str | None = None, older_than: str | None = None) -> FlowFilter:
    """A checked filter from what an operator typed; BadFilter says what is wrong."""
    process, step = (process or "").strip(), (step or "").strip()
    for label, value in (("process", process), ("step", step)):
        if value and not _NAME.fullmatch(value):
            raise BadFilter(f"{label} must be a name such as 'registration' or 'check_email', not {value!r}.")
    return FlowFilter(process, step, parse_age(older_than) if older_than and older_than.strip() else None)


def parse_age(text: str) -> timedelta:
    """'15m' -> 15 minutes; also 90s, 2h, 1d and ISO 8601 (PT15M); at most LONGEST_AGE."""
    value = text.strip()
    try:
        if match := _SHORT_AGE.fullmatch(value.lower()):
            age = timedelta(**{_UNITS[match[2]]: int(match[1])})
        elif (match := _ISO_AGE.fullmatch(value.upper())) and any(match.groups()):
            days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
            age = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        else:
            raise BadFilter(f"older than must look like 15m, 2h, 1d, 90s or PT15M, not {text[:40]!r}.")
    except OverflowError:
        age = LONGEST_AGE + timedelta(days=1)
    if age > LONGEST_AGE:
        # Nothing waits that long (a flow's history is kept far less), and a cutoff before the
        # year 1 would not even be a date.
        raise BadFilter(f"older than is at most {LONGEST_AGE.days} days, not {text[:40]!r}.")
    return age
