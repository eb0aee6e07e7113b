"""The benchmark's corpus holds every layout the project reads, in a national corpus's
proportions, and a small one builds through the quality gate with each document reading as its
template does."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from benchmarks import corpus as bench_corpus
from benchmarks import run as bench_run
from pipeline.extract import extract_one
from pipeline.reference import GeoResolver, geo_table, load_catalog
from pipeline.settings import RAW_DIR, REFERENCE_DIR
from pipeline.sources import discover
from pipeline.staging import readers
from pipeline.staging.tables import LONG, WIDE
from pipeline.warehouse import build

EVERY_LAYOUT = {r.name for r in readers()} | {LONG, WIDE}

STATS = bench_corpus.STATISTICS_DIR
# one template of each layout (a district's plan and a page with no figure among them)
SMALL_KINDS = (
    bench_corpus.Kind(
        "plans",
        ((RAW_DIR, "dak-lak-*.txt"), (RAW_DIR, "ba-ria-*.txt"), (RAW_DIR, "tam-duong-*.txt")),
        0.55,
        tables=True,
    ),
    bench_corpus.Kind(
        "statistics",
        (
            (STATS, "l1-binh-dinh-*.txt"),
            (STATS, "l3-dien-bien-*.txt"),
            (STATS, "l4-bo-y-te-ngtk-y-te-2022-*.txt"),
            (STATS, "own-binh-dinh-*.txt"),
            (STATS / "review", "r09-*.txt"),
            (STATS / "review", "r11-*.txt"),
        ),
        0.42,
    ),
    bench_corpus.Kind(
        "tables",
        ((RAW_DIR, "*.csv"), (bench_corpus.TEMPLATES_DIR, "so-y-te-*.csv")),
        0.03,
    ),
)
N = 24


def test_the_default_templates_cover_every_layout(tmp_path: Path):
    """Each template document of the default kinds, extracted once: together they use every
    registered layout reader and both CSV readers."""
    catalog = load_catalog(REFERENCE_DIR)
    used: set[str] = set()
    for kind in bench_corpus.KINDS:
        folder = tmp_path / kind.name
        folder.mkdir()
        bench_corpus._copy_pairs(kind, folder)
        for s in discover(folder, GeoResolver(geo_table(REFERENCE_DIR))):
            obs = extract_one(s, REFERENCE_DIR, catalog).observations
            used |= set(obs["reader"])
    assert used == EVERY_LAYOUT


class _T:
    """A stand-in template: only its kind and layout matter to the draw."""

    def __init__(self, kind: str, layout: str):
        self.kind, self.layout = kind, layout


@pytest.mark.parametrize("n", [11, 12, 30, 100, 1000])
def test_the_draw_keeps_the_shares_and_every_layout(n: int):
    by_kind = {
        "plans": [_T("plans", x) for x in ("pdf_table", "pdf_table", "tsv_table", "prose")],
        "statistics": [_T("statistics", x) for x in ("year_table", "year_rows", "target_table")],
        "tables": [_T("tables", x) for x in ("csv_long", "csv_wide", "csv_wide")],
    }
    shares = {k.name: k.share for k in bench_corpus.KINDS}
    drawn = bench_corpus._draw(n, by_kind, shares, random.Random(1))
    assert len(drawn) == n
    assert {t.layout for t in drawn} == {t.layout for ts in by_kind.values() for t in ts}
    kinds = Counter(t.kind for t in drawn)
    if n >= 100:
        for k, share in shares.items():
            assert abs(kinds[k] - share * n) <= max(1, 0.01 * n), (k, kinds)


def _quiet(_message: str) -> None:
    return None


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):
    """A corpus of N documents from one template per layout, built through the gate."""
    templates = bench_corpus.load_templates(kinds=SMALL_KINDS)
    work = tmp_path_factory.mktemp("bench-mix")
    corpus = bench_corpus.generate_corpus(N, work / "raw", templates=templates, kinds=SMALL_KINDS)
    rep = build(
        corpus.raw_dir, REFERENCE_DIR, work / "curated", cache_dir=work / "cache", log=_quiet
    )
    yield templates, corpus, rep
    shutil.rmtree(work, ignore_errors=True)


def test_a_small_corpus_has_every_layout_and_builds_cleanly(small):
    templates, corpus, rep = small
    assert {t.layout for t in templates} == EVERY_LAYOUT | {"none"}
    mix = corpus.mix()
    assert set(mix["layouts"]) == EVERY_LAYOUT | {"none"}
    assert set(mix["documents_read_by"]) == EVERY_LAYOUT
    assert mix["kinds"] == {"plans": 12, "statistics": 10, "tables": 2}
    assert rep.n_sources == N  # and the gate passed: build() raises otherwise
    per_source = {p["source_id"]: p["observations"] for p in rep.per_source}
    assert bench_corpus.observation_ratios(corpus, per_source) == {
        "min": 1.0,
        "median": 1.0,
        "max": 1.0,
    }
    by_kind = bench_corpus.observation_ratios_by_kind(corpus, per_source)
    assert set(by_kind) == {"plans", "statistics", "tables"}
    # places moved: a district's plan to another district, a province's pages to provinces
    moved = {d.template: d.province_code for d in corpus.documents if d.province_code}
    assert moved and all(len(code) in (2, 3) for code in moved.values())
    assert sum(d.n_figures_changed for d in corpus.documents) > 0


def test_generation_with_every_kind_is_reproducible(small, tmp_path: Path):
    templates, corpus, _rep = small

    def files(d: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(d.iterdir())}

    again = bench_corpus.generate_corpus(
        N, tmp_path / "again", templates=templates, kinds=SMALL_KINDS
    )
    assert files(again.raw_dir) == files(corpus.raw_dir)


def _national(**over) -> dict:
    run = {
        "documents": 10_000,
        "observations": 1,
        "extract_docs_per_s": 300.0,
        "extract_cpu_ms_per_doc": 6.0,
        "workers": 2,
        "build_seconds": 50.0,
        "validation_seconds": 5.0,
        "peak_rss_mb": 1500.0,
        "gap_query_ms": 20.0,
        "gap_query": "gap",
        "warm_rebuild_seconds": 1.5,
        "warm_n_extracted": 0,
        "one_changed_rebuild_seconds": 4.0,
        "one_changed_n_extracted": 1,
        "one_changed_extract_seconds": 0.1,
        "obs_ratio_to_template": {"min": 1.0, "median": 1.0, "max": 1.0},
    }
    return {**run, **over}


def test_the_national_targets_are_checked_at_ten_thousand_documents():
    thousand = _national(
        documents=1000, build_seconds=9.0, peak_rss_mb=700.0, extract_docs_per_s=290.0
    )
    checks = bench_run.check_targets([thousand, _national()])
    assert not [c for c in checks if c.startswith("MISS")], checks
    assert any("N=10000: build 50.0 s" in c and "< 60" in c for c in checks)
    assert any("at least as fast" in c for c in checks)
    for over, words in (
        ({"build_seconds": 61.0}, "N=10000: build"),
        ({"peak_rss_mb": 2100.0}, "N=10000: peak RSS"),
        ({"one_changed_rebuild_seconds": 5.5}, "one changed document"),
        ({"warm_rebuild_seconds": 2.5}, "unchanged rebuild"),
        ({"gap_query_ms": 60.0}, "gap query"),
        ({"extract_cpu_ms_per_doc": 7.0}, "extraction CPU ms/doc at 10000"),
        ({"extract_docs_per_s": 250.0}, "extraction docs/s at 10000"),
        ({"obs_ratio_to_template": {"min": 0.9, "median": 1.0, "max": 1.0}}, "its template's"),
    ):
        misses = [
            c for c in bench_run.check_targets([thousand, _national(**over)]) if c[:4] == "MISS"
        ]
        assert len(misses) == 1 and words in misses[0], (over, misses)
    # at 1,000 documents the targets of #8 hold: an 800 MB build is fine, 1,100 MB not
    assert not [c for c in bench_run.check_targets([thousand]) if c.startswith("MISS")]
    over = bench_run.check_targets([{**thousand, "peak_rss_mb": 1100.0}])
    assert [c for c in over if c.startswith("MISS")]
