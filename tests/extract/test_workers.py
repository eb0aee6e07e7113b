"""Pool workers die with the build that started them, and leave Ctrl-C to it: real processes,
real signals (a build killed with SIGKILL used to leave its workers waiting forever)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.settings import ROOT

# A parent that starts the real pool on four documents whose extraction takes a minute.
SCRIPT = """
import os, sys, tempfile, time
from pathlib import Path
import pipeline.extract.run as run
from pipeline.extract.cache import Cache

def slow(source, reference_dir, catalog=None):
    time.sleep(60)

run.extract_rows = slow
run.PARALLEL_THRESHOLD = 2
print(os.getpid(), flush=True)
cache = Cache(Path(tempfile.mkdtemp()), lambda _m: None)
keys = [f"{i:032d}" for i in range(4)]
stream = run.RowStream([object()] * 4, [0, 1, 2, 3], Path("."), None, cache, keys, 2)
try:
    with stream:
        for _ in stream:
            pass
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has ended


def start() -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    pid = int(proc.stdout.readline())
    deadline = time.monotonic() + 20
    while len(workers := children(pid)) < 2:
        assert time.monotonic() < deadline, "the pool did not start"
        time.sleep(0.05)
    return proc, workers


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_workers_die_when_the_build_is_killed() -> None:
    proc, workers = start()
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert wait_gone(workers) == []
    finally:
        for p in workers:
            if alive(p):
                os.kill(p, signal.SIGKILL)


def test_ctrl_c_stops_the_pool_without_a_traceback_from_workers() -> None:
    proc, workers = start()
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends: the whole process group
        out, err = proc.communicate(timeout=20)
        assert "interrupted" in out
        assert "Traceback" not in err, err
        assert wait_gone(workers) == []
    finally:
        for p in workers:
            if alive(p):
                os.kill(p, signal.SIGKILL)
