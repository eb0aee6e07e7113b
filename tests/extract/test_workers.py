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

run.extract_one = slow
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


def start(script: str = SCRIPT, n: int = 2) -> tuple[subprocess.Popen, list[int]]:
    """A parent running ``script``, once its ``n`` child processes (pool workers) have started."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    pid = int(proc.stdout.readline())
    deadline = time.monotonic() + 20
    while len(workers := children(pid)) < n:
        assert time.monotonic() < deadline, "the child processes did not start"
        time.sleep(0.05)
    return proc, workers


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kill_left(pids: list[int]) -> None:
    """What a failed test leaves running, ended."""
    for p in pids:
        if alive(p):
            os.kill(p, signal.SIGKILL)


def ctrl_c_ends_quietly(proc: subprocess.Popen) -> None:
    """Ctrl-C as a terminal sends it (to the whole process group): the parent says it was
    interrupted, and nothing prints a traceback."""
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert "interrupted" in out
    assert "Traceback" not in err, err


def test_workers_die_when_the_build_is_killed() -> None:
    proc, workers = start()
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert wait_gone(workers) == []
    finally:
        kill_left(workers)


def test_ctrl_c_stops_the_pool_without_a_traceback_from_workers() -> None:
    proc, workers = start()
    try:
        ctrl_c_ends_quietly(proc)
        assert wait_gone(workers) == []
    finally:
        kill_left(workers)


# ------------------------------------------------------------- jobs shared with a helper process

HELPER_SCRIPT = """
import os, time
from pipeline.extract.workers import SharedJobs

def setup(context):
    return lambda job: time.sleep(60)

helper = SharedJobs(setup)
print(os.getpid(), flush=True)
helper.share(list(range(4)), None)
try:
    helper.results(lambda job: time.sleep(60))
except KeyboardInterrupt:
    print("interrupted", flush=True)
finally:
    helper.close()
"""


@pytest.mark.parametrize("how", ["SIGKILL", "Ctrl-C"])
def test_the_helper_ends_with_the_build(how: str) -> None:
    proc, helpers = start(HELPER_SCRIPT, 1)
    try:
        time.sleep(0.5)  # both busy with a job
        if how == "SIGKILL":
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        else:
            ctrl_c_ends_quietly(proc)
        assert wait_gone(helpers) == []
    finally:
        kill_left(helpers)


def _pid_of(job: int) -> tuple[int, int]:
    time.sleep(0.01)
    return job * job, os.getpid()


def shared_results(helper, fn, jobs: list, context, helped: bool = True) -> list:
    """``helper.share(jobs, context)`` and ``helper.results(fn)``, the helper sent away after
    whatever happens."""
    try:
        helper.share(jobs, context, helped=helped)
        return helper.results(fn)
    finally:
        helper.close()


def test_shared_jobs_give_every_result_in_order_from_both_processes() -> None:
    from pipeline.extract.workers import SharedJobs

    helper = SharedJobs(lambda context: lambda job: (job * job + context, os.getpid()))
    got = shared_results(helper, _pid_of, list(range(60)), 0)
    assert [v for v, _ in got] == [i * i for i in range(60)]
    assert len({pid for _, pid in got}) == 2  # the helper took some of them


def test_a_counter_set_back_only_runs_jobs_twice(tmp_path: Path) -> None:
    """The counter the two processes take jobs from has no lock (a helper killed holding it
    would stop the build for good), so an update can be lost to the other process's: the
    counter goes back, and jobs run twice. The results are still every job's, in order."""
    from pipeline.extract.workers import SharedJobs

    runs = tmp_path / "runs"

    def logged(job: int) -> tuple[int, int]:
        with runs.open("a") as f:
            f.write(f"{job}\n")
        return _pid_of(job)

    helper = SharedJobs(lambda context: logged)
    assert not hasattr(helper._next, "get_lock")
    ran_here = []

    def fn(job: int):
        ran_here.append(job)
        if len(ran_here) == 3:
            helper._next.value = 0  # as if an older update of the other process's landed now
        return logged(job)

    got = shared_results(helper, fn, list(range(40)), 0)
    assert [v for v, _ in got] == [i * i for i in range(40)]
    assert len(runs.read_text().split()) > 40  # some jobs ran twice


@pytest.mark.parametrize("how", ["raises", "dies"])
def test_a_job_the_helper_does_not_finish_is_run_again_here(how: str) -> None:
    from pipeline.extract.workers import SharedJobs

    def setup(context: str):
        def fn(job: int):
            if job == 2 and context == "raises":
                raise ValueError("only the build process reports what a job raises")
            if job == 2:
                os._exit(1)  # the helper dies with the job taken
            return job, os.getpid()

        return fn

    here, ran_here = os.getpid(), []

    def fn(job: int):
        if job == 0:
            time.sleep(0.5)  # meanwhile the helper takes jobs 1 and 2
        ran_here.append(job)
        if job == 2 and how == "raises":
            raise ZeroDivisionError("raised here, as it would be without a helper")
        return job, here

    helper = SharedJobs(setup)
    try:
        helper.share(list(range(12)), how)
        if how == "raises":
            with pytest.raises(ZeroDivisionError):
                helper.results(fn)
        else:
            got = helper.results(fn)
            assert [v for v, _ in got] == list(range(12))
            assert got[1][1] != here  # the helper's
    finally:
        helper.close()
    assert ran_here[-1] == 2  # taken by the helper first, then run again here, last
    assert 1 not in ran_here


def test_jobs_not_shared_all_run_here() -> None:
    from pipeline.extract.workers import SharedJobs

    helper = SharedJobs(lambda context: lambda job: (job, os.getpid()))
    got = shared_results(helper, lambda job: (job, os.getpid()), list(range(20)), None, False)
    assert got == [(i, os.getpid()) for i in range(20)]
