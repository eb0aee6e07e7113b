"""Readers cannot write: ``connect()`` and ``python -m pipeline sql`` refuse COPY … TO, ATTACH,
INSTALL, SET and file reads, and the warehouse survives; commands that need a warehouse say so
before the first build instead of a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main
from pipeline.settings import ROOT
from pipeline.warehouse import connect
from tests.helpers import sha


@pytest.fixture()
def warehouse(seed_build: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(seed_build, copy)
    copy.chmod(0o644)
    return copy


@pytest.mark.parametrize(
    "query",
    [
        "COPY (SELECT 1) TO '{wh}'",
        "COPY observation TO '{tmp}/out.csv'",
        "EXPORT DATABASE '{tmp}/export'",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT 1; COPY (SELECT 1) TO '{wh}'",
    ],
)
def test_sql_cannot_write_or_reach_outside(warehouse: Path, tmp_path: Path, capsys, query: str):
    before = sha(warehouse)
    q = query.format(wh=warehouse, tmp=tmp_path)
    assert main(["sql", q, "--warehouse", str(warehouse)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("query failed: ")
    assert "`sql` only reads the warehouse" in err
    assert sha(warehouse) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]
    assert connect(warehouse).execute("SELECT count(*) FROM observation").fetchone()[0] > 0


def test_connect_reads_and_nothing_more(warehouse: Path) -> None:
    con = connect(warehouse)
    assert con.execute("SELECT count(*) FROM gap").fetchone()[0] > 0
    with pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"COPY (SELECT 1) TO '{warehouse}'")


def test_the_refusal_is_one_message_from_the_real_command(warehouse: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "pipeline", "sql", f"COPY (SELECT 1) TO '{warehouse}'"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "CHITIEU_WAREHOUSE": str(warehouse)},
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "file system operations are disabled" in r.stderr
    duckdb.connect(str(warehouse), read_only=True).execute("SELECT 1 FROM build_info").fetchall()


@pytest.mark.parametrize("argv", [["sources"], ["explain", "0123456789ab"], ["sql", "SELECT 1"]])
def test_before_the_first_build_a_message(tmp_path: Path, capsys, monkeypatch, argv) -> None:
    monkeypatch.setenv("CHITIEU_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    assert main(argv) == 2
    assert "does not exist yet: run `make build`" in capsys.readouterr().err
