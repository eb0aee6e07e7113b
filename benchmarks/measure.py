"""One benchmark run: a cold validated build in a fresh process, then warm and one-changed
rebuilds, with memory sampled over the process tree and the `gap` read timed three ways."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from pipeline.settings import REFERENCE_DIR, ROOT

FALLBACK_GAP_QUERY = """
SELECT t.geo_code, t.indicator_code, t.year, t.value AS target, a.value AS actual,
       a.value - t.value AS gap
FROM observation t
JOIN observation a
  ON a.geo_code = t.geo_code AND a.indicator_code = t.indicator_code AND a.year = t.year
 AND a.kind = 'actual'
WHERE t.kind = 'target' AND t.value IS NOT NULL AND a.value IS NOT NULL
"""


def _maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KB on Linux


def _tree_pids(pid: int) -> list[int]:
    """``pid`` and its live descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in task.read_text().split())
    return out


def _tree_memory_kb(pid: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) over the process tree: PSS shares forked pages fairly."""
    rss = pss = 0
    for p in _tree_pids(pid):
        try:
            text = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss, pss


class MemorySampler:
    """Peak memory of this process and its children, sampled every ``interval`` seconds."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak_rss_kb = self.peak_pss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.available = Path("/proc/self/smaps_rollup").exists()

    def _loop(self) -> None:
        while not self._stop.is_set():
            rss, pss = _tree_memory_kb(os.getpid())
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()


def _busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def wait_for_quiet(max_wait: float = 120.0, idle_share: float = 0.85, log=print) -> float:
    """Wait until the machine is idle (other jobs skew timings); returns the seconds waited."""
    t0 = time.perf_counter()
    cores = os.cpu_count() or 1
    quiet = 0
    while time.perf_counter() - t0 < max_wait:
        a = _busy_cpu_seconds()
        if a is None:
            return 0.0
        time.sleep(1.0)
        busy = (_busy_cpu_seconds() - a) / cores
        quiet = quiet + 1 if busy <= 1 - idle_share else 0
        if quiet >= 2:
            break
        if quiet == 0 and time.perf_counter() - t0 < 1.5:
            log("bench: the machine is busy; waiting for other jobs to finish ...")
    return time.perf_counter() - t0


def time_gap_query(warehouse: Path, repeats: int = 5) -> dict:
    """Milliseconds to read the whole ``gap`` view: median of ``repeats`` runs after a first one.

    ``gap_query_ms`` is what researchers call, :func:`pipeline.analysis.frames.gap_frame` (every
    row into pandas, in order); ``gap_query_duckdb_df_ms`` is DuckDB's own ``.df()`` of the same
    rows (slower: it builds the strings one Python object at a time); ``gap_query_arrow_ms`` is
    the query into Arrow, the engine's share.
    """
    import duckdb

    from pipeline.analysis import frames

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        has_gap = con.sql(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = 'gap' AND NOT internal"
        ).fetchall()[0][0]
        query = "SELECT * FROM gap" if has_gap else FALLBACK_GAP_QUERY

        def timed(fetch) -> tuple[float, float, int]:
            times, rows = [], 0
            for _ in range(repeats + 1):
                t = time.perf_counter()
                rows = len(fetch())
                times.append((time.perf_counter() - t) * 1000)
            return round(statistics.median(times[1:]), 2), round(times[0], 2), rows

        if has_gap:
            frame_ms, first_ms, rows = timed(lambda: frames.gap_frame(con))
        else:
            frame_ms, first_ms, rows = timed(lambda: frames.frame(con, query))
        df_ms, _first, _rows = timed(lambda: con.sql(query).df())
        arrow_ms, _first, _rows = timed(lambda: con.sql(query).to_arrow_table())
    finally:
        con.close()
    return {
        "gap_query_ms": frame_ms,
        "gap_query_first_ms": first_ms,
        "gap_query_duckdb_df_ms": df_ms,
        "gap_query_arrow_ms": arrow_ms,
        "gap_query": "frames.gap_frame" if has_gap else "fallback join (no gap view yet)",
        "gap_rows": rows,
    }


def measure(raw_dir: Path, work: Path, workers: int | None = None, rebuilds: bool = True) -> dict:
    """Cold build (validated) of ``raw_dir``, then a warm and a one-changed rebuild.

    Meant to run in a fresh process, so that its memory high-water marks are this run's.
    """
    from pipeline.extract import run as extract
    from pipeline.warehouse import build

    def quiet(_m: str) -> None:
        return None

    cache, out = work / "cache", work / "curated"
    busy0, own0 = _busy_cpu_seconds(), _own_cpu_seconds()
    t = time.perf_counter()
    with MemorySampler() as mem:
        rep = build(raw_dir, REFERENCE_DIR, out, cache_dir=cache, workers=workers, log=quiet)
    wall = time.perf_counter() - t
    busy1, own1 = _busy_cpu_seconds(), _own_cpu_seconds()
    ex = extract.last_stats
    self_mb = _maxrss_mb(resource.RUSAGE_SELF)
    pool_mb = ex.pool_peak_rss_kb / 1024
    # the largest child of the build: a pool worker, or the gate's helper (not RUSAGE_CHILDREN:
    # the `git` the build runs for build_info is vforked, and reports the build's own peak)
    child_mb = max(pool_mb, rep.gate_helper_peak_rss_kb / 1024)
    run = {
        "documents": rep.n_sources,
        "observations": rep.n_observations,
        "unmapped": rep.n_unmapped,
        "build_seconds": round(rep.seconds, 3),
        "build_wall_seconds": round(wall, 3),
        "extract_seconds": round(ex.seconds, 3),
        "extract_docs_per_s": round(ex.n_extracted / ex.seconds, 1) if ex.seconds else None,
        "extract_pool_docs_per_s": (
            round(ex.n_extracted / ex.extract_seconds, 1) if ex.extract_seconds else None
        ),
        "n_extracted": ex.n_extracted,
        "workers": ex.workers,
        # CPU per document: unaffected by other jobs on the machine
        "extract_cpu_ms_per_doc": (
            round(ex.cpu_seconds / ex.n_extracted * 1000, 1) if ex.n_extracted else None
        ),
        "validation_seconds": round(rep.validation_seconds, 3),
        "load_seconds": round(rep.seconds - ex.seconds - rep.validation_seconds, 3),
        # the measure: own high-water mark + the largest child's, pool worker or the
        # gate's helper (an upper bound: forked children count the pages they share with the
        # parent again, and the two peaks need not be at the same time)
        "peak_rss_mb": round(self_mb + child_mb, 1),
        "peak_rss_self_mb": round(self_mb, 1),
        "peak_rss_pool_worker_mb": round(pool_mb, 1),
        "peak_rss_child_mb": round(child_mb, 1),
        # sampled every 0.2 s over the process tree: PSS counts shared pages once
        "peak_tree_rss_mb": round(mem.peak_rss_kb / 1024, 1),
        "peak_tree_pss_mb": round(mem.peak_pss_kb / 1024, 1),
        "warehouse_mb": round((out / "warehouse.duckdb").stat().st_size / 2**20, 2),
        # CPU seconds used by other processes during the cold build (they slow it down)
        "other_cpu_seconds": (
            round(max(0.0, (busy1 - busy0) - (own1 - own0)), 1) if busy0 is not None else None
        ),
        "per_source": {p["source_id"]: p["observations"] for p in rep.per_source},
    }
    run.update(time_gap_query(out / "warehouse.duckdb"))
    if rebuilds:
        rep = build(raw_dir, REFERENCE_DIR, out, cache_dir=cache, workers=workers, log=quiet)
        run["warm_rebuild_seconds"] = round(rep.seconds, 3)
        run["warm_n_extracted"] = rep.n_extracted
        run["warm_extract_seconds"] = round(extract.last_stats.seconds, 3)
        first = sorted(raw_dir.glob("*.txt"))[0]
        with first.open("a", encoding="utf-8") as fh:
            fh.write("\nGhi chú: tài liệu đã được cập nhật.\n")
        rep = build(raw_dir, REFERENCE_DIR, out, cache_dir=cache, workers=workers, log=quiet)
        run["one_changed_rebuild_seconds"] = round(rep.seconds, 3)
        run["one_changed_n_extracted"] = rep.n_extracted
        run["one_changed_extract_seconds"] = round(extract.last_stats.seconds, 3)
        run["one_changed_validation_seconds"] = round(rep.validation_seconds, 3)
    return run


def measure_in_child(raw_dir: Path, work: Path, workers: int | None) -> dict:
    """Run :func:`measure` in a fresh interpreter and return what it reports."""
    out = work / "run.json"
    code = (
        "import json, sys; from pathlib import Path; from benchmarks import measure; "
        "r = measure.measure(Path(sys.argv[1]), Path(sys.argv[2]), "
        "None if sys.argv[3] == '-' else int(sys.argv[3])); "
        "Path(sys.argv[4]).write_text(json.dumps(r))"
    )
    args = [sys.executable, "-c", code, str(raw_dir), str(work), str(workers or "-"), str(out)]
    done = subprocess.run(args, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-25:])
        raise BenchError(f"the build of {raw_dir} failed:\n{tail}")
    return json.loads(out.read_text())


class BenchError(RuntimeError):
    """A benchmark build failed (the message carries the end of its error output)."""
