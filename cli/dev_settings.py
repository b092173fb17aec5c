"""The CLI beside a running `make dev`: with no settings in the environment, it reads the ones
the dev stack wrote for it (.devdata/cli.env, or $ATREZZO_DEV_DATA/cli.env) and says so once,
on stderr — instead of every new shell needing `set -a; . .devdata/cli.env; set +a`."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FILE = "cli.env"


def dev_settings_file() -> Path:
    return Path(os.environ.get("ATREZZO_DEV_DATA", ROOT / ".devdata")) / FILE


def adopt_dev_settings() -> Path | None:
    """Fill the environment from the dev stack's file when no setting is set; the file read,
    or None (a setting was set, or there is no file)."""
    names = {name.upper() for name in Settings.model_fields}
    if any(name in os.environ for name in names):
        return None
    path = dev_settings_file()
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() in names:
            os.environ[name.strip()] = " ".join(shlex.split(value)) if value.strip() else ""
    print(f"atrezzo: no settings in the environment; using the dev stack's, from {path}", file=sys.stderr, flush=True)
    return path
