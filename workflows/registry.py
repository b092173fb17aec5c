"""Every workflow the worker runs. Processes add themselves here."""

from __future__ import annotations

WORKFLOWS: list[type] = []
