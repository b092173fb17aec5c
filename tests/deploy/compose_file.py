"""Reads docker-compose.yml the way Compose does: YAML (merge keys included), then
`${VAR}` interpolation in every string, with the Compose specification's operators."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"

# $$ | ${NAME} | ${NAME<op>word} | $NAME, as in the Compose specification's interpolation.
_REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<word>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def references(text: str) -> list[tuple[str, str | None, str]]:
    """(name, operator or None, word) for every variable reference in text."""
    found = []
    for match in _REFERENCE.finditer(text):
        if match["escaped"]:
            continue
        name = match["braced"] or match["bare"]
        found.append((name, match["op"], match["word"] or ""))
    return found


def interpolate(value: str, env: Mapping[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, word = match["op"], match["word"] or ""
        is_set = name in env
        has_value = bool(env.get(name))
        if op in (":?", "?"):
            if not (has_value if op == ":?" else is_set):
                raise MissingVariable(name, word or "required")
            return env[name]
        if op in (":-", "-"):
            return env[name] if (has_value if op == ":-" else is_set) else word
        if op in (":+", "+"):
            return word if (has_value if op == ":+" else is_set) else ""
        return env.get(name, "")

    return _REFERENCE.sub(substitute, value)


def _interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, env) for key, value in node.items()}
    return node


def raw() -> dict[str, Any]:
    """The file as YAML, references left as written."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


def load(env: Mapping[str, str]) -> dict[str, Any]:
    """The file as Compose sees it with this environment."""
    return _interpolate_tree(raw(), env)


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment as a dict, whichever of the two forms it is written in."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}
