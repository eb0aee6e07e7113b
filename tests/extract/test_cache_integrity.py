"""A cache that cannot lie: entries are checked against their checksum before they are used,
keyed by the source id, and a cache that cannot be used costs time, never a build."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.extract import cache as extract_cache
from pipeline.extract import run as extract
from pipeline.settings import REFERENCE_DIR
from pipeline.warehouse import build
from tests.helpers import KT

N_SEEDS = 6  # the five plans and the table of cited national figures
TD = "tam-duong-2023-health-care-plan"


def logged_build(raw: Path, out: Path, cache: Path, **kw) -> list[str]:
    lines: list[str] = []
    kw.setdefault("validate", False)
    build(raw, REFERENCE_DIR, out, log=lines.append, cache_dir=cache, **kw)
    return lines


def rows(out: Path, sql: str = "SELECT * FROM observation ORDER BY observation_id") -> list:
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def entry_of(cache: Path, source_id: str) -> Path:
    """The cache file holding ``source_id``'s rows (found by content, not by key)."""
    for p in cache.glob("*/*.pkl"):
        if source_id.encode() in p.read_bytes():
            return p
    raise AssertionError(f"no cache entry for {source_id}")


def elsewhere(out: Path) -> Path:
    """Another output folder: a build there has no previous warehouse to copy rows from, so it
    reads every document's rows from the cache (or extracts them)."""
    return out.parent / "curated-elsewhere"


@pytest.fixture()
def warm(raw_copy: Path, tmp_path: Path) -> tuple[Path, Path, Path, list]:
    out, cache = tmp_path / "curated", tmp_path / "cache"
    logged_build(raw_copy, out, cache)
    return raw_copy, out, cache, rows(out)


def test_a_flipped_byte_is_discarded_and_extracted_again(warm) -> None:
    """One flipped digit in a pickled float turned 2700 into 2700.001945 and passed the gate."""
    raw, out, cache, first = warm
    entry = entry_of(cache, TD)
    data = bytearray(entry.read_bytes())
    data[-200] ^= 0x01
    entry.write_bytes(bytes(data))
    lines = logged_build(raw, elsewhere(out), cache)
    assert (
        f"  cache entry of {TD} discarded (its checksum does not match its content): "
        "extracting it again" in lines
    )
    assert extract.last_stats.n_extracted == 1 and extract.last_stats.n_discarded == 1
    assert rows(elsewhere(out)) == first


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda d: d[: len(d) // 2], "its checksum does not match its content"),
        (lambda d: b"", "not an entry of this cache version"),
        (lambda d: d[len(extract_cache.MAGIC) + 65 :], "not an entry of this cache version"),
    ],
    ids=["truncated", "empty", "headerless pickle"],
)
def test_damaged_entries_are_discarded(warm, damage, why: str) -> None:
    raw, out, cache, first = warm
    entry = entry_of(cache, TD)
    entry.write_bytes(damage(entry.read_bytes()))
    lines = logged_build(raw, elsewhere(out), cache)
    assert any(f"cache entry of {TD} discarded ({why})" in line for line in lines), lines
    assert rows(elsewhere(out)) == first
    assert extract.last_stats.n_extracted == 1


def test_renamed_and_copied_documents_build(warm) -> None:
    """The key names the source id: a copy or a renamed document is extracted, not served the
    original's rows (which made every later build fail the gate until .cache was deleted)."""
    raw, out, cache, _ = warm
    for suffix in (".txt", ".yaml", ".corrections.yaml"):
        os.rename(raw / f"{KT}{suffix}", raw / f"renamed-plan{suffix}")
    for suffix in (".txt", ".yaml"):
        shutil.copy2(raw / f"{TD}{suffix}", raw / f"copied-plan{suffix}")
    logged_build(raw, out, cache)
    assert extract.last_stats.n_extracted == 2
    ids = rows(out, "SELECT source_id, count(*) FROM observation GROUP BY 1 ORDER BY 1")
    assert ("renamed-plan", 66) in ids and ("copied-plan", 37) in ids and (TD, 37) in ids
    assert KT not in {i for i, _ in ids}
    # what the gate checks and the stale entries broke: unique keys, rows of known documents
    assert rows(out, "SELECT count(*) - count(DISTINCT observation_id) FROM observation") == [(0,)]
    assert rows(
        out,
        "SELECT count(*) FROM observation o ANTI JOIN source_document s USING (source_id)",
    ) == [(0,)]


def test_a_cache_folder_that_cannot_be_made_is_skipped_with_a_note(raw_copy, tmp_path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    lines = logged_build(raw_copy, tmp_path / "curated", blocker / "extract")
    assert any("the extraction cache" in line and "cannot be used" in line for line in lines)
    assert extract.last_stats.n_extracted == N_SEEDS
    assert rows(tmp_path / "curated")


def test_an_entry_that_cannot_be_written_or_read_costs_only_time(warm) -> None:
    raw, out, cache, first = warm
    entry = entry_of(cache, TD)
    entry.unlink()
    entry.mkdir()  # neither readable as a file nor replaceable by one
    lines = logged_build(raw, elsewhere(out), cache)
    assert any(f"cache entry of {TD} discarded (cannot be read" in line for line in lines), lines
    assert any("cannot be written" in line for line in lines), lines
    assert rows(elsewhere(out)) == first


def test_leftovers_of_killed_writers_are_removed(warm) -> None:
    raw, out, cache, _ = warm
    dead = extract_cache.entry_path(cache, "0" * 32).with_name(f".{'0' * 32}.{2**22 + 12345}.tmp")
    mine = extract_cache.entry_path(cache, "1" * 32).with_name(f".{'1' * 32}.{os.getpid()}.tmp")
    flat = cache / f".{'2' * 32}.{2**22 + 12346}.tmp"  # where the flat layout wrote them
    for p, what in ((dead, b"half an entry"), (mine, b"being written"), (flat, b"half")):
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(what)  # no such process; a live writer's (left alone); no such process
    logged_build(raw, out, cache)
    assert not dead.exists() and mine.exists() and not flat.exists()


def test_unused_entries_are_bounded_in_size(tmp_path: Path) -> None:
    now = time.time()
    for i in range(6):
        p = extract_cache.entry_path(tmp_path, f"{i:032d}")
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(b"x" * 1000)
        os.utime(p, (now - i * 60, now - i * 60))  # entry 0 the newest
    kept = extract_cache.entry_path(tmp_path, f"{9:032d}")
    kept.write_bytes(b"x" * 5000)
    removed = extract_cache.prune_cache(tmp_path, {kept.stem}, max_unused_bytes=3500)
    assert removed == 3
    assert sorted(p.stem[-1] for p in tmp_path.glob("*/*.pkl")) == ["0", "1", "2", "9"]


def test_entries_of_the_flat_layout_are_never_read_and_pruned_as_unused(tmp_path: Path) -> None:
    """Before entries lay in folders by their key's first characters, they lay in the cache
    folder itself: such a file is not an entry of its key (pruned like any unused entry)."""
    key = "ab" * 16
    cache = extract_cache.Cache(tmp_path, lambda _m: None)
    assert extract_cache.write_entry(tmp_path, key, b"payload") is None
    assert extract_cache.entry_path(tmp_path, key) == tmp_path / "ab" / f"{key}.pkl"
    old = time.time() - (extract_cache.CACHE_MAX_AGE_DAYS + 1) * 86400
    flat = tmp_path / f"{key}.pkl"
    flat.write_bytes(b"an entry of the flat layout")
    os.utime(flat, (old, old))
    assert cache.entries() == {key}
    assert extract_cache.prune_cache(tmp_path, {key}) == 1
    assert not flat.exists() and extract_cache.entry_path(tmp_path, key).exists()
