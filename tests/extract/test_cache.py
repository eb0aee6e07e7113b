"""Incremental builds: extraction is cached per document, so only what changed is re-extracted."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.extract import cache as extract_cache
from pipeline.extract import run as extract
from pipeline.reference import GeoResolver, geo_table
from pipeline.settings import REFERENCE_DIR, ROOT
from pipeline.sources import discover
from pipeline.warehouse import build

N_SEEDS = 6  # the five plans and the table of cited national figures
CHANGED = "tam-duong-2023-health-care-plan"


def quiet_build(raw: Path, out: Path, cache: Path, reference: Path = REFERENCE_DIR, **kw):
    return build(raw, reference, out, log=lambda _m: None, cache_dir=cache, validate=False, **kw)


def observations(out: Path) -> list[tuple]:
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT * FROM observation ORDER BY observation_id").fetchall()
    finally:
        con.close()


def build_info(out: Path) -> tuple[int, int]:
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT n_extracted, n_cached FROM build_info").fetchone()
    finally:
        con.close()


@pytest.fixture()
def sources(raw_copy: Path):
    return discover(raw_copy, GeoResolver(geo_table(REFERENCE_DIR)))


def test_unchanged_rebuild_extracts_nothing(raw_copy: Path, tmp_path: Path):
    out, cache = tmp_path / "curated", tmp_path / "cache"
    cold = quiet_build(raw_copy, out, cache)
    assert (cold.n_extracted, cold.n_cached) == (N_SEEDS, 0)
    assert build_info(out) == (N_SEEDS, 0)
    first = observations(out)

    warm = quiet_build(raw_copy, out, cache)
    assert (warm.n_extracted, warm.n_cached) == (0, N_SEEDS)
    assert extract.last_stats.n_extracted == 0
    assert build_info(out) == (0, N_SEEDS)
    assert all(p["cached"] for p in warm.per_source)
    assert observations(out) == first  # the cached results are the same rows


def test_one_changed_document_is_the_only_one_extracted(raw_copy: Path, tmp_path: Path):
    out, cache = tmp_path / "curated", tmp_path / "cache"
    quiet_build(raw_copy, out, cache)
    with (raw_copy / f"{CHANGED}.txt").open("a", encoding="utf-8") as fh:
        fh.write("\nGhi chú: văn bản được cập nhật.\n")

    rep = quiet_build(raw_copy, out, cache)
    assert (rep.n_extracted, rep.n_cached) == (1, N_SEEDS - 1)
    assert build_info(out) == (1, N_SEEDS - 1)
    assert [p["source_id"] for p in rep.per_source if not p["cached"]] == [CHANGED]

    again = quiet_build(raw_copy, out, cache)
    assert again.n_extracted == 0  # and the new version is cached in turn


def test_sidecar_change_re_extracts_its_document(raw_copy: Path, tmp_path: Path):
    out, cache = tmp_path / "curated", tmp_path / "cache"
    quiet_build(raw_copy, out, cache)
    sidecar = raw_copy / f"{CHANGED}.yaml"
    sidecar.write_text(sidecar.read_text(encoding="utf-8") + "default_year: 2023\n", "utf-8")
    rep = quiet_build(raw_copy, out, cache)
    assert rep.n_extracted == 1


def test_cache_key_depends_on_document_catalog_and_extractor(
    sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, ref)
    s = sources[0]
    key = extract_cache.cache_key(s, ref)
    assert extract_cache.cache_key(s, ref) == key  # deterministic
    assert len({extract_cache.cache_key(x, ref) for x in sources}) == len(sources)

    # the catalog changes: every key changes
    catalog = ref / "indicators.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    new_key = extract_cache.cache_key(s, ref)
    assert new_key != key

    # so do the lexicon and the units the grammar reads
    lexicon = ref / "lexicon.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert extract_cache.cache_key(s, ref) not in (key, new_key)

    # and the extractor version
    before = extract_cache.cache_key(s, ref)
    monkeypatch.setattr(extract_cache, "EXTRACTOR_VERSION", "999.0.0")
    assert extract_cache.cache_key(s, ref) != before


def test_cache_key_covers_every_file_of_the_build_package(
    sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Any file of a build layer (a subpackage's module, the SQL of a mart, YAML beside the
    code) changes the key; the analysis layer, which no build imports, does not."""
    package = tmp_path / "pipeline"
    shutil.copytree(ROOT / "pipeline", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(extract_cache, "PACKAGE_DIR", package)
    s = sources[0]
    key = extract_cache.cache_key(s, REFERENCE_DIR)
    seen = {key}
    for edited in ("reference/catalog.py", "marts/gap.sql", "text/grammar.py", "settings.py"):
        path = package / edited
        path.write_text(path.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
        new = extract_cache.cache_key(s, REFERENCE_DIR)
        assert new not in seen, edited
        seen.add(new)
    (package / "analysis" / "charts.py").write_text("# edited\n", encoding="utf-8")
    assert extract_cache.cache_key(s, REFERENCE_DIR) in seen


def test_catalog_change_re_extracts_everything(raw_copy: Path, tmp_path: Path):
    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, ref)
    out, cache = tmp_path / "curated", tmp_path / "cache"
    assert quiet_build(raw_copy, out, cache, ref).n_extracted == N_SEEDS
    assert quiet_build(raw_copy, out, cache, ref).n_extracted == 0
    catalog = ref / "indicators.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert quiet_build(raw_copy, out, cache, ref).n_extracted == N_SEEDS


def test_unreadable_cache_entry_is_extracted_again(raw_copy: Path, tmp_path: Path):
    out, cache = tmp_path / "curated", tmp_path / "cache"
    quiet_build(raw_copy, out, cache)
    first = observations(out)
    victim = sorted(cache.glob("*/*.pkl"))[0]
    victim.write_bytes(b"not a pickle")
    # elsewhere: no previous warehouse to copy rows from, so every document is read from the cache
    rep = quiet_build(raw_copy, tmp_path / "elsewhere", cache)
    assert (rep.n_extracted, rep.n_cached) == (1, N_SEEDS - 1)
    assert observations(tmp_path / "elsewhere") == first


@pytest.mark.parametrize("start", ["fork", "spawn"])  # fork: Linux; spawn: macOS, Windows
def test_process_pool_gives_the_serial_results(
    sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: str
):
    import multiprocessing

    from pipeline.reference import load_catalog

    catalog = load_catalog(REFERENCE_DIR)
    serial = extract.extract_all(sources, REFERENCE_DIR, catalog, tmp_path / "a", workers=1)
    monkeypatch.setattr(extract, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setattr(extract, "_pool_context", lambda: multiprocessing.get_context(start))
    pooled = extract.extract_all(sources, REFERENCE_DIR, catalog, tmp_path / "b", workers=2)
    assert extract.last_stats.workers == 2
    for a, b in zip(serial, pooled, strict=True):
        assert a.observations.equals(b.observations)
        assert a.unmapped.equals(b.unmapped)
        assert a.layouts == b.layouts
    assert extract._worker_sources == [] and extract._worker_catalog is None  # nothing held


def test_rows_converted_for_a_chunk_are_each_documents_own(sources):
    """A pool worker converts a chunk's rows at once and slices them per document: each
    document's tables (and their encoded bytes, once decoded) are those it alone would give,
    a document without rows included."""
    from pipeline.extract.arrow import decode_rows, encode_rows
    from pipeline.reference import load_catalog

    catalog = load_catalog(REFERENCE_DIR)
    results = [extract.extract_one(s, REFERENCE_DIR, catalog) for s in sources]
    results.insert(1, extract.DocResult([], [], []))  # nothing read in it
    chunk = extract.rows_each(results)
    assert len(chunk) == len(results) and chunk[1].n_observations == chunk[1].n_unmapped == 0
    for one, rows in zip(results, chunk, strict=True):
        alone = extract.DocRows(
            one.layouts,
            extract.to_table("observation", one.observation_records),
            extract.to_table("unmapped", one.unmapped_records),
        )
        again = decode_rows(encode_rows(rows))
        for table in ("observation", "unmapped"):
            assert getattr(rows, table).equals(getattr(alone, table))
            assert getattr(again, table).equals(getattr(alone, table))
        assert rows.layouts == alone.layouts
    assert sum(r.n_observations for r in chunk) > 100


def test_cache_entries_unused_for_a_month_are_pruned(raw_copy: Path, tmp_path: Path):
    out, cache = tmp_path / "curated", tmp_path / "cache"
    quiet_build(raw_copy, out, cache)
    used = sorted(p.name for p in cache.glob("*/*.pkl"))
    assert len(used) == N_SEEDS
    old = time.time() - (extract_cache.CACHE_MAX_AGE_DAYS + 1) * 86400
    stale, recent = (extract_cache.entry_path(cache, c * 32) for c in "01")
    stale.parent.mkdir(exist_ok=True)
    recent.parent.mkdir(exist_ok=True)
    stale.write_bytes(b"from an earlier extractor")
    recent.write_bytes(b"from another branch, last week")
    os.utime(stale, (old, old))
    for p in cache.glob("*/*.pkl"):  # in use, however old: a rebuild reads and keeps them
        if p not in (stale, recent):
            os.utime(p, (old, old))
    warm = quiet_build(raw_copy, tmp_path / "elsewhere", cache)  # reads every entry
    assert warm.n_extracted == 0 and extract.last_stats.n_pruned == 1
    assert sorted(p.name for p in cache.glob("*/*.pkl")) == sorted([*used, recent.name])
    assert all(p.stat().st_mtime > old + 86400 for p in cache.glob("*/*.pkl"))  # reads refresh


def test_a_cache_that_cannot_be_touched_still_serves(
    raw_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out, cache = tmp_path / "curated", tmp_path / "cache"
    quiet_build(raw_copy, out, cache)
    odd = extract_cache.entry_path(cache, "0" * 32)  # stale, and cannot be unlinked (a directory)
    odd.mkdir(parents=True)
    os.utime(odd, (0, 0))

    touch = os.utime

    def refuse(path, *a, **k):  # the cache only: the new build's own files are dated as usual
        if Path(path).is_relative_to(cache):
            raise PermissionError("read-only cache")
        return touch(path, *a, **k)

    monkeypatch.setattr(os, "utime", refuse)
    warm = quiet_build(raw_copy, tmp_path / "elsewhere", cache)  # served by the cache
    assert (warm.n_extracted, warm.n_cached) == (0, N_SEEDS)
    assert extract.last_stats.n_pruned == 0 and odd.is_dir()
