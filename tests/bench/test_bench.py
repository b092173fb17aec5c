"""The benchmark harness runs end to end, the app deployed as separate processes, and reports
what it measured. Speed itself is never asserted here: `python -m bench` prints ratios measured
in one run (DESIGN.md §9)."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import login, registration
from bench.measure import Recorder, Stats, StepStats, percentile
from bench.report import beside_table, cpu_table, step_table, step_tables, table

REPO = Path(__file__).resolve().parents[2]
NUMBER = r"\d+(?:\.\d+)?"
ROWS = {
    "engine floor, sequential",
    "engine floor, 5 concurrent",
    "engine floor, 8 updates, sequential",
    "one password verification (argon2id)",
    "registration via HTTP, sequential",
    "registration via HTTP, 20 concurrent",
    "login via HTTP, sequential",
    "login via HTTP, 50 concurrent",
}
ROW = re.compile(
    rf"^({'|'.join(re.escape(row) for row in ROWS)})"
    rf"\s+({NUMBER})\s+({NUMBER}) ms\s+({NUMBER}) ms\s+({NUMBER}) ms\s+({NUMBER}) ms\s+({NUMBER})\s*$",
    re.MULTILINE,
)
STEP_ROW = re.compile(rf"^([a-z_]+)\s+({NUMBER}) ms\s+({NUMBER}) ms\s+({NUMBER}) ms\s+({NUMBER}) ms\s*$", re.MULTILINE)
CPU_KINDS = ["API", "workers", "Temporal", "floor worker", "sandboxes", "PostgreSQL", "load generator", "all"]
STEP_TABLES = {
    "registration via HTTP  sequential p50  sequential p99  20 concurrent p50  20 concurrent p99": registration.STEPS,
    "login via HTTP  sequential p50  sequential p99  50 concurrent p50  50 concurrent p99": login.STEPS,
}


def test_quick_run_prints_every_row_and_each_process_steps():
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
    rows = {m.group(1): [float(v) for v in m.groups()[1:]] for m in ROW.finditer(done.stdout)}
    assert set(rows) == ROWS, done.stdout
    assert rows["engine floor, sequential"][-1] == 1.0
    for values in rows.values():
        assert all(math.isfinite(v) and v > 0 for v in values), values
    # Each step table is a block of its own, headed by its process; steps repeat across processes.
    blocks = {block.splitlines()[0]: block for block in done.stdout.split("\n\n")}
    for header, expected in STEP_TABLES.items():
        assert header in blocks, done.stdout
        steps = {m.group(1): [float(v) for v in m.groups()[1:]] for m in STEP_ROW.finditer(blocks[header])}
        assert list(steps) == list(expected), blocks[header]
        for values in steps.values():
            assert all(math.isfinite(v) and v > 0 for v in values), values
    # What one flow cost each kind of process: the app's processes do the app's rows, the floor
    # worker the floor's, and nobody's CPU goes negative.
    cpu = blocks[next(header for header in blocks if header.startswith("CPU-seconds per flow"))].splitlines()
    assert re.split(r"\s{2,}", cpu[0].strip())[1:] == CPU_KINDS, cpu[0]
    spent = {cells[0]: [float(v) for v in cells[1:]] for cells in (re.split(r"\s{2,}", line.strip()) for line in cpu[2:])}
    assert set(spent) == ROWS
    assert all(v >= 0 for values in spent.values() for v in values)
    assert spent["registration via HTTP, sequential"][1] > 0 and spent["engine floor, sequential"][3] > 0
    # Each of the application's rows, read against floors measured just before and just after it.
    beside = blocks[next(header for header in blocks if header.startswith("read against the floors just before and after"))]
    ratios = {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line.strip()) for line in beside.splitlines()[2:])}
    assert set(ratios) == {row for row in ROWS if "HTTP" in row}, beside
    assert all(float(cells[-3].rstrip("×")) > 0 for cells in ratios.values()), beside
    # Each row's workflow task timeouts, read from the histories of the flows it started.
    assert all(re.fullmatch(r"\d+ \(\d+, \d+\)", cells[-1]) for cells in ratios.values()), beside
    assert ratios["login via HTTP, 50 concurrent"][0] == "flows/s" and ratios["login via HTTP, sequential"][0] == "flow p50"


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_stats_from_samples_in_milliseconds_per_step_and_over_all_steps():
    stats = Stats.from_samples(
        concurrency=1, seconds=2.0, flows=[0.1, 0.2, 0.3, 0.4], steps={"a": [0.01, 0.03], "b": [0.02, 0.04]}
    )
    assert stats.flows == 4
    assert stats.flows_per_s == 2.0
    assert stats.step_p50_ms == pytest.approx(20.0)
    assert stats.step_p99_ms == pytest.approx(40.0)
    assert stats.flow_p50_ms == pytest.approx(200.0)
    assert stats.flow_p99_ms == pytest.approx(400.0)
    assert list(stats.steps) == ["a", "b"]
    assert stats.steps["a"].count == 2
    assert stats.steps["a"].p50_ms == pytest.approx(10.0) and stats.steps["a"].p99_ms == pytest.approx(30.0)
    assert stats.steps["b"].p50_ms == pytest.approx(20.0) and stats.steps["b"].p99_ms == pytest.approx(40.0)


async def test_recorder_files_steps_by_name_in_the_order_first_taken():
    recorder = Recorder()

    async def answer(value: int) -> int:
        return value

    assert await recorder.step("second", answer(2)) == 2
    assert await recorder.update(answer(1)) == 1
    await recorder.step("second", answer(3))
    assert list(recorder.steps) == ["second", "update"]
    assert len(recorder.steps["second"]) == 2 and len(recorder.steps["update"]) == 1
    assert all(latency >= 0 for samples in recorder.steps.values() for latency in samples)


def _stats(flow_p50_ms: float, flows_per_s: float = 10.0, steps: dict[str, StepStats] | None = None) -> Stats:
    return Stats(
        flows=10, concurrency=1, seconds=1.0, flows_per_s=flows_per_s, step_p50_ms=5.0,
        step_p99_ms=9.0, flow_p50_ms=flow_p50_ms, flow_p99_ms=2 * flow_p50_ms, steps=steps or {},
    )


def test_table_reads_every_row_against_the_sequential_floor():
    text = table([("engine floor, sequential", _stats(20.0)), ("registration, sequential", _stats(50.0, 0.437))])
    header, rule, floor, registration = text.splitlines()
    assert header.split()[0] == "scenario" and header.endswith("× floor")
    assert set(rule.replace(" ", "")) == {"-"}
    assert floor.startswith("engine floor, sequential")
    assert floor.split()[-5:] == ["20.0", "ms", "40.0", "ms", "1.00"]
    assert registration.split()[-5:] == ["50.0", "ms", "100.0", "ms", "2.50"]
    assert " 0.44 " in registration and "5.0 ms" in registration and "9.0 ms" in registration
    assert " 10.0 " in floor


def test_table_needs_a_floor():
    with pytest.raises(ValueError):
        table([])


def test_step_table_lists_each_step_once_with_p50_and_p99_per_row():
    sequential = _stats(100.0, steps={"organization": StepStats(1, 10.0, 12.0), "link": StepStats(1, 30.0, 35.0)})
    concurrent = _stats(300.0, steps={"organization": StepStats(1, 40.0, 48.0), "terms": StepStats(1, 7.0, 8.0)})
    text = step_table([("registration via HTTP, sequential", sequential), ("registration via HTTP, 20 concurrent", concurrent)])
    header, rule, *lines = text.splitlines()
    assert header.split("  ")[0] == "registration via HTTP"
    assert header.endswith("sequential p50  sequential p99  20 concurrent p50  20 concurrent p99")
    assert set(rule.replace(" ", "")) == {"-"}
    assert [line.split()[0] for line in lines] == ["organization", "link", "terms"]
    assert lines[0].split()[1:] == ["10.0", "ms", "12.0", "ms", "40.0", "ms", "48.0", "ms"]
    assert lines[1].split()[1:] == ["30.0", "ms", "35.0", "ms", "n/a", "n/a"]
    assert lines[2].split()[1:] == ["n/a", "n/a", "7.0", "ms", "8.0", "ms"]


def test_step_table_of_one_row_heads_its_steps_plainly():
    text = step_table([("engine floor, sequential", _stats(20.0, steps={"update": StepStats(3, 5.0, 9.0)}))])
    header = text.splitlines()[0]
    assert header.split()[:2] == ["step", "engine"] and header.endswith("sequential p99")
    with pytest.raises(ValueError):
        step_table([])


def test_step_tables_give_each_process_its_own_table():
    steps = {"start": StepStats(1, 5.0, 6.0)}
    rows = [
        ("registration via HTTP, sequential", _stats(100.0, steps={"organization": StepStats(1, 10.0, 12.0)})),
        ("registration via HTTP, 20 concurrent", _stats(300.0, steps={"organization": StepStats(1, 40.0, 48.0)})),
        ("login via HTTP, sequential", _stats(50.0, steps=steps)),
        ("login via HTTP, 50 concurrent", _stats(90.0, steps=steps)),
    ]
    registration_steps, login_steps = step_tables(rows)
    assert registration_steps == step_table(rows[:2])
    assert login_steps == step_table(rows[2:])
    assert login_steps.splitlines()[0].startswith("login via HTTP  sequential p50")
    assert step_tables([]) == []


def test_cpu_table_lists_each_kind_of_process_and_the_sum():
    text = cpu_table([("engine floor, sequential", {"Temporal": 0.05, "floor worker": 0.02}),
                      ("login via HTTP, sequential", {"API": 0.06, "Temporal": 0.07})])
    header, rule, floor, login_row = text.splitlines()
    assert header.split()[:4] == ["CPU-seconds", "per", "flow", "Temporal"] and header.endswith("API     all")
    assert floor.split()[-4:] == ["0.0500", "0.0200", "0.0000", "0.0700"]
    assert login_row.split()[-4:] == ["0.0700", "0.0000", "0.0600", "0.1300"]
    with pytest.raises(ValueError):
        cpu_table([])


def test_beside_table_reads_sequential_rows_by_latency_and_concurrent_ones_by_rate_against_both_floors():
    text = beside_table([("login via HTTP, sequential", 1, _stats(150.0), _stats(60.0), _stats(40.0), (0, 0, 0)),
                         ("login via HTTP, 50 concurrent", 50, _stats(4000.0, flows_per_s=12.0),
                          _stats(900.0, flows_per_s=48.0), _stats(900.0, flows_per_s=32.0), (2, 0, 1))])
    header, rule, sequential, concurrent = text.splitlines()
    assert header.startswith("read against the floors just before and after")
    # Against the floors' mean (50 ms; 40 flows/s), and against each alone, lower first.
    # Last, the workflow tasks that timed out in the row (and in each floor).
    assert re.split(r"\s{2,}", sequential.strip())[1:] == [
        "flow p50", "150.0 ms", "60.0 ms", "40.0 ms", "3.00×", "2.50–3.75×", "0 (0, 0)"]
    assert re.split(r"\s{2,}", concurrent.strip())[1:] == [
        "flows/s", "12.0", "48.0", "32.0", "0.300", "0.250–0.375", "2 (0, 1)"]
    with pytest.raises(ValueError):
        beside_table([])
