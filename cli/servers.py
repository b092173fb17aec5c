"""`atrezzo dev | api | worker`: the long-running processes, imported only when asked for so
that the database commands start fast and do not need Temporal or the web stack."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    commands.add_parser(
        "dev", help="run the whole stack on this machine, from PostgreSQL to the API"
    ).set_defaults(handler=run_dev)
    commands.add_parser("api", help="serve the web API").set_defaults(handler=run_api)
    commands.add_parser("worker", help="run the Temporal worker").set_defaults(handler=run_worker)


def run_dev(args: argparse.Namespace) -> None:
    from devstack.supervisor import run_dev

    status = run_dev()
    if status:
        raise SystemExit(status)


def run_api(args: argparse.Namespace) -> None:
    from api.server import serve

    serve()


def run_worker(args: argparse.Namespace) -> None:
    from worker import run_worker_forever

    run_worker_forever()
