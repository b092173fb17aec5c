"""The rows a run measures, in order. The first is the baseline of the "× floor" column: the
sequential engine floor (a flow of three updates). Beside it, the floor with a registration's
number of user actions, so a registration can be read against the engine doing as much.

Each registration and login row is also read against a floor measured just before it and one
just after (the sequential floor for a sequential row, the floor at --concurrency for a
concurrent one): the shared machine's speed drifts over a run's minutes.

Adding a process is one row here, its flow in a bench/ module of its own, and its kind in
bench/load.py."""

from __future__ import annotations

import argparse

from bench import login, registration
from bench.noop_workflow import STEPS
from bench.password_verification import VERIFICATIONS
from bench.scenario import FLOOR, LOGIN, REGISTRATION, VERIFY, Row

WARMUP_FLOWS = 20
WARMUP = 2


def beside(row: Row, args: argparse.Namespace) -> Row | None:
    """The floor to measure on each side of ``row``: None for the floor's own rows."""
    if row.kind not in (REGISTRATION, LOGIN):
        return None
    if row.concurrency == 1:
        return Row("engine floor, sequential, beside", FLOOR, args.flows, warmup=min(WARMUP_FLOWS, args.flows), updates=STEPS)
    return Row(f"engine floor, {args.concurrency} concurrent, beside", FLOOR, args.flows, args.concurrency,
               warmup=min(WARMUP_FLOWS, args.flows), updates=STEPS)


def rows(args: argparse.Namespace) -> list[Row]:
    actions = len(registration.STEPS)
    return [
        Row("engine floor, sequential", FLOOR, args.flows, warmup=min(WARMUP_FLOWS, args.flows), updates=STEPS),
        Row(f"engine floor, {args.concurrency} concurrent", FLOOR, args.flows, args.concurrency,
            warmup=min(WARMUP_FLOWS, args.flows), updates=STEPS),
        Row(f"engine floor, {actions} updates, sequential", FLOOR, args.flows, updates=actions),
        Row("one password verification (argon2id)", VERIFY, VERIFICATIONS),
        Row("registration via HTTP, sequential", REGISTRATION, args.registrations, warmup=WARMUP, per_step=True),
        Row(f"registration via HTTP, {registration.CONCURRENCY} concurrent", REGISTRATION, args.registrations,
            registration.CONCURRENCY, warmup=WARMUP, per_step=True),
        Row("login via HTTP, sequential", LOGIN, args.logins, warmup=WARMUP, per_step=True),
        Row(f"login via HTTP, {login.CONCURRENCY} concurrent", LOGIN, args.logins, login.CONCURRENCY,
            warmup=WARMUP, per_step=True),
    ]
