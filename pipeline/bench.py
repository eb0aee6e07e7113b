"""Synthetic-corpus benchmark: ``make bench`` (``python -m pipeline bench``).

The seed documents in ``data/raw`` are the layout templates. A synthetic document is a seed
text with its figures perturbed within the indicator's plausible range (printed in the same
Vietnamese number format), the rows of its tab-separated tables reordered and some row labels
replaced by other names of the same indicator from the catalog, its years shifted by a few
years and its place renamed to a province drawn from the reference list; a sidecar goes with it.
A fixed random seed makes the corpus reproducible.

For each size the corpus is built in a fresh process (so peak RSS belongs to that run only)
with a fresh extraction cache (cold) and validation on; then rebuilt with nothing changed (warm)
and after one document changed. One table is printed, and the runs are written to
``reports/bench/<timestamp>.json``.

Timings on a shared machine suffer from other jobs: the benchmark first waits (up to two
minutes) for the machine to be idle, reports the CPU seconds other processes used during each
cold build, and reports extraction CPU per document, which other jobs barely affect.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.grammar import NUMBER, parse_number
from pipeline.raw import RAW_DIR, Source, discover
from pipeline.reference import REFERENCE_DIR, Catalog, GeoResolver, geo_table, load_catalog
from pipeline.text import fold, fold_phrase

ROOT = Path(__file__).resolve().parent.parent
REPORT_DIR = ROOT / "reports" / "bench"
DEFAULT_SIZES = [100, 1000]
SEED = 20240601

PERTURB = 0.15  # figures move by at most ±15 % (then clamped to the plausible range)
YEAR_SHIFTS = (-4, -3, -2, -1, 0, 1, 2)  # whole documents move by a few years
RELABEL_P = 0.5  # chance that a table row with a verified alternative name is renamed

# Targets from the issue, for the 2-core reference machine.
TARGET_BUILD_S_1000 = 20.0
TARGET_EXTRACT_DOCS_S = 200.0
TARGET_RSS_MB = 1024.0
TARGET_GAP_MS = 50.0
TARGET_SCALING = 11.0  # 10x the documents costs at most 11x the time

_NUMBER_RE = re.compile(NUMBER)
_YEAR = re.compile(r"(?<![\d.,])(?:19[89]\d|20[0-5]\d)(?!\d|[.,]\d)")
_TSV_ROW = re.compile(r"^\s*\d{1,3}\t")


# ------------------------------------------------------------------------------- templates


@dataclass
class Figure:
    """A printed figure of a template: where it is, and how far it may move."""

    line: int  # 0-based line of the raw text
    start: int  # character span of the number inside the line
    end: int
    printed: str  # '9,5', '5.130', '100'
    low: float  # plausible range in the printed scale
    high: float


@dataclass
class Template:
    key: str  # short name, used in synthetic file names
    source_id: str
    lines: list[str]
    meta: dict
    names: list[str]  # spellings of the template's place, replaced by the new province
    figures: list[Figure]
    labels: dict[int, tuple[int, int, list[str]]]  # tsv line -> label span, verified aliases
    n_observations: int


def _key(source_id: str) -> str:
    return "-".join(source_id.split("-")[:2])


def _occurrences(line: str, number: str) -> list[tuple[int, int]]:
    rx = re.compile(r"(?<![\w.,/])" + re.escape(number) + r"(?!\w|[.,]\d)")
    return [m.span() for m in rx.finditer(line)]


def _figures(lines: list[str], obs, catalog: Catalog) -> list[Figure]:
    """Locate each observation's number in the raw lines (rightmost unclaimed occurrence)."""
    taken: set[tuple[int, int]] = set()
    out: list[Figure] = []
    for r in obs.itertuples(index=False):
        if _missing(r.value) or not _missing(r.value_upper):  # qualitative, or a range
            continue
        m = _NUMBER_RE.search(fold(str(r.value_reported)))
        if m is None:
            continue
        printed = m.group()
        scale = _parse(printed)
        if not scale or not r.value:
            continue
        k = float(r.value) / scale  # value in the canonical unit per printed unit
        low, high = catalog.indicators[r.indicator_code].range
        for ln in range(int(r.line_end) - 1, int(r.line_start) - 2, -1):
            spans = [s for s in _occurrences(lines[ln], printed) if (ln, s[0]) not in taken]
            if spans:
                a, b = spans[-1]
                taken.add((ln, a))
                out.append(Figure(ln, a, b, printed, float(low) / k, float(high) / k))
                break
    return out


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and x != x)


def _parse(printed: str) -> float | None:
    return parse_number(printed)


def _aliases(catalog: Catalog, code: str) -> list[str]:
    """Names of an indicator as printed: its Vietnamese name and its single-phrase aliases."""
    ind = catalog.indicators[code]
    names = [ind.name_vi] + [m for m in ind.match if isinstance(m, str)]
    seen, out = set(), []
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(n[:1].upper() + n[1:])
    return out


def _line_codes(obs) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for r in obs.itertuples(index=False):
        out.setdefault(int(r.line_start) - 1, []).append((r.indicator_code, r.kind, r.year))
    return {k: sorted(v) for k, v in out.items()}


def _tsv_labels(lines: list[str], obs, catalog: Catalog, source: Source, reference_dir: Path):
    """Table rows whose label cell may be renamed, with the aliases verified to read the same.

    A candidate name is kept only if the template, with that row renamed, still yields the same
    (indicator, kind, year) on that line: verified by extraction, a few rounds per template.
    """
    from pipeline.extract import extract_one

    label_of = {}
    for r in obs.itertuples(index=False):
        ln = int(r.line_start) - 1
        if r.line_start != r.line_end or not _TSV_ROW.match(lines[ln]):
            continue
        cells = lines[ln].split("\t")
        if len(cells) < 3 or cells[1].strip() != str(r.label_reported).strip():
            continue
        a = len(cells[0]) + 1
        current = fold_phrase(cells[1])
        cands = [c for c in _aliases(catalog, r.indicator_code) if fold_phrase(c) != current]
        label_of[ln] = (a, a + len(cells[1]), cands)
    if not label_of:
        return {}
    want = _line_codes(obs)
    verified: dict[int, list[str]] = {ln: [] for ln in label_of}
    rounds = max(len(c) for _a, _b, c in label_of.values())
    for k in range(rounds):
        trial = list(lines)
        for ln, (a, b, cands) in label_of.items():
            if k < len(cands):
                trial[ln] = trial[ln][:a] + cands[k] + trial[ln][b:]
        variant = dataclasses.replace(source, text="\n".join(trial))
        got = _line_codes(extract_one(variant, reference_dir, catalog).observations)
        for ln, (_a, _b, cands) in label_of.items():
            if k < len(cands) and got.get(ln) == want.get(ln):
                verified[ln].append(cands[k])
    return {ln: (a, b, verified[ln]) for ln, (a, b, _c) in label_of.items() if verified[ln]}


def _place_names(source: Source, geo) -> list[str]:
    name = str(geo.loc[geo["geo_code"] == source.geo_code, "name_vi"].iloc[0])
    variants = {name, name.replace(" - ", "-"), name.replace("-", " - ").replace("  ", " ")}
    return sorted(variants, key=len, reverse=True)


def load_templates(raw_dir: Path = RAW_DIR, reference_dir: Path = REFERENCE_DIR) -> list[Template]:
    """The seed documents, analysed: where their figures and renamable labels are."""
    from pipeline.extract import extract_one

    catalog = load_catalog(reference_dir)
    geo = geo_table(reference_dir)
    out = []
    for s in discover(raw_dir, GeoResolver(geo)):
        res = extract_one(s, reference_dir, catalog)
        lines = s.text.split("\n")
        meta = yaml.safe_load(s.sidecar.read_text(encoding="utf-8"))
        out.append(
            Template(
                key=_key(s.source_id),
                source_id=s.source_id,
                lines=lines,
                meta=meta,
                names=_place_names(s, geo),
                figures=_figures(lines, res.observations, catalog),
                labels=_tsv_labels(lines, res.observations, catalog, s, reference_dir),
                n_observations=len(res.observations),
            )
        )
    return out


# ------------------------------------------------------------------------------- generator


def _format_like(printed: str, value: float) -> str:
    """``value`` written as ``printed`` is: thousands dot, decimal comma, same decimals."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", printed):
        dec = len(printed.split(",")[1]) if "," in printed else 0
        s = f"{value:,.{dec}f}"
        return s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    if "," in printed:
        return f"{value:.{len(printed.split(',')[1])}f}".replace(".", ",")
    if "." in printed:
        return f"{value:.{len(printed.split('.')[1])}f}"
    return str(round(value))


def _perturb(fig: Figure, rng: random.Random) -> str:
    old = _parse(fig.printed) or 0.0
    new = min(max(old * (1 + rng.uniform(-PERTURB, PERTURB)), fig.low), fig.high)
    text = _format_like(fig.printed, new)
    value = _parse(text)
    if (
        value is None
        or not fig.low <= value <= fig.high
        or (value == 0 and old != 0)
        or _YEAR.fullmatch(text)  # a bare 4-digit figure must not read as a year
    ):
        return fig.printed
    return text


def _shift_years(text: str, shift: int) -> str:
    if not shift:
        return text
    return _YEAR.sub(lambda m: str(int(m.group()) + shift), text)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class SyntheticDoc:
    source_id: str
    template: str
    province_code: str
    year_shift: int
    n_figures_changed: int
    n_relabelled: int
    n_rows_reordered: int


@dataclass
class Corpus:
    raw_dir: Path
    documents: list[SyntheticDoc]
    template_observations: dict[str, int]  # template key -> observations of the seed
    seconds: float = 0.0
    seed: int = SEED


def _render(t: Template, province: dict, rng: random.Random) -> tuple[str, dict, dict]:
    lines = list(t.lines)
    changed = relabelled = reordered = 0
    # figures, right to left within a line so spans stay valid
    for fig in sorted(t.figures, key=lambda f: (f.line, -f.start)):
        new = _perturb(fig, rng)
        if new != fig.printed:
            changed += 1
        line = lines[fig.line]
        lines[fig.line] = line[: fig.start] + new + line[fig.end :]
    # row labels (the label cell precedes every figure of a tab-separated row)
    for ln, (a, b, aliases) in t.labels.items():
        if rng.random() < RELABEL_P:
            lines[ln] = lines[ln][:a] + rng.choice(aliases) + lines[ln][b:]
            relabelled += 1
    # row order inside each block of tab-separated numbered rows
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _TSV_ROW.match(lines[j]):
            j += 1
        if j - i > 1:
            block = lines[i:j]
            rng.shuffle(block)
            lines[i:j] = block
            reordered += j - i
        i = j + 1
    shift = rng.choice(YEAR_SHIFTS)
    text = _shift_years("\n".join(lines), shift)
    meta = {}
    for k, v in t.meta.items():
        if k in ("source_id", "url", "notes"):
            continue
        if isinstance(v, str):
            v = _shift_years(v, shift)
            for name in t.names:
                v = v.replace(name, province["name_vi"])
        elif isinstance(v, dt.date):
            v = _shift_years(v.isoformat(), shift)
        elif isinstance(v, int) and k in ("issued_on", "default_year"):
            v += shift
        meta[k] = v
    for name in t.names:
        text = text.replace(name, province["name_vi"])
    meta["geo"] = province["name_vi"]
    meta["notes"] = f"synthetic benchmark document from {t.source_id} (chitieu bench)"
    stats = {"changed": changed, "relabelled": relabelled, "reordered": reordered, "shift": shift}
    return text, meta, stats


def generate_corpus(
    n: int,
    out_dir: Path,
    *,
    seed: int = SEED,
    templates: list[Template] | None = None,
    reference_dir: Path = REFERENCE_DIR,
) -> Corpus:
    """Write ``n`` synthetic documents (``.txt`` + ``.yaml``) into ``out_dir``."""
    import csv

    t0 = time.perf_counter()
    templates = templates if templates is not None else load_templates()
    with (reference_dir / "provinces_before_2025_07.csv").open(encoding="utf-8") as fh:
        provinces = list(csv.DictReader(fh))
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    docs = []
    for i in range(n):
        t = rng.choice(templates)
        prov = rng.choice(provinces)
        text, meta, st = _render(t, prov, rng)
        year = 0
        m = re.search(r"\d{4}", str(meta.get("issued_on", "")))
        if m:
            year = int(m.group())
        sid = f"{_slug(prov['name_en'])}-{year}-{t.key}-{i:05d}"
        (out_dir / f"{sid}.txt").write_text(text, encoding="utf-8")
        (out_dir / f"{sid}.yaml").write_text(
            yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100),
            encoding="utf-8",
        )
        docs.append(
            SyntheticDoc(
                sid,
                t.key,
                prov["code"],
                st["shift"],
                st["changed"],
                st["relabelled"],
                st["reordered"],
            )
        )
    return Corpus(
        out_dir,
        docs,
        {t.key: t.n_observations for t in templates},
        time.perf_counter() - t0,
        seed,
    )


def observation_ratios(corpus: Corpus, per_source: dict[str, int]) -> dict[str, float]:
    """Observations of each synthetic document over those of its template: min/median/max."""
    ratios = [
        per_source[d.source_id] / corpus.template_observations[d.template]
        for d in corpus.documents
        if corpus.template_observations[d.template]
    ]
    if not ratios:
        return {"min": 0.0, "median": 0.0, "max": 0.0}
    return {
        "min": round(min(ratios), 3),
        "median": round(statistics.median(ratios), 3),
        "max": round(max(ratios), 3),
    }


# ------------------------------------------------------------------------------ measurement

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

    ``gap_query_ms`` is what researchers call, :func:`pipeline.marts.gap_frame` (every row into
    pandas, in order); ``gap_query_duckdb_df_ms`` is DuckDB's own ``.df()`` of the same rows
    (slower: it builds the strings one Python object at a time); ``gap_query_arrow_ms`` is the
    query into Arrow, the engine's share.
    """
    import duckdb

    from pipeline import marts

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
            frame_ms, first_ms, rows = timed(lambda: marts.gap_frame(con))
        else:
            frame_ms, first_ms, rows = timed(lambda: marts.frame(con, query))
        df_ms, _first, _rows = timed(lambda: con.sql(query).df())
        arrow_ms, _first, _rows = timed(lambda: con.sql(query).to_arrow_table())
    finally:
        con.close()
    return {
        "gap_query_ms": frame_ms,
        "gap_query_first_ms": first_ms,
        "gap_query_duckdb_df_ms": df_ms,
        "gap_query_arrow_ms": arrow_ms,
        "gap_query": "marts.gap_frame" if has_gap else "fallback join (no gap view yet)",
        "gap_rows": rows,
    }


def measure(raw_dir: Path, work: Path, workers: int | None = None, rebuilds: bool = True) -> dict:
    """Cold build (validated) of ``raw_dir``, then a warm and a one-changed rebuild.

    Meant to run in a fresh process, so that its memory high-water marks are this run's.
    """
    from pipeline import extract
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
        # the measure: own high-water mark + the largest pool worker's (an upper bound:
        # forked workers count the pages they share with the parent again)
        "peak_rss_mb": round(self_mb + pool_mb, 1),
        "peak_rss_self_mb": round(self_mb, 1),
        "peak_rss_pool_worker_mb": round(pool_mb, 1),
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


def _measure_in_child(raw_dir: Path, work: Path, workers: int | None) -> dict:
    """Run :func:`measure` in a fresh interpreter and return what it reports."""
    out = work / "run.json"
    code = (
        "import json, sys; from pathlib import Path; from pipeline import bench; "
        "r = bench.measure(Path(sys.argv[1]), Path(sys.argv[2]), "
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


# ------------------------------------------------------------------------------------ report

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
    """One line per target of the issue: met or not, with the measured figure."""
    lines = []

    def mark(ok: bool) -> str:
        return "ok  " if ok else "MISS"

    for r in runs:
        n = r["documents"]
        cpu = r.get("extract_cpu_ms_per_doc")
        ceiling = (
            f"; {cpu:.0f} CPU ms/doc, so at most {1000 * r['workers'] / cpu:.0f} docs/s with "
            f"{r['workers']} idle cores"
            if cpu
            else ""
        )
        lines.append(
            f"{mark(r['extract_docs_per_s'] >= TARGET_EXTRACT_DOCS_S)} N={n}: extraction "
            f"{r['extract_docs_per_s']:.0f} docs/s (target >= {TARGET_EXTRACT_DOCS_S:.0f}{ceiling})"
        )
        pss = r.get("peak_tree_pss_mb")
        lines.append(
            f"{mark(r['peak_rss_mb'] < TARGET_RSS_MB)} N={n}: peak RSS {r['peak_rss_mb']:.0f} MB"
            f" (target < {TARGET_RSS_MB:.0f}; self + largest pool worker"
            + (f"; sampled process-tree PSS {pss:.0f} MB)" if pss else ")")
        )
        if n >= 1000:
            lines.append(
                f"{mark(r['build_seconds'] < TARGET_BUILD_S_1000)} N={n}: build "
                f"{r['build_seconds']:.1f} s incl. validation (target < {TARGET_BUILD_S_1000:.0f})"
            )
            lines.append(
                f"{mark(r['gap_query_ms'] < TARGET_GAP_MS)} N={n}: gap query "
                f"{r['gap_query_ms']:.1f} ms into pandas with {r['gap_query']} "
                f"(DuckDB's .df() {r.get('gap_query_duckdb_df_ms', 0):.1f} ms, Arrow "
                f"{r.get('gap_query_arrow_ms', 0):.1f} ms), {r.get('gap_rows', 0)} rows "
                f"(target < {TARGET_GAP_MS:.0f})"
            )
        if "warm_n_extracted" in r:
            lines.append(
                f"{mark(r['warm_n_extracted'] == 0)} N={n}: unchanged rebuild extracted "
                f"{r['warm_n_extracted']} documents in {r['warm_rebuild_seconds']:.2f} s"
            )
            lines.append(
                f"{mark(r['one_changed_n_extracted'] == 1)} N={n}: one changed document: "
                f"extracted {r['one_changed_n_extracted']}, rebuild "
                f"{r['one_changed_rebuild_seconds']:.2f} s (extraction "
                f"{r['one_changed_extract_seconds']:.2f} s)"
            )
        other = r.get("other_cpu_seconds")
        if other is not None and other > 0.1 * r.get("build_wall_seconds", r["build_seconds"]):
            lines.append(
                f"note N={n}: other processes used {other:.1f} CPU s during the cold build; "
                "its timings are pessimistic"
            )
    by_n = {r["documents"]: r for r in runs}
    for n in sorted(by_n):
        if 10 * n in by_n:
            small, big = by_n[n], by_n[10 * n]
            ratio = big["build_seconds"] / small["build_seconds"]
            lines.append(
                f"{mark(ratio <= TARGET_SCALING)} 10x documents ({n} -> {10 * n}) cost "
                f"{ratio:.1f}x the build time (target <= {TARGET_SCALING:.0f}x)"
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
    templates = load_templates()
    runs = []
    base = Path(tempfile.mkdtemp(prefix="chitieu-bench-"))
    try:
        for n in sizes:
            work = base / f"n{n}"
            corpus = generate_corpus(n, work / "raw", seed=seed, templates=templates)
            log(f"bench: N={n}: generated in {corpus.seconds:.1f} s; building ...")
            waited = wait_for_quiet(log=log) if quiet_first else 0.0
            r = _measure_in_child(corpus.raw_dir, work, workers)
            ratios = observation_ratios(corpus, r.pop("per_source"))
            r = {
                "n": n,
                **r,
                "obs_ratio_to_template": ratios,
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


if __name__ == "__main__":  # pragma: no cover
    main([int(a) for a in sys.argv[1:]] or None)
