"""Other tools open the warehouse: the DuckDB command-line client pinned in requirements.lock (an
older DuckDB than the one that builds), and anything that reads Parquet."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline import marts
from pipeline.settings import CURATED_DIR, ROOT, STORAGE_COMPATIBILITY_VERSION, WAREHOUSE_NAME

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")


def cli(warehouse: Path, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-csv", "-noheader", str(warehouse), sql],
        capture_output=True,
        text=True,
    )


def relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table and view a reader sees (gap_rows is the storage behind the view `gap`)."""
    return [
        r[0]
        for r in con.execute(
            """SELECT table_name FROM duckdb_tables() WHERE NOT internal
               UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal
               ORDER BY 1"""
        ).fetchall()
        if not r[0].endswith("_rows")
    ]


def test_the_pinned_cli_is_the_previous_major_version():
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = re.search(r"^duckdb-cli==(\S+)$", lock, re.M).group(1)
    built_with = re.search(r"^duckdb==(\S+)$", lock, re.M).group(1)
    version = subprocess.run([str(DUCKDB_CLI), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith(f"v{pinned} ")
    assert int(pinned.split(".")[0]) == int(built_with.split(".")[0]) - 1


def test_the_duckdb_cli_opens_the_curated_warehouse():
    """The issue's command, on the warehouse `make test` has just built."""
    wh = CURATED_DIR / WAREHOUSE_NAME
    r = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", str(wh), "select count(*) from gap"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    (n,) = duckdb.connect(str(wh), read_only=True).execute("SELECT count(*) FROM gap").fetchone()
    assert re.search(rf"│\s+{n}\s+│", r.stdout), r.stdout  # the count, in the CLI's box


def test_the_duckdb_cli_reads_every_table_and_view_as_built(seed_build: Path):
    con = duckdb.connect(str(seed_build), read_only=True)
    names = relations(con)
    assert {"gap", "observation", "validation_result", "geo_2025"} <= set(names)
    counts = " UNION ALL ".join(f"SELECT '{n}', count(*) FROM \"{n}\"" for n in names)
    r = cli(seed_build, counts)
    assert r.returncode == 0, r.stderr
    got = dict(line.split(",") for line in r.stdout.split())
    want = {n: str(con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}
    assert got == want
    # list columns and the caveats come through as values, not only counts
    r = cli(
        seed_build,
        "SELECT status, array_to_string(caveats, ';') FROM gap WHERE geo_code = '77' "
        "AND indicator_code = 'infant_mortality_rate'",
    )
    assert r.stdout.strip() == "met,unit_corrected"


def test_the_warehouse_is_written_in_the_compatible_storage_format(seed_build: Path):
    con = duckdb.connect(str(seed_build), read_only=True)
    (tags,) = con.execute(
        "SELECT tags FROM duckdb_databases() WHERE NOT internal AND database_name = current_database()"
    ).fetchone()
    assert tags["storage_version"].startswith(STORAGE_COMPATIBILITY_VERSION)


@pytest.fixture(scope="module")
def parquet_dir(seed_build: Path) -> Path:
    return seed_build.parent


def test_every_table_and_view_is_exported_to_parquet(seed_build: Path, parquet_dir: Path):
    con = duckdb.connect(str(seed_build), read_only=True)
    names = relations(con)
    exported = sorted(p.stem for p in parquet_dir.glob("*.parquet"))
    assert exported == names
    reader = duckdb.connect()
    for name in names:
        path = parquet_dir / f"{name}.parquet"
        want = con.execute(f'DESCRIBE "{name}"').fetchall()
        got = reader.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()
        assert [(c[0], c[1]) for c in got] == [(c[0], c[1]) for c in want], name
        n = reader.execute(f"SELECT count(*) FROM '{path}'").fetchone()[0]
        assert n == con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0], name


def test_gap_parquet_holds_the_view_in_its_order(seed_build: Path, parquet_dir: Path):
    con = duckdb.connect(str(seed_build), read_only=True)
    want = con.execute("SELECT * FROM gap").fetchall()
    got = duckdb.connect().execute(f"SELECT * FROM '{parquet_dir / 'gap.parquet'}'").fetchall()
    assert got == want
    assert list(marts.VIEWS) == ["gap", "yardstick"]
