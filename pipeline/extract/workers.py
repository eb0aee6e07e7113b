"""Pool workers that die with the build that started them.

A build killed with SIGKILL (the OOM killer, a CI timeout) cannot tell its pool to stop, and
its workers would wait forever on the job queue (they hold its write end themselves, so they
never see it close). On Linux the kernel kills them when the parent dies
(``prctl(PR_SET_PDEATHSIG)``); elsewhere a thread in each worker watches for being orphaned.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

_PR_SET_PDEATHSIG = 1
ORPHAN_POLL_SECONDS = 1.0


def _pdeathsig() -> bool:
    """Ask the kernel to SIGKILL this process when its parent exits (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_POLL_SECONDS)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Make this (worker) process end when ``parent`` does, however ``parent`` ends."""
    if not _pdeathsig():
        threading.Thread(target=_watch, args=(parent,), daemon=True, name="orphan-watch").start()
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel queued jobs and kill the workers busy with the others.

    Python 3.11 has no public way to end busy workers (3.14 adds ``terminate_workers``); the
    pool's own process table is used, and ``shutdown`` then returns at once.
    """
    processes = dict(getattr(pool, "_processes", None) or {})
    for proc in processes.values():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            proc.kill()
    with contextlib.suppress(Exception):
        pool.shutdown(wait=True, cancel_futures=True)


class Window:
    """A process pool that runs ``fn`` on ``jobs`` with at most ``depth`` jobs per worker in
    flight, and gives the results in the order of the jobs.

    The jobs are submitted as results are taken, so a consumer slower than the pool holds a
    bounded number of results, never all of them. With the fork start method the workers are
    created here, at the first submission.
    """

    def __init__(
        self,
        fn: Callable,
        jobs: Iterable,
        workers: int,
        context: object,
        initializer: Callable | None = None,
        initargs: tuple = (),
        depth: int = 4,
    ) -> None:
        self.fn, self.jobs = fn, iter(jobs)
        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=initializer, initargs=initargs
        )
        self.pending: deque[Future] = deque()
        try:
            self._submit(workers * depth)
        except BaseException:
            stop_workers(self.pool)
            raise

    def _submit(self, n: int) -> None:
        for job in itertools.islice(self.jobs, n):
            self.pending.append(self.pool.submit(self.fn, job))

    def results(self) -> Iterator:
        """Each job's result, in order (a job's exception is raised here)."""
        while self.pending:
            result = self.pending.popleft().result()
            self._submit(1)
            yield result

    def close(self, abandon: bool = False) -> None:
        """Wait for the workers to exit, or stop them now (``abandon``: the build failed)."""
        if abandon:
            stop_workers(self.pool)
        else:
            self.pool.shutdown()


def worker_count(workers: int | None = None) -> int:
    """The processes a build works in: ``workers`` when given, else one per core, at most two
    (the reference machine's; more cost memory for little)."""
    return workers if workers is not None else min(2, os.cpu_count() or 1)


def init_worker(parent: int) -> None:
    """In each pool worker: die with the build, and leave Ctrl-C to it (no traceback here)."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def forked_map(fn: Callable, jobs: list, workers: int) -> Iterator:
    """``map(fn, jobs)`` in ``workers`` forked processes that inherit the caller's state, the
    results in order (a job's exception raised at its place); plain ``map`` where there is no
    fork. The pool stops when the results are all taken, or at once when they are not."""
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods() or len(jobs) < 2:
        yield from map(fn, jobs)
        return
    context = multiprocessing.get_context("fork")
    window = Window(fn, jobs, min(workers, len(jobs)), context, init_worker, (os.getpid(),))
    done = False
    try:
        yield from window.results()
        done = True
    finally:
        window.close(abandon=not done)


_AWAY = None  # the build's "no jobs for you"
_DONE = "done"  # the helper's last message: (_DONE, its peak memory in KB)


def _take(counter: Any) -> int:
    """The next job's index. No lock: a process killed while holding it (the OOM killer may
    take the helper) would stop the other for good. Without one, the two may now and then take
    the same job and both run it (a job's result does not depend on who runs it), never skip
    one: an update lost to the other's only sets the counter back."""
    i = counter.value
    counter.value = i + 1
    return i


class SharedJobs:
    """Jobs shared with one forked helper process: each process takes the next job when it is
    free, so both finish at about the same time whatever each job costs.

    The helper is forked when this is created, so that the caller can open what must not cross
    a fork (a DuckDB database) only afterwards. It waits for :meth:`share`, then runs
    ``setup(context)`` once and the function that returns on each job it takes. A job it took
    and did not finish (it raised, or the helper died) is run again in this process, so what
    it raises is raised here, where the build reports it.
    """

    def __init__(self, setup: Callable[[Any], Callable[[Any], Any]]) -> None:
        context = multiprocessing.get_context("fork")
        self._next = context.RawValue("q", 0)  # shared, unlocked (see _take)
        self._conn, theirs = context.Pipe()
        self._jobs: list = []
        self._sent = False
        # the helper's peak memory (Linux; 0 elsewhere, or if it died): from its fork on, the
        # pages it shares with this process included
        self.peak_rss_kb = 0
        self._process = context.Process(
            target=_help,
            args=(setup, theirs, self._next, os.getpid()),
            name="chitieu-helper",
            daemon=True,
        )
        self._process.start()
        theirs.close()

    @staticmethod
    def available(workers: int | None) -> bool:
        """Whether a helper can run: two cores (or ``workers`` >= 2) and the fork start method."""
        return worker_count(workers) >= 2 and "fork" in multiprocessing.get_all_start_methods()

    def share(self, jobs: list, context: Any, helped: bool = True) -> None:
        """Offer the helper ``jobs`` and what its ``setup`` needs (or, not ``helped``, send it
        away: :meth:`results` then runs every job here)."""
        self._jobs = list(jobs)
        self._conn.send((context, self._jobs) if helped and self._jobs else _AWAY)
        self._sent = True

    def results(self, fn: Callable[[Any], Any]) -> list:
        """``fn(job)`` for each shared job, in the jobs' order (the helper's from its setup)."""
        if not self._sent:
            raise RuntimeError("share() the jobs first")
        jobs, done = self._jobs, {}
        while (i := _take(self._next)) < len(jobs):
            done[i] = fn(jobs[i])
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):  # the helper died
                break
            i, value = message
            if i == _DONE:
                self.peak_rss_kb = value
                break
            done[i] = value
        for i, job in enumerate(jobs):
            if i not in done:  # taken by the helper, not finished
                done[i] = fn(job)
        return [done[i] for i in range(len(jobs))]

    def close(self) -> None:
        """Send the helper away (at once if it is still busy: the caller gave up)."""
        with contextlib.suppress(OSError, ValueError):
            if not self._sent:
                self._conn.send(_AWAY)
            self._conn.close()
        self._process.join(timeout=1.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _help(setup: Callable, conn: Any, counter: Any, parent: int) -> None:
    """The helper: the jobs it takes, each one's result sent back as ``(index, result)``."""
    init_worker(parent)
    try:
        message = conn.recv()
        if message is _AWAY:
            return
        context, jobs = message
        fn = None
        while (i := _take(counter)) < len(jobs):
            fn = fn or setup(context)
            conn.send((i, fn(jobs[i])))
    except BaseException:  # the build runs the unfinished job itself
        pass
    finally:
        with contextlib.suppress(OSError, ValueError):
            conn.send((_DONE, peak_rss_kb()))
            conn.close()


def peak_rss_kb(who: str = "self") -> int:
    """The peak memory of this process, or of its largest reaped child (``who="children"``)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return 0
    usage = resource.getrusage(resource.RUSAGE_SELF if who == "self" else resource.RUSAGE_CHILDREN)
    return usage.ru_maxrss  # KB on Linux
