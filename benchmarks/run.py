"""Synthetic-corpus benchmark: ``make bench`` (``python -m benchmarks``).

The corpus imitates a national one (``benchmarks.corpus``): every layout the project reads is a
template — the seed plans (PDF-flattened tables, tab-separated tables, prose), the statistics
pages of the test suite (yearbook, Ministry and portal tables) and CSV tables (long and wide) —
drawn in the proportions of a national corpus. A synthetic document is a template with its
figures perturbed within the indicator's plausible range (printed in the same number format),
for plans the rows of its tab-separated tables reordered and some row labels replaced by other
names of the same indicator from the catalog, its years shifted by a few years and its place
renamed to another of the reference geography; a sidecar goes with it. A fixed random seed
makes the corpus reproducible. The report records the mix (documents per kind and per layout)
and, per kind, each document's observations over its template's (1.0 when the copies read as
their templates do).

For each size the corpus is built in a fresh process (so peak RSS belongs to that run only)
with a fresh extraction cache (cold) and validation on; then rebuilt with nothing changed (warm)
and after one document changed. One table is printed, and the runs are written to
``reports/bench/<timestamp>.json``.

Timings on a shared machine suffer from other jobs: the benchmark first waits (up to two
minutes) for the machine to be idle, reports the CPU seconds other processes used during each
cold build, and reports extraction CPU per document, which other jobs barely affect.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks.corpus import (
    SEED,
    generate_corpus,
    load_templates,
    observation_ratios,
    observation_ratios_by_kind,
)
from benchmarks.measure import BenchError, measure_in_child, wait_for_quiet
from pipeline.settings import BENCH_REPORT_DIR, ROOT

DEFAULT_SIZES = [100, 1000]
REPORT_DIR = BENCH_REPORT_DIR

# Targets from the issues, for the 2-core reference machine: at 1,000 documents (#8) ...
TARGET_BUILD_S_1000 = 20.0
TARGET_EXTRACT_DOCS_S = 200.0
TARGET_RSS_MB = 1024.0
TARGET_GAP_MS = 50.0
TARGET_SCALING = 11.0  # 10x the documents costs at most 11x the time
# ... and at national scale, 10,000 documents and more (#15)
NATIONAL_N = 10_000
TARGET_BUILD_S_NATIONAL = 60.0
TARGET_RSS_MB_NATIONAL = 2048.0
TARGET_ONE_CHANGED_S_NATIONAL = 5.0
TARGET_UNCHANGED_S_NATIONAL = 2.0
# extraction per document at 10x the documents is at least as fast, within this much noise
SCALING_NOISE = 0.05


COLUMNS = [
    ("documents", "docs", "{:d}"),
    ("observations", "observations", "{:d}"),
    ("extract_docs_per_s", "extract docs/s", "{:.1f}"),
    ("extract_cpu_ms_per_doc", "extract CPU ms/doc", "{:.1f}"),
    ("build_seconds", "build s", "{:.2f}"),
    ("validation_seconds", "validation s", "{:.2f}"),
    ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
    ("peak_tree_pss_mb", "peak PSS MB", "{:.0f}"),
    ("gap_query_ms", "gap ms (gap_frame)", "{:.1f}"),
    ("gap_query_duckdb_df_ms", "gap ms (.df())", "{:.1f}"),
    ("gap_query_arrow_ms", "gap ms (arrow)", "{:.1f}"),
    ("warm_rebuild_seconds", "warm rebuild s", "{:.2f}"),
    ("one_changed_rebuild_seconds", "1-changed rebuild s", "{:.2f}"),
    ("other_cpu_seconds", "other jobs' CPU s", "{:.1f}"),
]


def format_table(runs: list[dict]) -> str:
    head = [h for _k, h, _f in COLUMNS]
    rows = [[f.format(r[k]) if r.get(k) is not None else "-" for k, _h, f in COLUMNS] for r in runs]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    line = "  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(out)


def check_targets(runs: list[dict]) -> list[str]:
    """One line per target of the issues: met or not, with the measured figure."""
    lines = []

    def mark(ok: bool) -> str:
        return "ok  " if ok else "MISS"

    for r in runs:
        n = r["documents"]
        national = n >= NATIONAL_N
        cpu = r.get("extract_cpu_ms_per_doc")
        ceiling = (
            f"; {cpu:.0f} CPU ms/doc, so at most {1000 * r['workers'] / cpu:.0f} docs/s with "
            f"{r['workers']} idle cores"
            if cpu and r.get("workers")
            else ""
        )
        if not national:
            lines.append(
                f"{mark(r['extract_docs_per_s'] >= TARGET_EXTRACT_DOCS_S)} N={n}: extraction "
                f"{r['extract_docs_per_s']:.0f} docs/s (target >= {TARGET_EXTRACT_DOCS_S:.0f}"
                f"{ceiling})"
            )
        rss_target = TARGET_RSS_MB_NATIONAL if national else TARGET_RSS_MB
        pss = r.get("peak_tree_pss_mb")
        lines.append(
            f"{mark(r['peak_rss_mb'] < rss_target)} N={n}: peak RSS {r['peak_rss_mb']:.0f} MB"
            f" (target < {rss_target:.0f}; self + largest child: pool worker or gate helper"
            + (f"; sampled process-tree PSS {pss:.0f} MB)" if pss else ")")
        )
        if n >= 1000:
            build_target = TARGET_BUILD_S_NATIONAL if national else TARGET_BUILD_S_1000
            lines.append(
                f"{mark(r['build_seconds'] < build_target)} N={n}: build "
                f"{r['build_seconds']:.1f} s incl. validation (target < {build_target:.0f})"
            )
            lines.append(
                f"{mark(r['gap_query_ms'] < TARGET_GAP_MS)} N={n}: gap query "
                f"{r['gap_query_ms']:.1f} ms into pandas with {r['gap_query']} "
                f"(DuckDB's .df() {r.get('gap_query_duckdb_df_ms', 0):.1f} ms, Arrow "
                f"{r.get('gap_query_arrow_ms', 0):.1f} ms), {r.get('gap_rows', 0)} rows "
                f"(target < {TARGET_GAP_MS:.0f})"
            )
        if "warm_n_extracted" in r:
            warm_ok = r["warm_n_extracted"] == 0
            one_ok = r["one_changed_n_extracted"] == 1
            warm_target = one_target = ""
            if national:
                warm_ok = warm_ok and r["warm_rebuild_seconds"] < TARGET_UNCHANGED_S_NATIONAL
                one_ok = one_ok and r["one_changed_rebuild_seconds"] < TARGET_ONE_CHANGED_S_NATIONAL
                warm_target = f" (target < {TARGET_UNCHANGED_S_NATIONAL:.0f} s)"
                one_target = f" (target < {TARGET_ONE_CHANGED_S_NATIONAL:.0f} s)"
            lines.append(
                f"{mark(warm_ok)} N={n}: unchanged rebuild extracted "
                f"{r['warm_n_extracted']} documents in {r['warm_rebuild_seconds']:.2f} s"
                + warm_target
            )
            lines.append(
                f"{mark(one_ok)} N={n}: one changed document: "
                f"extracted {r['one_changed_n_extracted']}, rebuild "
                f"{r['one_changed_rebuild_seconds']:.2f} s (extraction "
                f"{r['one_changed_extract_seconds']:.2f} s)" + one_target
            )
        ratio = r.get("obs_ratio_to_template")
        if ratio:
            exact = ratio["min"] == ratio["max"] == 1.0
            lines.append(
                f"{mark(exact)} N={n}: observations per document / its template's: min "
                f"{ratio['min']}, median {ratio['median']}, max {ratio['max']} (target 1.0)"
            )
        other = r.get("other_cpu_seconds")
        if other is not None and other > 0.1 * r.get("build_wall_seconds", r["build_seconds"]):
            lines.append(
                f"note N={n}: other processes used {other:.1f} CPU s during the cold build; "
                "its timings are pessimistic"
            )
    by_n = {r["documents"]: r for r in runs}
    for n in sorted(by_n):
        if 10 * n not in by_n:
            continue
        small, big = by_n[n], by_n[10 * n]
        ratio = big["build_seconds"] / small["build_seconds"]
        lines.append(
            f"{mark(ratio <= TARGET_SCALING)} 10x documents ({n} -> {10 * n}) cost "
            f"{ratio:.1f}x the build time (target <= {TARGET_SCALING:.0f}x)"
        )
        if n < 1000:
            continue
        slack = 1 + SCALING_NOISE
        for key, label, better in (
            ("extract_cpu_ms_per_doc", "extraction CPU ms/doc", "lower"),
            ("extract_docs_per_s", "extraction docs/s", "higher"),
        ):
            a, b = small.get(key), big.get(key)
            if not a or not b:
                continue
            ok = b <= a * slack if better == "lower" else b * slack >= a
            lines.append(
                f"{mark(ok)} {label} at {10 * n}: {b:.1f}, at {n}: {a:.1f} (target: "
                f"at least as fast, within {SCALING_NOISE:.0%} noise)"
            )
    return lines


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() or None
    except OSError:
        return None


def run(
    sizes: list[int],
    *,
    seed: int = SEED,
    workers: int | None = None,
    report_dir: Path | None = REPORT_DIR,
    quiet_first: bool = True,
    log=print,
) -> list[dict]:
    """Generate, build and measure each size; returns the runs (and writes the JSON report)."""
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    log("bench: analysing the templates (every layout: plans, statistics pages, CSV tables) ...")
    templates = load_templates()
    runs = []
    base = Path(tempfile.mkdtemp(prefix="chitieu-bench-"))
    try:
        for n in sizes:
            work = base / f"n{n}"
            corpus = generate_corpus(n, work / "raw", seed=seed, templates=templates)
            kinds = ", ".join(f"{v} {k}" for k, v in corpus.mix()["kinds"].items())
            log(f"bench: N={n}: generated in {corpus.seconds:.1f} s ({kinds}); building ...")
            waited = wait_for_quiet(log=log) if quiet_first else 0.0
            r = measure_in_child(corpus.raw_dir, work, workers)
            per_source = r.pop("per_source")
            ratios = observation_ratios(corpus, per_source)
            mix = corpus.mix()
            r = {
                "n": n,
                **r,
                "mix": mix,
                "obs_ratio_to_template": ratios,
                "obs_ratio_by_kind": observation_ratios_by_kind(corpus, per_source),
                "generate_seconds": round(corpus.seconds, 3),
                "waited_for_quiet_seconds": round(waited, 1),
                "seed": seed,
                "timestamp": stamp,
                "cpu_count": os.cpu_count(),
                "python": platform.python_version(),
                "git_commit": _git_commit(),
            }
            log(
                f"bench: N={n}: {r['observations']} observations, build {r['build_seconds']:.2f} s,"
                f" observations per document / template's: min {ratios['min']}, median "
                f"{ratios['median']}, max {ratios['max']}"
            )
            runs.append(r)
            shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        path = report_dir / f"{stamp}.json"
        path.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        log(f"bench: report written to {shown}")
    return runs


def main(sizes: list[int] | None = None) -> list[dict]:
    sizes = sizes or DEFAULT_SIZES
    try:
        runs = run(sizes)
    except BenchError as e:
        raise SystemExit(f"bench stopped: {e}") from None
    print()
    print(format_table(runs))
    print()
    for line in check_targets(runs):
        print(line)
    return runs
