"""The benchmark harness runs end to end and reports what it measured. Speed itself is never
asserted here: `python -m bench` prints ratios measured in one run (DESIGN.md §9)."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.measure import Stats, percentile
from bench.report import table

REPO = Path(__file__).resolve().parents[2]
NUMBER = r"\d+(?:\.\d+)?"
FLOOR_ROW = re.compile(
    rf"^(engine floor, (?:sequential|5 concurrent))\s+({NUMBER})"
    rf"\s+({NUMBER}) ms\s+({NUMBER}) ms\s+({NUMBER}) ms\s+({NUMBER}) ms\s+({NUMBER})\s*$",
    re.MULTILINE,
)


def test_quick_run_prints_both_engine_floor_rows():
    env = {k: v for k, v in os.environ.items() if k != "TEMPORAL_ADDRESS"}  # always the embedded server
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {m.group(1): [float(v) for v in m.groups()[1:]] for m in FLOOR_ROW.finditer(done.stdout)}
    assert set(rows) == {"engine floor, sequential", "engine floor, 5 concurrent"}, done.stdout
    assert rows["engine floor, sequential"][-1] == 1.0
    for values in rows.values():
        assert all(math.isfinite(v) and v > 0 for v in values), values


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_stats_from_samples_in_milliseconds():
    stats = Stats.from_samples(
        concurrency=1, seconds=2.0, flows=[0.1, 0.2, 0.3, 0.4], updates=[0.01, 0.02, 0.03, 0.04]
    )
    assert stats.flows == 4
    assert stats.flows_per_s == 2.0
    assert stats.update_p50_ms == pytest.approx(20.0)
    assert stats.update_p99_ms == pytest.approx(40.0)
    assert stats.flow_p50_ms == pytest.approx(200.0)
    assert stats.flow_p99_ms == pytest.approx(400.0)


def _stats(flow_p50_ms: float) -> Stats:
    return Stats(
        flows=10, concurrency=1, seconds=1.0, flows_per_s=10.0, update_p50_ms=5.0,
        update_p99_ms=9.0, flow_p50_ms=flow_p50_ms, flow_p99_ms=2 * flow_p50_ms,
    )


def test_table_reads_every_row_against_the_sequential_floor():
    text = table([("engine floor, sequential", _stats(20.0)), ("registration, sequential", _stats(50.0))])
    header, rule, floor, registration = text.splitlines()
    assert header.split()[0] == "scenario" and header.endswith("× floor")
    assert set(rule.replace(" ", "")) == {"-"}
    assert floor.startswith("engine floor, sequential")
    assert floor.split()[-5:] == ["20.0", "ms", "40.0", "ms", "1.00"]
    assert registration.split()[-5:] == ["50.0", "ms", "100.0", "ms", "2.50"]
    assert " 10.0 " in registration and "5.0 ms" in registration and "9.0 ms" in registration


def test_table_needs_a_floor():
    with pytest.raises(ValueError):
        table([])
