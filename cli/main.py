"""The `atrezzo` operator command: parses the command line and runs one command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from cli import flows, migrate, provider, servers, user
from cli.dev_settings import adopt_dev_settings
from cli.failures import BadInput, explain


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block and exits; we want one line and our status.
    def error(self, message: str) -> NoReturn:
        raise BadInput(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="atrezzo", description="Operate the Atrezzo registration engine.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    migrate.register(commands)
    provider.register(commands)
    user.register(commands)
    flows.register(commands)
    servers.register(commands)
    return parser


def _run(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status; importable for in-process tests."""
    try:
        args = build_parser().parse_args(argv)
        if args.command != "dev":  # the dev stack writes that file; it never reads it
            adopt_dev_settings()
        message = args.handler(args)
    except SystemExit as exc:  # --help and --version end this way
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the contract is one line, never a traceback
        status, line = explain(exc)
        print(f"atrezzo: {line}", file=sys.stderr)
        return status
    if message:
        print(message)
    return 0


def main() -> None:
    status = _run(sys.argv[1:])
    # temporalio's native core can crash the interpreter while it finalises
    # (sdk-python#300); leave with our status before it gets the chance.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
