"""argon2id at the edge — every password, registration code and new password checked or
hashed by an API process — on a few threads of its own (PASSWORD_HASHES_AT_ONCE).

Each argon2id computation holds 19 MiB and a core for 20–30 ms. On the shared thread pool
(40 threads) a burst of logins ran up to 40 of them at once in one process: close to 1 GiB of
memory, and each one took a quarter more CPU, the cores switching between threads that evict
each other's memory from the caches. Here the burst waits in line instead; the line costs
nothing but the time the cores needed anyway.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from fastapi import Request

from domain.passwords import hash_password, opens


class PasswordWork:
    def __init__(self, at_once: int) -> None:
        self._threads = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="argon2id")

    async def opens(self, password_hash: str | None, secret: str) -> bool:
        """domain.passwords.opens, in turn: a dummy verification when there is no hash."""
        return await asyncio.get_running_loop().run_in_executor(self._threads, opens, password_hash, secret)

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._threads, hash_password, password)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


def password_work(request: Request) -> PasswordWork:
    return request.app.state.resources.passwords
