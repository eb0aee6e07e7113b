"""Loading uses the declared schema: Arrow batches of the schema's types, never DuckDB's type
inference from a sample of pandas rows (which typed ``correction_ids`` NULL[] when the sampled
rows carried no correction, and crashed on the first that did)."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import BuildError
from pipeline.harmonise import OBSERVATION_COLUMNS, observation_frame
from pipeline.settings import RAW_DIR
from pipeline.warehouse.schema import SCHEMA
from pipeline.warehouse.tables import arrow_schema, load, load_records
from tests.helpers import consistent, quiet_build, synthetic_corpus

ROW = {
    "observation_id": "a",
    "source_id": "s",
    "geo_code": "62",
    "indicator_code": "doctors_per_10000",
    "year": 2025,
    "kind": "target",
    "is_estimate": False,
    "comparator": "=",
    "value": 9.5,
    "unit_code": "per_10000",
    "value_reported": "9,5",
    "unit_reported": None,
    "label_reported": "bác sĩ",
    "line_start": 1,
    "line_end": 1,
    "quote": "q",
    "condition": None,
    "flags": [],
    "flag_detail": None,
    "value_upper": None,
    "reader": "prose",
    "correction_ids": [],
    "place_reported": None,
    "sex": "total",
    "residence": "total",
    "cited_instrument": None,
    "cited_url": None,
    "cited_published_as": None,
    "official_statistics": False,
}


def records(n: int, corrected_at: int) -> list[tuple]:
    out = []
    for i in range(n):
        row = dict(ROW, observation_id=f"{i:012x}")
        if i == corrected_at:
            row.update(flags=["correction_applied"], correction_ids=["s#1"], value=90)
        out.append(tuple(row[c] for c in OBSERVATION_COLUMNS))
    return out


@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute(SCHEMA)
    yield c
    c.close()


@pytest.mark.parametrize("corrected_at", [1, 1001, 2999])
def test_one_corrected_row_among_thousands_loads(con, corrected_at: int) -> None:
    load(con, "observation", observation_frame(records(3000, corrected_at)))
    assert con.execute("SELECT count(*) FROM observation").fetchone() == (3000,)
    assert con.execute(
        "SELECT correction_ids, value FROM observation WHERE len(correction_ids) > 0"
    ).fetchall() == [(["s#1"], 90.0)]


def test_records_load_in_batches_of_the_declared_types(con, monkeypatch) -> None:
    from pipeline.warehouse import tables

    monkeypatch.setattr(tables, "BATCH_ROWS", 7)
    chunks = (records(10, 3)[i : i + 4] for i in range(0, 10, 4))  # as documents arrive
    assert load_records(con, "observation", OBSERVATION_COLUMNS, chunks) == 10
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM "
            "information_schema.columns WHERE table_name='observation'"
        ).fetchall()
    )
    assert (
        str(arrow_schema(con, "observation").field("correction_ids").type) == "list<item: string>"
    )
    assert types["year"] == "INTEGER" and types["correction_ids"] == "VARCHAR[]"


def test_a_value_of_the_wrong_type_names_the_column(con) -> None:
    bad = records(5, 2)
    bad[4] = tuple(
        "abc" if c == "value" else v for c, v in zip(OBSERVATION_COLUMNS, bad[4], strict=True)
    )
    with pytest.raises(BuildError, match=r"observation\.value: cannot store 'abc' as double"):
        load_records(con, "observation", OBSERVATION_COLUMNS, [bad])


def test_a_synthetic_corpus_with_late_corrections_builds(tmp_path: Path, bench_templates) -> None:
    """60 documents (2,385 observations), three with a correction: DuckDB sampled every
    second row of the frame to type its columns, found only empty ``correction_ids`` and crashed
    (checked against the old loader; the corpus is the same on every run: a fixed seed)."""
    raw, out = tmp_path / "raw", tmp_path / "curated"
    corrected = synthetic_corpus(60, raw, every=20, templates=bench_templates)
    quiet_build(raw, out, tmp_path / "cache", validate=False)
    consistent(out)
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    assert {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT source_id FROM observation WHERE len(correction_ids) > 0"
        ).fetchall()
    } == set(corrected)
    assert con.execute("SELECT count(*) FROM observation").fetchone()[0] >= 2000


@pytest.mark.slow(seconds=12)
def test_a_thousand_documents_with_corrections_in_one_percent_build_and_pass_the_gate(
    tmp_path: Path, bench_templates
) -> None:
    """The issue's corpus: ~38,000 observations, ten documents with a correction (~20 s)."""
    raw, out = tmp_path / "raw", tmp_path / "curated"
    t = time.perf_counter()
    corrected = synthetic_corpus(1000, raw, templates=bench_templates)
    generated = time.perf_counter() - t
    report = quiet_build(raw, out, tmp_path / "cache", validate=True)
    print(f"\n  generated in {generated:.1f} s, built in {report.seconds:.1f} s")
    assert len(corrected) == 10 and report.n_sources == 1000
    consistent(out)
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    assert con.execute(
        "SELECT count(DISTINCT source_id) FROM observation WHERE len(correction_ids) > 0"
    ).fetchone() == (10,)


def test_rows_committed_in_parts_give_the_rows_of_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_build: Path
) -> None:
    """The load commits every ``LOAD_COMMIT_ROWS`` rows (DuckDB holds a transaction's appends
    in memory outside its limit until it commits). Committed after every batch of ten rows,
    the seeds give the tables and views of the session's seed warehouse, rows in order."""
    from pipeline import marts, settings
    from pipeline.warehouse import load as load_module
    from pipeline.warehouse.schema import TABLES

    statements: list[str] = []

    class Recording:  # the loader's connection, its statements recorded
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self._con = con

        def execute(self, sql: str, *args):
            statements.append(sql)
            return self._con.execute(sql, *args)

        def __getattr__(self, name: str):
            return getattr(self._con, name)

    loader_init = load_module.DocumentLoader.__init__
    monkeypatch.setattr(
        load_module.DocumentLoader, "__init__", lambda s, con: loader_init(s, Recording(con))
    )
    monkeypatch.setattr(load_module, "BATCH_ROWS", 10)
    monkeypatch.setattr(settings, "LOAD_COMMIT_ROWS", 1)
    out = tmp_path / "curated"
    quiet_build(RAW_DIR, out, tmp_path / "cache")
    assert statements.count("COMMIT") >= 6  # each of the six documents its own batch, at least

    relations = [t for t in TABLES if t not in ("build_info", "validation_result")]
    ours = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    theirs = duckdb.connect(str(seed_build), read_only=True)
    for relation in [*relations, *marts.VIEWS]:
        sql = f"SELECT * FROM {relation}"
        assert ours.execute(sql).fetchall() == theirs.execute(sql).fetchall(), relation
