import asyncpg
import pytest

from cli.failures import BAD_INPUT, RUNTIME_FAILURE, BadInput, explain
from domain.errors import FieldError
from store.errors import AlreadyExists, MigrationFailed, NotFound


@pytest.mark.parametrize(
    "exc, status, line",
    [
        (BadInput("bad file"), BAD_INPUT, "bad file"),
        (FieldError("npi", "Enter a valid NPI."), BAD_INPUT, "npi: Enter a valid NPI."),
        (NotFound("No user named 'x'."), BAD_INPUT, "No user named 'x'."),
        (AlreadyExists("taken"), BAD_INPUT, "taken"),
        (MigrationFailed("0002_x.sql failed"), RUNTIME_FAILURE, "0002_x.sql failed"),
        (
            ConnectionRefusedError(111, "Connection refused"),
            RUNTIME_FAILURE,
            "cannot reach the database: [Errno 111] Connection refused",
        ),
        (
            asyncpg.UndefinedTableError('relation "users" does not exist'),
            RUNTIME_FAILURE,
            "run `atrezzo migrate`",
        ),
        (RuntimeError("boom"), RUNTIME_FAILURE, "unexpected error: RuntimeError: boom"),
    ],
)
def test_each_failure_has_a_status_and_a_line(exc, status, line):
    got_status, got_line = explain(exc)
    assert got_status == status
    assert line in got_line


def test_multi_line_messages_become_one_line():
    assert explain(BadInput("first\nsecond\n"))[1] == "first second"
