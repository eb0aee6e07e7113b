"""Incremental builds give the warehouse a build from scratch gives, whatever changed before.

A build reuses what the published build recorded (``inputs.json``): documents whose files did
not change are not read again, their rows are copied from the previous warehouse instead of
extracted or read from the cache, their rows are not validated again, and the `gap` rows of
places and indicators whose observations did not change are copied too. Each step below changes
the raw folder (documents added, modified, deleted, renamed, copied; corrections and sidecars
edited; the catalog edited; a document whose figure the gate warns about) and builds twice:
incrementally in the same output folder, and from scratch in a new one with a cache of its own.
Every table and view must hold the same rows (``build_info`` aside: it says when and how the
build ran); the views' rows and the reference tables' in the same stored order too (the views'
is documented; the document tables' is the order their rows were loaded in, which an incremental
build does not promise).
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipeline import marts
from pipeline.settings import RAW_DIR, REFERENCE_DIR
from pipeline.warehouse import BuildReport, build
from pipeline.warehouse.inputs import DOCUMENT_TABLES, RECORD, fingerprints
from pipeline.warehouse.schema import TABLES
from tests.conftest import shared_folder

FILES_BESIDE = (".yaml", ".corrections.yaml")  # a document's sidecar and corrections
RELATIONS = [t for t in TABLES if t != "build_info"] + list(marts.VIEWS)
# relations whose stored order an incremental build may change: compared sorted
_ORDER = {t: " ORDER BY ALL" for t in DOCUMENT_TABLES}
WARNED = """KẾ HOẠCH Y TẾ NĂM 2025

Đến năm 2025

- Tỷ lệ tham gia bảo hiểm y tế dưới 95%.
- Tỷ lệ tiêm chủng đầy đủ cho trẻ em dưới 1 tuổi đạt trên 95%.
"""


def content(out: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        return {
            r: con.execute(f"SELECT * FROM {r}" + _ORDER.get(r, "")).fetchall() for r in RELATIONS
        }
    finally:
        con.close()


class Corpus:
    """A raw folder built incrementally, and compared with a build from scratch after each step."""

    def __init__(self, tmp: Path, reference: Path = REFERENCE_DIR) -> None:
        self.tmp, self.reference = tmp, reference
        self.raw, self.out, self.cache = tmp / "raw", tmp / "incremental", tmp / "cache"
        self.steps = 0
        self.log: list[str] = []

    def build(self) -> BuildReport:
        self.log.clear()
        return build(self.raw, self.reference, self.out, log=self.log.append, cache_dir=self.cache)

    def scratch(self) -> dict[str, list[tuple]]:
        self.steps += 1
        out = self.tmp / f"scratch-{self.steps}"
        log: list[str] = []
        build(self.raw, self.reference, out, log=log.append, cache_dir=self.tmp / "scratch-cache")
        return content(out)

    def same_as_scratch(self) -> BuildReport:
        report = self.build()
        fresh = self.scratch()
        ours = content(self.out)
        for relation in RELATIONS:
            assert ours[relation] == fresh[relation], (self.steps, relation)
        # the fingerprints a patched build worked out (from the previous ones and the rows it
        # deleted and added) are those of its tables, which the next build will check
        record = json.loads((self.out / "current" / RECORD).read_text(encoding="utf-8"))
        con = duckdb.connect(str(self.out / "warehouse.duckdb"), read_only=True)
        try:
            assert record["tables"] == fingerprints(con), self.steps
        finally:
            con.close()
        return report

    def document(self, stem: str) -> Path:
        """The document itself: a text, or a table (.csv)."""
        txt = self.raw / f"{stem}.txt"
        return txt if txt.exists() else self.raw / f"{stem}.csv"

    def append(self, stem: str, text: str) -> None:
        with self.document(stem).open("a", encoding="utf-8") as fh:
            fh.write(text)

    def _files(self, stem: str) -> list[Path]:
        return [self.document(stem), *(self.raw / f"{stem}{s}" for s in FILES_BESIDE)]

    def rename(self, stem: str, new: str) -> None:
        for path in self._files(stem):
            if path.exists():
                os.rename(path, path.with_name(new + path.name[len(stem) :]))

    def copy(self, stem: str, new: str) -> None:
        for path in self._files(stem)[:2]:  # the document and its sidecar, not its corrections
            shutil.copy2(path, path.with_name(new + path.name[len(stem) :]))

    def delete(self, stem: str) -> None:
        for path in self._files(stem):
            path.unlink(missing_ok=True)

    def stems(self) -> list[str]:
        return sorted(p.stem for p in self.raw.iterdir() if p.suffix in (".txt", ".csv"))


def _first(folder: Path, templates: list) -> None:
    """The corpus every test starts from, built incrementally (from nothing) and from scratch,
    and the two compared: ``raw``, ``incremental``, ``cache`` and ``scratch-cache``."""
    from benchmarks.corpus import generate_corpus

    c = Corpus(folder)
    shutil.copytree(RAW_DIR, c.raw)
    generate_corpus(12, folder / "synthetic", seed=7, templates=templates)
    for p in (folder / "synthetic").iterdir():
        shutil.copy2(p, c.raw / p.name)
    first = c.same_as_scratch()
    assert first.n_extracted == len(c.stems()) and not first.kept
    assert not reused(c)


@pytest.fixture(scope="session")
def first_build(tmp_path_factory: pytest.TempPathFactory, templates_pickle: Path) -> Path:
    """:func:`_first`, made once per run (by one worker under xdist) and only read."""
    import pickle

    templates = pickle.loads(templates_pickle.read_bytes())
    return shared_folder(tmp_path_factory, "incremental-first", lambda f: _first(f, templates))


@pytest.fixture()
def corpus(tmp_path: Path, first_build: Path) -> Corpus:
    """The seeds and twelve synthetic documents of every layout (plans and statistics pages),
    already built once incrementally and once from scratch, the two the same (:func:`_first`):
    the test's own copy of the raw folder, the published build and both caches (symlinks and
    times kept)."""
    c = Corpus(tmp_path)
    for name in ("raw", "incremental", "cache", "scratch-cache"):
        shutil.copytree(first_build / name, tmp_path / name, symlinks=True)
    c.steps = 1
    return c


def reused(corpus: Corpus) -> str:
    line = [m for m in corpus.log if "rows taken from build" in m]
    return line[0] if line else ""


@pytest.mark.slow(seconds=25)
def test_any_sequence_of_changes_builds_what_a_build_from_scratch_builds(corpus: Corpus):
    c = corpus  # built once, incrementally and from scratch, the two the same
    first = (c.out / "current").resolve().name

    # nothing changed: the published build is kept, and said to be
    kept = c.build()
    assert kept.kept and kept.build_id == first and kept.n_extracted == 0

    # one document modified, one added (a copy of a seed under a new name), one deleted: the
    # others' rows are copied from the published build
    stems = c.stems()
    c.append(stems[3], "\nGhi chú: văn bản được cập nhật.\n")
    c.copy("dak-lak-2024-health-sector-action-plan", "dak-lak-2025-copy")
    c.delete(stems[-1])
    assert c.same_as_scratch().n_extracted == 2  # a copy is a document of its own
    assert f"{len(stems) - 2} documents' rows taken from build" in reused(c)

    # a rename, and a sidecar edited (its document is read again, its place kept)
    c.rename(stems[5], "zz-renamed")
    sidecar = c.raw / f"{stems[6]}.yaml"
    sidecar.write_text(sidecar.read_text(encoding="utf-8") + "default_year: 2020\n", "utf-8")
    assert c.same_as_scratch().n_extracted == 2

    # a document's corrections removed, restored, then retired
    corrections = c.raw / "kon-tum-2024-health-strategy-plan.corrections.yaml"
    text = corrections.read_text(encoding="utf-8")
    corrections.unlink()
    assert c.same_as_scratch().n_extracted == 1
    corrections.write_text(text, encoding="utf-8")
    c.same_as_scratch()
    corrections.write_text(text.replace("status: active", "status: retired"), "utf-8")
    assert c.same_as_scratch().n_extracted == 1

    # a document the gate warns about, then another change: the warning is counted again
    (c.raw / "lao-cai-2025-health-plan.txt").write_text(WARNED, encoding="utf-8")
    (c.raw / "lao-cai-2025-health-plan.yaml").write_text(
        "geo: Lào Cai\ntitle: Kế hoạch y tế năm 2025\n", encoding="utf-8"
    )
    assert [w["n_unexpected"] for w in c.same_as_scratch().warnings] == [1]
    c.append(stems[0], "\nGhi chú: thêm một dòng.\n")
    assert [w["n_unexpected"] for w in c.same_as_scratch().warnings] == [1]
    assert "rows taken from build" in reused(c)


def test_a_catalog_change_rebuilds_everything_the_same(corpus: Corpus, tmp_path: Path):
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, reference)
    corpus.reference = reference  # the same catalog elsewhere: nothing to read again
    assert corpus.build().kept
    catalog = reference / "indicators.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    report = corpus.same_as_scratch()
    assert report.n_extracted == len(corpus.stems()) and not reused(corpus)


def _step(c: Corpus, rng: random.Random) -> Callable[[], None]:
    stems = c.stems()
    stem = rng.choice(stems)
    texts = [t for t in stems if c.document(t).suffix == ".txt"]  # a table takes no free note
    return rng.choice(
        [
            lambda: c.append(rng.choice(texts), f"\nGhi chú {rng.random()}.\n"),
            lambda: c.delete(stem) if len(stems) > 3 else None,
            lambda: c.rename(stem, f"r-{rng.randrange(10**6)}"),
            lambda: c.copy(stem, f"c-{rng.randrange(10**6)}"),
        ]
    )


SLOW = pytest.mark.skipif(not os.environ.get("CHITIEU_SLOW_TESTS"), reason="CHITIEU_SLOW_TESTS=1")


# one random sequence on every run, two more with CHITIEU_SLOW_TESTS=1
@pytest.mark.slow(seconds=20)
@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=SLOW), pytest.param(2, marks=SLOW)])
def test_random_sequences_of_changes(corpus: Corpus, seed: int):
    rng = random.Random(seed)
    for _ in range(5):
        for _ in range(rng.randint(1, 3)):
            _step(corpus, rng)()
        corpus.same_as_scratch()


def test_a_published_warehouse_changed_afterwards_is_not_copied_from(corpus: Corpus):
    """The rows a rebuild copies come from the published build as it was recorded: a view's
    stored rows edited since (here the yardstick's) make the next build read every document."""
    c = corpus
    con = duckdb.connect(str((c.out / "warehouse.duckdb").resolve()))
    try:
        assert con.execute("SELECT count(*) FROM yardstick_rows").fetchone()[0] > 0
        con.execute("UPDATE yardstick_rows SET national_targets = national_targets + 1")
    finally:
        con.close()
    c.append(c.stems()[0], "\nGhi chú: thêm một dòng.\n")
    c.same_as_scratch()
    assert not reused(c)


def test_a_table_document_whose_files_did_not_change_is_not_read_again(good, monkeypatch):
    """Its checked sidecar, table spec included, comes from the record of the previous build."""
    raw, out, cache, _wh, _ = good
    tables = [p for p in raw.glob("*.yaml") if "table:" in p.read_text(encoding="utf-8")]
    assert tables  # the seeds hold CSV sources
    first = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    want = first.execute("SELECT * FROM source_document ORDER BY ALL").fetchall()
    first.close()

    def read_again(path, *_a, **_k):
        raise AssertionError(f"{path} read again")

    monkeypatch.setattr("pipeline.sources.documents.check_table", read_again)
    build(raw, REFERENCE_DIR, out, log=lambda _m: None, cache_dir=cache, validate=False)
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    assert con.execute("SELECT * FROM source_document ORDER BY ALL").fetchall() == want
    con.close()
