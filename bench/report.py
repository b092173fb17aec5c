"""The tables a run prints. Every row is read against the first one, the sequential engine
floor, measured in the same run on the same machine; the application's rows also against a
floor measured on each side of it (the last table)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from bench.measure import Stats

COLUMNS = ("scenario", "flows/s", "step p50", "step p99", "flow p50", "flow p99", "× floor")


def table(rows: Sequence[tuple[str, Stats]]) -> str:
    """Rows as (name, stats); the first row is the floor. Latencies in ms."""
    if not rows:
        raise ValueError("no rows to report")
    floor = rows[0][1].flow_p50_ms
    return _aligned(
        [COLUMNS]
        + [
            (
                name,
                _rate(stats.flows_per_s),
                _ms(stats.step_p50_ms),
                _ms(stats.step_p99_ms),
                _ms(stats.flow_p50_ms),
                _ms(stats.flow_p99_ms),
                f"{stats.flow_p50_ms / floor:.2f}" if floor > 0 else "n/a",
            )
            for name, stats in rows
        ]
    )


def step_table(rows: Sequence[tuple[str, Stats]]) -> str:
    """One line per step (in the order the flows take them), p50 and p99 for each row. What
    the rows' names share ("registration via HTTP, ") heads the step column, the rest each pair."""
    if not rows:
        raise ValueError("no rows to report")
    shared = os.path.commonprefix([name for name, _ in rows]) if len(rows) > 1 else ""
    shared = shared[: shared.rfind(", ") + 2] if ", " in shared else ""
    header = [shared.removesuffix(", ") or "step"]
    header += [f"{name.removeprefix(shared)} {pct}" for name, _ in rows for pct in ("p50", "p99")]
    steps = list(dict.fromkeys(step for _, stats in rows for step in stats.steps))
    lines = [[step, *(cell for _, stats in rows for cell in _step_cells(stats, step))] for step in steps]
    return _aligned([header, *lines])


def step_tables(rows: Sequence[tuple[str, Stats]]) -> list[str]:
    """One step table per process: rows go together when their names agree up to the last
    ", " ("registration via HTTP, sequential" with "registration via HTTP, 20 concurrent")."""
    processes: dict[str, list[tuple[str, Stats]]] = {}
    for name, stats in rows:
        processes.setdefault(name.rpartition(", ")[0] or name, []).append((name, stats))
    return [step_table(together) for together in processes.values()]


def _step_cells(stats: Stats, step: str) -> tuple[str, str]:
    if step not in stats.steps:
        return ("n/a", "n/a")
    return (_ms(stats.steps[step].p50_ms), _ms(stats.steps[step].p99_ms))


def _aligned(cells: Sequence[Sequence[str]]) -> str:
    """Text columns: the first left-aligned, the rest right-aligned, a rule under the header."""
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _rate(per_second: float) -> str:
    # A registration takes seconds: one decimal would round its rate to a coarse 0.4 or 0.5.
    return f"{per_second:.1f}" if per_second >= 10 else f"{per_second:.2f}"


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f} ms"


def cpu_table(rows: Sequence[tuple[str, dict[str, float]]]) -> str:
    """CPU-seconds one flow cost each kind of process (the columns, as the rows name them),
    and in all."""
    if not rows:
        raise ValueError("no rows to report")
    kinds = list(dict.fromkeys(kind for _, spent in rows for kind in spent))
    header = ["CPU-seconds per flow", *kinds, "all"]
    lines = [[name, *(f"{spent.get(kind, 0.0):.4f}" for kind in kinds), f"{sum(spent.values()):.4f}"] for name, spent in rows]
    return _aligned([header, *lines])


def beside_table(rows: Sequence[tuple[str, int, Stats, Stats, Stats, tuple[int, int, int]]]) -> str:
    """Rows as (name, concurrency, stats, the floor measured just before, the one just after, and
    the workflow tasks that timed out in each of the three): a sequential row's flow p50 over the
    floors' mean p50, a concurrent row's flows/s as a share of the floors' mean rate; beside it,
    the ratio against each floor alone, lower first, and the timeouts (bench/task_timeouts.py)."""
    if not rows:
        raise ValueError("no rows to report")
    header = ["read against the floors just before and after", "measures", "this row", "floor before", "floor after",
              "ratio", "against each", "tasks timed out (floors)"]
    lines = []
    for name, concurrency, stats, before, after, (timed_out, before_timed_out, after_timed_out) in rows:
        if concurrency == 1:
            measures, show, digits, unit = "flow p50", _ms, 2, "×"
            mine, floors = stats.flow_p50_ms, (before.flow_p50_ms, after.flow_p50_ms)
        else:
            measures, show, digits, unit = "flows/s", _rate, 3, ""
            mine, floors = stats.flows_per_s, (before.flows_per_s, after.flows_per_s)
        ratio = _over(mine, sum(floors) / 2)
        low, high = sorted(_over(mine, floor) for floor in floors)
        lines.append([name, measures, show(mine), show(floors[0]), show(floors[1]),
                      f"{ratio:.{digits}f}{unit}", f"{low:.{digits}f}–{high:.{digits}f}{unit}",
                      f"{timed_out} ({before_timed_out}, {after_timed_out})"])
    return _aligned([header, *lines])


def _over(value: float, floor: float) -> float:
    return value / floor if floor > 0 else math.nan
