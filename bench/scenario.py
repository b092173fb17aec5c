"""What a row of the benchmark is: what the load generator (bench/load.py) runs, how many, how
many at once, and how many first to warm up (not measured: templates, pools, workflow caches)."""

from __future__ import annotations

from dataclasses import dataclass

FLOOR, VERIFY, REGISTRATION, LOGIN = "floor", "verify", "registration", "login"


@dataclass(frozen=True)
class Row:
    name: str
    kind: str  # FLOOR, VERIFY, REGISTRATION or LOGIN
    count: int
    concurrency: int = 1
    warmup: int = 0
    updates: int = 0  # a floor flow's updates
    per_step: bool = False  # its steps are listed one by one under the main table
