"""Account changes the flows make in PostgreSQL. (Being written: see the registration issue.)"""

from __future__ import annotations

import asyncpg


class AccountActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    def all(self) -> list:
        return []
