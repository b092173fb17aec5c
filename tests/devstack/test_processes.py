"""What a killed dev supervisor leaves behind is found by its pid file and stopped on the next
start — its own processes only, named by pid and start time, never a stranger's."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from devstack.processes import AlreadyRunning, PidFile, started_at


def sleeper() -> subprocess.Popen:
    return subprocess.Popen(["sleep", "300"], start_new_session=True)


def write(data, entries) -> PidFile:
    pids = PidFile(data)
    pids.path.write_text(json.dumps(entries))
    return pids


def test_a_stale_child_of_ours_is_stopped_and_the_file_removed(tmp_path):
    child = sleeper()
    try:
        pids = write(tmp_path, [
            {"name": "supervisor", "pid": 999999, "started": 1},  # long gone
            {"name": "temporal", "pid": child.pid, "started": started_at(child.pid)},
        ])
        assert pids.stop_stale() == ["temporal"]
        assert child.wait(timeout=10) is not None
        assert not pids.path.exists()
    finally:
        child.kill()


def test_a_process_that_only_has_a_recorded_pid_is_a_stranger_and_left_alone(tmp_path):
    stranger = sleeper()
    try:
        pids = write(tmp_path, [{"name": "api", "pid": stranger.pid, "started": started_at(stranger.pid) - 1}])
        assert pids.stop_stale() == []
        assert stranger.poll() is None
    finally:
        stranger.kill()


def test_a_live_supervisor_is_another_stack_and_refused(tmp_path):
    pids = write(tmp_path, [{"name": "supervisor", "pid": os.getpid(), "started": started_at(os.getpid())}])
    with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
        pids.stop_stale()
    assert pids.path.exists()


def test_a_child_asks_to_die_with_its_parent(tmp_path):
    """The parent here is a short-lived python; killed, it takes its sleeping child along."""
    marker = tmp_path / "child.pid"
    script = (
        "import os, subprocess, sys, time\n"
        "from devstack.processes import die_with_parent\n"
        "child = subprocess.Popen(['sleep', '300'], preexec_fn=die_with_parent(os.getpid()), start_new_session=True)\n"
        f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(300)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=os.getcwd())
    try:
        for _ in range(100):
            if marker.exists() and marker.read_text():
                break
            subprocess.run(["sleep", "0.1"])
        child_pid = int(marker.read_text())
        assert started_at(child_pid) is not None
        parent.kill()
        parent.wait()
        for _ in range(100):
            if started_at(child_pid) is None:
                break
            subprocess.run(["sleep", "0.1"])
        assert started_at(child_pid) is None, "the child outlived its killed parent"
    finally:
        parent.kill()
