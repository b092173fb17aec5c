"""Reads and checks a legacy-user CSV file completely before anything touches the database."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from cli.failures import BadInput
from domain.email import normalise_email
from domain.errors import FieldError
from domain.npi import parse_npi
from domain.username import parse_username

COLUMNS = ("username", "password", "first_name", "last_name", "email", "npi")
MAX_NAME_LENGTH = 100
MAX_PASSWORD_LENGTH = 128


@dataclass(frozen=True)
class LegacyRow:
    line: int
    username: str
    # Plaintext only until it is hashed; repr=False keeps it out of any message or log.
    password: str = field(repr=False)
    first_name: str
    last_name: str
    email: str
    npi: str


def read_legacy_csv(path: Path) -> list[LegacyRow]:
    """Every row of the file, checked; BadInput naming the first bad line otherwise."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return _read(path, handle)
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text; save it as UTF-8 CSV") from None
    except csv.Error as exc:
        raise BadInput(f"{path} is not a readable CSV file: {exc}") from None


def report(path: Path, problems: list[str]) -> BadInput:
    """One line for a list of problems: the first in full, then how many more there are."""
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return BadInput(f"{path}: {problems[0]}{more}; nothing was imported")


def _read(path: Path, handle: TextIO) -> list[LegacyRow]:
    reader = csv.reader(handle)
    header = next(reader, None)
    if not header:
        raise BadInput(f"{path} is empty; the first line must be: {','.join(COLUMNS)}")
    _check_header(path, header)
    rows: list[LegacyRow] = []
    problems: list[str] = []
    for fields in reader:
        line = reader.line_num
        if not fields:
            continue  # a blank line
        if len(fields) != len(header):
            problems.append(f"line {line}: expected {len(header)} fields, found {len(fields)}")
            continue
        try:
            rows.append(_parse_row(line, dict(zip(header, fields))))
        except FieldError as exc:
            problems.append(f"line {line} ({exc.field}): {exc.message}")
    problems.extend(_duplicates(rows))
    if problems:
        raise report(path, problems)
    if not rows:
        raise BadInput(f"{path} has a header but no users to import")
    return rows


def _check_header(path: Path, header: list[str]) -> None:
    missing = [c for c in COLUMNS if c not in header]
    unexpected = [c for c in header if c not in COLUMNS]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing or unexpected or repeated:
        found = {"missing": missing, "unexpected": unexpected, "repeated": repeated}
        details = "; ".join(f"{what}: {', '.join(names)}" for what, names in found.items() if names)
        raise BadInput(f"{path}: the columns must be exactly {','.join(COLUMNS)} ({details})")


def _parse_row(line: int, record: dict[str, str]) -> LegacyRow:
    password = record["password"]
    if not password:
        raise FieldError("password", "the password is empty")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise FieldError("password", f"use at most {MAX_PASSWORD_LENGTH} characters")
    return LegacyRow(
        line=line,
        username=parse_username(record["username"]),
        password=password,
        first_name=_name(record["first_name"], "first_name"),
        last_name=_name(record["last_name"], "last_name"),
        email=normalise_email(record["email"]),
        npi=parse_npi(record["npi"]),
    )


def _name(text: str, column: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise FieldError(column, f"the {column.replace('_', ' ')} is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise FieldError(column, f"use at most {MAX_NAME_LENGTH} characters")
    return name


def _duplicates(rows: list[LegacyRow]) -> list[str]:
    # Usernames and emails are unique ignoring case in the database, so here too.
    problems: list[str] = []
    first_line: dict[tuple[str, str], int] = {}
    for row in rows:
        for column, value in (("username", row.username), ("email", row.email)):
            key = (column, value.lower())
            if key in first_line:
                where = f"line {row.line} ({column})"
                problems.append(f"{where}: {value} is also on line {first_line[key]}")
            else:
                first_line[key] = row.line
    return problems
