"""Shared fixtures: one real PostgreSQL per run with a fresh database per test, the
Temporal servers, the SMTP sink, the Twilio sandbox and the OpenID provider (see tests/support/)."""

from __future__ import annotations

import os
import sys

pytest_plugins = [
    "tests.support.postgres",
    "tests.support.temporal",
    "tests.support.messaging",
    "tests.support.app",
    "tests.support.oidc",
    "tests.support.browser",
]

_exit_status = 0


def pytest_sessionfinish(session, exitstatus):
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config):
    # temporalio's native core can crash the interpreter at shutdown (sdk-python#300);
    # leave with the recorded status before finalisation gets a chance to.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)
