"""The benchmark's synthetic corpus: parseable, plausible and reproducible (no full benchmark)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from benchmarks import corpus as bench_corpus
from benchmarks import measure as bench_measure
from benchmarks import run as bench_run
from pipeline.extract import extract_one
from pipeline.reference import GeoResolver, geo_table, load_catalog
from pipeline.settings import REFERENCE_DIR
from pipeline.sources import discover

N = 5


@pytest.fixture(scope="module")
def templates(templates_pickle: Path):
    """``bench_corpus.load_templates()``, run once per test run (conftest.templates_pickle)."""
    return pickle.loads(templates_pickle.read_bytes())


@pytest.fixture(scope="module")
def corpus(templates, tmp_path_factory: pytest.TempPathFactory) -> bench_corpus.Corpus:
    return bench_corpus.generate_corpus(
        N, tmp_path_factory.mktemp("synthetic"), templates=templates
    )


def test_templates_locate_their_figures(templates):
    assert {t.kind for t in templates} == {"plans", "statistics", "tables", "national"}
    assert len([t for t in templates if t.kind == "plans"]) == 5
    for t in templates:
        assert len(t.figures) >= 0.9 * t.n_observations, t.key
        for f in t.figures:
            assert t.lines[f.line][f.start : f.end] == f.printed


def test_generated_documents_parse_like_their_templates(corpus: bench_corpus.Corpus):
    sources = discover(corpus.raw_dir, GeoResolver(geo_table(REFERENCE_DIR)))
    assert len(sources) == N
    catalog = load_catalog(REFERENCE_DIR)
    per_source = {}
    for s in sources:
        assert s.geo_code == "VN" or (s.geo_code.isdigit() and len(s.geo_code) in (2, 3))
        obs = extract_one(s, REFERENCE_DIR, catalog).observations
        per_source[s.source_id] = len(obs)
        for r in obs.itertuples(index=False):
            if r.value == r.value:  # not qualitative
                low, high = catalog.indicators[r.indicator_code].range
                assert low <= r.value <= high, (s.source_id, r.indicator_code, r.value)
    ratios = bench_corpus.observation_ratios(corpus, per_source)
    assert ratios["min"] >= 0.9 and ratios["max"] <= 1.1, ratios
    assert sum(d.n_figures_changed for d in corpus.documents) > 0  # figures really moved


def test_generation_is_reproducible(corpus: bench_corpus.Corpus, templates, tmp_path: Path):
    again = bench_corpus.generate_corpus(N, tmp_path / "again", templates=templates)
    other = bench_corpus.generate_corpus(N, tmp_path / "other", templates=templates, seed=1)

    def files(d: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(d.iterdir())}

    assert files(again.raw_dir) == files(corpus.raw_dir)
    assert files(other.raw_dir) != files(corpus.raw_dir)


@pytest.mark.parametrize(
    ("printed", "value", "expected"),
    [
        ("9,5", 9.84, "9,8"),
        ("5.130", 5321.4, "5.321"),
        ("100", 96.6, "97"),
        ("89,46", 91.0, "91,00"),
        ("1.5", 1.26, "1.3"),
        ("5.130", 980.0, "980"),
    ],
)
def test_numbers_keep_the_vietnamese_format(printed: str, value: float, expected: str):
    assert bench_corpus._format_like(printed, value) == expected


def test_gap_query_timing_and_report(seed_build: Path):
    timing = bench_measure.time_gap_query(seed_build, repeats=2)
    assert timing["gap_query_ms"] >= 0 and timing["gap_rows"] >= 0
    run = {
        "documents": 1000,
        "observations": 1,
        "extract_docs_per_s": 250.0,
        "build_seconds": 9.0,
        "validation_seconds": 1.0,
        "peak_rss_mb": 500.0,
        "gap_query_ms": 5.0,
        "gap_query": "gap",
        "warm_rebuild_seconds": 1.0,
        "warm_n_extracted": 0,
        "one_changed_rebuild_seconds": 1.2,
        "one_changed_n_extracted": 1,
        "one_changed_extract_seconds": 0.1,
    }
    small = {**run, "documents": 100, "build_seconds": 1.0}
    table = bench_run.format_table([small, run])
    assert "extract docs/s" in table and "1000" in table
    checks = bench_run.check_targets([small, run])
    assert not [c for c in checks if c.startswith("MISS")], checks
