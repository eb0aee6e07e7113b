"""The ``chitieu`` command line as a researcher's shell meets it: the console script in the venv,
``make sql``, CSV and JSON that other tools parse, one spelling for missing values, and a quiet
exit when the reader of a pipe goes away."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline import cli, cli_output
from pipeline.settings import ROOT

CHITIEU = Path(sys.executable).with_name("chitieu")


def chitieu(*args: str, warehouse: Path, **kw) -> subprocess.CompletedProcess:
    """The installed console script, as a shell runs it (from another folder)."""
    env = {**os.environ, "CHITIEU_WAREHOUSE": str(warehouse)}
    return subprocess.run(
        [str(CHITIEU), *args], capture_output=True, text=True, env=env, cwd="/", **kw
    )


@pytest.fixture()
def run(seed_build, capsys, monkeypatch):
    """The same command in this process (what the script calls), for the output formats."""
    monkeypatch.setenv("CHITIEU_WAREHOUSE", str(seed_build))

    def go(*args: str) -> subprocess.CompletedProcess:
        try:
            code = cli.main(list(args))
        except SystemExit as e:  # argparse refuses the arguments
            code = e.code
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    return go


def test_the_console_script_is_installed_in_the_venv_and_runs_from_anywhere(seed_build):
    assert CHITIEU.is_file() and os.access(CHITIEU, os.X_OK)
    r = chitieu("sql", "SELECT count(*) AS n FROM gap", "--csv", warehouse=seed_build)
    assert r.returncode == 0, r.stderr
    con = duckdb.connect(str(seed_build), read_only=True)
    (n,) = con.execute("SELECT count(*) FROM gap").fetchone()
    assert r.stdout == f"n\n{n}\n"


@pytest.mark.parametrize(
    "query",
    [
        "select * from observation",  # the command
        "select * from observation, range(50)",  # 3 MB: certain to outlast the pipe's buffer
    ],
)
def test_a_closed_pipe_ends_quietly(seed_build, query):
    """`chitieu sql "select * from observation" --csv | head -2`, with a real pipe."""
    env = {**os.environ, "CHITIEU_WAREHOUSE": str(seed_build)}
    r = subprocess.run(
        [
            "bash",
            "-c",
            f'"{CHITIEU}" sql "{query}" --csv | head -2; echo "status ${{PIPESTATUS[0]}}" >&2',
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.stdout.count("\n") == 2 and r.stdout.startswith("observation_id,source_id,")
    status = r.stderr.strip().splitlines()[-1]
    assert r.stderr.strip() == status, r.stderr  # nothing else: no traceback, no message
    # 141 = 128 + SIGPIPE, as the shell reports for `cat` in the same place
    assert status == ("status 141" if "range" in query else status), status
    assert status in ("status 141", "status 0")


def test_python_dash_m_pipeline_is_the_same_command(seed_build):
    env = {**os.environ, "CHITIEU_WAREHOUSE": str(seed_build)}
    r = subprocess.run(
        [sys.executable, "-m", "pipeline", "sql", "SELECT 1 AS one", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert json.loads(r.stdout) == [{"one": 1}]


def test_csv_parses_back_with_lists_joined_and_one_spelling_for_missing(seed_build, run):
    r = run(
        "sql",
        "SELECT observation_id, flags, correction_ids, value, year, is_estimate, condition "
        "FROM observation ORDER BY observation_id",
        "--csv",
    )
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    con = duckdb.connect(str(seed_build), read_only=True)
    want = con.execute(
        "SELECT observation_id, flags, correction_ids, value, year, is_estimate, condition "
        "FROM observation ORDER BY observation_id"
    ).fetchall()
    assert len(rows) == len(want) == 256
    for got, (oid, flags, ids, value, year, estimate, condition) in zip(rows, want, strict=True):
        assert got["observation_id"] == oid
        assert got["flags"] == ";".join(flags)
        assert got["correction_ids"] == ";".join(ids or [])
        assert got["value"] == ("" if value is None else repr(value))
        if value is not None:
            assert float(got["value"]) == value  # the shortest text reads back exactly
        assert got["year"] == str(year)
        assert got["is_estimate"] == ("true" if estimate else "false")
        assert got["condition"] == (condition or "")
    text = r.stdout
    for spelling in ("NaN", "<NA>", "None", "nan", "['"):
        assert spelling not in text, spelling
    assert "unit_corrected;restated" in text  # a list of two flags, ;-joined
    assert "'unit_corrected' 'restated'" not in text


def test_json_keeps_types_lists_and_nulls(seed_build, run):
    r = run(
        "sql",
        "SELECT geo_code, target_year, baseline_value, baseline_is_estimate, caveats, "
        "baseline_flags, status FROM gap WHERE geo_code IN ('62', '08') "
        "AND indicator_code = 'infant_mortality_rate' ORDER BY geo_code, target_year",
        "--json",
    )
    rows = json.loads(r.stdout)
    assert rows[0] == {
        "geo_code": "08",
        "target_year": 2025,
        "baseline_value": None,
        "baseline_is_estimate": None,
        "caveats": ["unit_corrected"],
        "baseline_flags": None,
        "status": "no_baseline",
    }
    kt = rows[-1]
    assert kt["baseline_value"] == 25.0 and kt["baseline_is_estimate"] is True
    assert kt["caveats"] == ["estimate"] and kt["baseline_flags"] == ["estimate"]


def test_the_table_spells_missing_values_once_and_names_the_rest(seed_build, run):
    r = run(
        "sql",
        "SELECT geo_code, baseline_value, baseline_is_estimate, baseline_flags, "
        "target_year FROM gap WHERE geo_code = '08' LIMIT 3",
    )
    lines = r.stdout.splitlines()
    assert lines[0].split() == [
        "geo_code",
        "baseline_value",
        "baseline_is_estimate",
        "baseline_flags",
        "target_year",
    ]
    assert set(lines[1]) == {"-", " "}
    for line in lines[2:]:
        assert line.split()[1:4] == ["NULL", "NULL", "NULL"]
    none = run("sql", "SELECT * FROM geo WHERE false")
    assert none.stdout.endswith("(no rows)\n")


def test_sources_in_every_format(seed_build, run):
    table = run("sources").stdout
    assert "kon-tum-2024-health-strategy-plan" in table
    rows = json.loads(run("sources", "--json").stdout)
    assert {r["source_id"] for r in rows} >= {"kon-tum-2024-health-strategy-plan"}
    assert "--csv" in run("sql", "x", "--csv", "--json").stderr


def test_a_bad_query_says_so_on_stderr(seed_build, run):
    r = run("sql", "SELECT * FROM nowhere", "--csv")
    assert r.returncode == 1 and r.stdout == "" and "query failed" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("value", "csv_text", "json_value"),
    [
        (None, "", None),
        (float("nan"), "NaN", None),
        (0.1 + 0.2, "0.30000000000000004", 0.30000000000000004),
        (True, "true", True),
        ([], "", []),
        (["a", None, "b"], "a;;b", ["a", None, "b"]),
        ({"k": [1, 2]}, '{"k": [1, 2]}', {"k": [1, 2]}),
    ],
)
def test_one_rule_per_kind_of_value(value, csv_text, json_value):
    assert cli_output.text(value, cli_output.MISSING["csv"]) == csv_text
    assert cli_output.json_value(value) == json_value


@pytest.mark.usefixtures("checkout_make")
def test_make_sql_prints_only_the_result(seed_build):
    env = {**os.environ, "CHITIEU_WAREHOUSE": str(seed_build)}
    r = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-s",
            "sql",
            "Q=SELECT 'Đắk Lắk' AS \"tỉnh\"",
            "ARGS=--csv",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == "tỉnh\nĐắk Lắk\n"
    usage = subprocess.run(["make", "--no-print-directory", "sql"], cwd=ROOT, capture_output=True)
    assert usage.returncode != 0 and b'make sql Q="select ..."' in usage.stderr
