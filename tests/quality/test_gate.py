"""The quality gate: real DuckDB warehouses, the real suites in expectations/, injected defects.

Each defect is injected into the *staged* warehouse between the build steps ``stage`` and ``gate``; the gate must
stop the build, name the offending row, and leave the previous warehouse byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipeline import quality
from pipeline.errors import BuildError
from pipeline.quality import gate as gate_code
from pipeline.quality import plan as gate_plan
from pipeline.quality import results, suites
from pipeline.settings import RAW_DIR, REFERENCE_DIR, ROOT
from pipeline.warehouse import BuildReport, build, gate, publish, record, stage

N_EXPECTATIONS = sum(len(s["expectations"]) for s in suites.load_suite_specs().values())


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def failed(outcome: results.Outcome, severity: str) -> set[tuple[str, str]]:
    return {
        (r["suite"], r["expectation"])
        for r in outcome.results
        if not r["success"] and r["severity"] == severity
    }


@pytest.fixture(scope="module")
def previous(seed_build: Path, tmp_path_factory: pytest.TempPathFactory):
    """A good, validated warehouse (the seeds) in its own folder: the one a bad build must keep."""
    out = tmp_path_factory.mktemp("previous")
    for f in seed_build.parent.glob("*.parquet"):
        shutil.copy2(f, out / f.name)
    shutil.copy2(seed_build, out / "warehouse.duckdb")
    cache = tmp_path_factory.mktemp("cache")
    return out, cache


def snapshot(out: Path) -> dict[str, str]:
    return {f.name: sha(f) for f in sorted(out.iterdir()) if f.is_file()}


def stopped_build(
    previous: tuple[Path, Path],
    tamper: Callable[[duckdb.DuckDBPyConnection], None] | None,
    raw: Path = RAW_DIR,
) -> str:
    """Run a build whose staged warehouse ``tamper`` breaks; the gate's message."""
    out, cache = previous
    before = snapshot(out)
    with pytest.raises(BuildError) as e:
        tampered_build(raw, out, cache, tamper, log=lambda _m: None)
    assert snapshot(out) == before  # warehouse and Parquet byte-identical, no leftovers
    return str(e.value)


def tampered_build(
    raw: Path,
    out: Path,
    cache: Path,
    tamper: Callable[[duckdb.DuckDBPyConnection], None] | None,
    log: Callable[[str], None],
) -> BuildReport:
    """A build whose staged warehouse ``tamper`` changes between loading and the gate."""
    staged = stage(raw, REFERENCE_DIR, out, log=log, cache_dir=cache)
    try:
        if tamper is not None:
            with staged.connect() as con:
                tamper(con)
        gate(staged)
        record(staged)
        publish(staged)
        return staged.report()
    finally:
        staged.discard()


def one_observation(con: duckdb.DuckDBPyConnection, where: str = "TRUE") -> dict:
    row = con.execute(
        f"SELECT observation_id, source_id, line_start FROM observation WHERE {where} "
        "ORDER BY observation_id LIMIT 1"
    ).fetchone()
    assert row, where
    return dict(zip(("observation_id", "source_id", "line_start"), row, strict=True))


def names_row(message: str, row: dict) -> bool:
    return (
        f"source_id={row['source_id']!r} line_start={row['line_start']} "
        f"observation_id={row['observation_id']!r}" in message
    )


# --------------------------------------------------------------------------------- the seeds


def test_seeds_pass_with_zero_errors_and_results_are_recorded(con):
    rows = con.execute(
        "SELECT suite, expectation, severity, success, n_unexpected, details FROM validation_result"
    ).fetchall()
    assert len(rows) == N_EXPECTATIONS
    assert {r[0] for r in rows} == set(suites.SUITES)
    assert {r[2] for r in rows} <= {"error", "warning"}
    errors = [r for r in rows if r[2] == "error" and not r[3]]
    assert errors == []
    # the seeds raise no warning either; a new one needs explaining in the report
    assert [r for r in rows if not r[3]] == []
    assert all(r[4] == 0 for r in rows)
    assert all(r[5] for r in rows)  # every check says why it exists


def test_validate_warehouse_on_the_seeds_is_fast(seed_build: Path, capsys):
    t = time.perf_counter()
    outcome = quality.validate_warehouse(seed_build, RAW_DIR)
    seconds = time.perf_counter() - t
    assert outcome.errors == [] and outcome.warnings == []
    assert len(outcome.results) == N_EXPECTATIONS
    assert "no errors" in outcome.summary()
    with capsys.disabled():
        print(
            f"\n  validate_warehouse on the seeds: {seconds:.2f} s ({N_EXPECTATIONS} expectations)"
        )
    assert seconds < 10


# ------------------------------------------------------ each class of defect stops the build


def test_coverage_above_100_percent_stops_the_build(previous):
    row: dict = {}

    def tamper(con):
        row.update(one_observation(con, "indicator_code = 'health_insurance_coverage'"))
        con.execute(
            "UPDATE observation SET value = 185.6 WHERE observation_id = ?",
            [row["observation_id"]],
        )

    msg = stopped_build(previous, tamper)
    assert (
        "observation: expect_column_pair_values_a_to_be_greater_than_b(max_plausible, value)" in msg
    )
    assert names_row(msg, row) and "value=185.6" in msg and "max_plausible=100" in msg
    assert msg.startswith("1 of ")  # nothing else failed


def test_unknown_unit_stops_the_build(previous):
    row: dict = {}

    def tamper(con):
        row.update(one_observation(con))
        con.execute(
            "UPDATE observation SET unit_code = 'furlong' WHERE observation_id = ?",
            [row["observation_id"]],
        )

    msg = stopped_build(previous, tamper)
    assert "observation: expect_column_values_to_be_in_set(unit_code)" in msg
    assert "expect_column_pair_values_to_be_equal(unit_code, indicator_unit_code)" in msg
    assert names_row(msg, row) and "unit_code='furlong'" in msg


def test_orphan_geo_code_stops_the_build(previous):
    row: dict = {}

    def tamper(con):
        row.update(one_observation(con))
        con.execute(
            "UPDATE observation SET geo_code = '99999' WHERE observation_id = ?",
            [row["observation_id"]],
        )

    msg = stopped_build(previous, tamper)
    assert "observation: expect_column_values_to_be_in_set(geo_code)" in msg
    assert names_row(msg, row) and "geo_code='99999'" in msg
    # ... and a place that is not within its document's place
    assert "observation: expect_column_values_to_be_in_set(geo_within_source)" in msg


def test_a_figure_filed_under_a_place_outside_its_document_stops_the_build(previous):
    """A district of another province (a same-named place elsewhere) is a wrong attribution;
    a district of the document's own province is not."""
    row: dict = {}

    def tamper(con):
        row.update(one_observation(con, "source_id LIKE 'kon-tum%'"))
        own_district = con.execute(
            "SELECT min(geo_code) FROM geo WHERE parent_code = "
            "(SELECT geo_code FROM source_document WHERE source_id LIKE 'kon-tum%')"
        ).fetchone()[0]
        other = con.execute(
            "SELECT min(geo_code) FROM geo WHERE level = 'district' AND parent_code <> "
            "(SELECT geo_code FROM source_document WHERE source_id LIKE 'kon-tum%')"
        ).fetchone()[0]
        con.execute(
            "UPDATE observation SET geo_code = ? WHERE source_id LIKE 'kon-tum%' "
            "AND observation_id <> ? AND line_start = (SELECT min(line_start) FROM observation "
            "WHERE source_id LIKE 'kon-tum%' AND observation_id <> ?)",
            [own_district, row["observation_id"], row["observation_id"]],
        )
        con.execute(
            "UPDATE observation SET geo_code = ? WHERE observation_id = ?",
            [other, row["observation_id"]],
        )

    msg = stopped_build(previous, tamper)
    assert "expect_column_values_to_be_in_set(geo_within_source): 1 row" in msg
    assert names_row(msg, row)


def test_orphan_geo_code_of_a_document_stops_the_build(previous):
    def tamper(con):
        con.execute(
            "UPDATE source_document SET geo_code = '99999' "
            "WHERE source_id = 'tam-duong-2023-health-care-plan'"
        )

    msg = stopped_build(previous, tamper)
    assert "source_document: expect_column_values_to_be_in_set(geo_code)" in msg
    assert "source_id='tam-duong-2023-health-care-plan'" in msg and "geo_code='99999'" in msg


def test_duplicate_observation_id_stops_the_build(previous):
    rows: dict = {}

    def tamper(con):
        first, second = con.execute(
            "SELECT observation_id FROM observation ORDER BY observation_id LIMIT 2"
        ).fetchall()
        rows.update(one_observation(con, f"observation_id = '{second[0]}'"))
        con.execute(
            "UPDATE observation SET observation_id = ? WHERE observation_id = ?",
            [first[0], second[0]],
        )
        rows["key"] = first[0]

    msg = stopped_build(previous, tamper)
    assert "observation: expect_column_values_to_be_unique(observation_id): 2 rows" in msg
    assert msg.count(f"observation_id={rows['key']!r}") == 2  # both rows named
    assert f"source_id={rows['source_id']!r} line_start={rows['line_start']}" in msg


def test_duplicate_geo_code_stops_the_build(previous):
    def tamper(con):
        con.execute("INSERT INTO geo SELECT * FROM geo WHERE geo_code = '77'")

    msg = stopped_build(previous, tamper)
    assert "geo: expect_column_values_to_be_unique(geo_code): 2 rows" in msg
    assert msg.count("geo_code='77'") == 2
    assert msg.startswith("1 of ")


def test_quote_not_in_its_source_stops_the_build(previous):
    row: dict = {}

    def tamper(con):
        row.update(one_observation(con))
        con.execute(
            "UPDATE observation SET quote = quote || ' (không có trong văn bản)' "
            "WHERE observation_id = ?",
            [row["observation_id"]],
        )

    msg = stopped_build(previous, tamper)
    assert "observation: expect_column_values_to_be_in_set(quote_in_source)" in msg
    assert names_row(msg, row) and "quote_in_source=False" in msg


def test_a_real_document_with_185_6_percent_coverage_is_stopped(previous, raw_copy: Path):
    (raw_copy / "lao-cai-2025-health-plan.txt").write_text(
        "KẾ HOẠCH Y TẾ NĂM 2025\n\nĐến năm 2025\n\n- Tỷ lệ tham gia bảo hiểm y tế đạt 185,6%.\n",
        encoding="utf-8",
    )
    (raw_copy / "lao-cai-2025-health-plan.yaml").write_text(
        "geo: Lào Cai\ntitle: Kế hoạch y tế năm 2025\n", encoding="utf-8"
    )
    msg = stopped_build(previous, None, raw=raw_copy)
    assert msg.startswith("1 of ")
    assert (
        "observation: expect_column_pair_values_a_to_be_greater_than_b(max_plausible, value)" in msg
    )
    assert "source_id='lao-cai-2025-health-plan' line_start=5" in msg
    assert "indicator_code='health_insurance_coverage' year=2025" in msg
    assert "value=185.6" in msg and "quote='Tỷ lệ tham gia bảo hiểm y tế đạt 185,6%'" in msg


# ------------------------------------------------------------------------ warnings, not errors


def test_target_against_the_direction_is_a_warning_and_the_build_goes_on(tmp_path: Path, previous):
    row: dict = {}

    def tamper(con):
        row.update(
            one_observation(
                con,
                "kind = 'target' AND comparator = '=' AND indicator_code IN "
                "(SELECT indicator_code FROM indicator WHERE direction = 'higher_is_better')",
            )
        )
        con.execute(
            "UPDATE observation SET comparator = '<' WHERE observation_id = ?",
            [row["observation_id"]],
        )

    log: list[str] = []
    out = tmp_path / "curated"
    report = tampered_build(RAW_DIR, out, previous[1], tamper, log=log.append)
    assert [w["expectation"] for w in report.warnings] == [
        "expect_column_values_to_be_in_set(comparator_agrees_with_direction)"
    ]
    assert any(
        m.startswith("  warning: observation: expect_column_values_to_be_in_set(") for m in log
    )
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        failed_rows = con.execute(
            "SELECT severity, n_unexpected, details FROM validation_result WHERE NOT success"
        ).fetchall()
    finally:
        con.close()
    assert len(failed_rows) == 1
    severity, n, details = failed_rows[0]
    assert severity == "warning" and n == 1
    assert f"observation_id={row['observation_id']!r}" in details and "comparator='<'" in details


# --------------------------------------------------------- many defects, one validation run


def defects_in_every_table(seed_build: Path, wh: Path) -> list[str]:
    """A copy of the seeds' warehouse at ``wh`` with a defect in every table, each in a
    different row; the observations broken, in order."""
    shutil.copy2(seed_build, wh)
    con = duckdb.connect(str(wh))
    # observations no gap row measures: breaking them breaks no check of the gap suite
    unmeasured = """observation_id NOT IN (SELECT target_observation_id FROM gap)
        AND observation_id NOT IN (SELECT baseline_observation_id FROM gap
                                   WHERE baseline_observation_id IS NOT NULL)"""
    ids = [
        r[0]
        for r in con.execute(
            f"SELECT observation_id FROM observation WHERE {unmeasured} ORDER BY 1"
        ).fetchall()
    ]
    quiet = con.execute(  # an indicator no observation uses: breaking it breaks nothing else
        "SELECT indicator_code FROM indicator WHERE indicator_code NOT IN "
        "(SELECT indicator_code FROM observation) ORDER BY 1 LIMIT 2"
    ).fetchall()
    percent = con.execute(
        "SELECT observation_id FROM observation WHERE unit_code = 'percent' "
        f"AND observation_id NOT IN (SELECT unnest(?)) AND {unmeasured} ORDER BY 1 LIMIT 1",
        [ids[:8]],
    ).fetchone()[0]
    for sql, params in [
        ("UPDATE observation SET year = 1989 WHERE observation_id = ?", [ids[0]]),
        ("UPDATE observation SET comparator = '≈' WHERE observation_id = ?", [ids[1]]),
        (
            "UPDATE observation SET comparator = NULL WHERE observation_id = ? "
            "AND NOT list_contains(flags, 'qualitative')",
            [ids[2]],
        ),
        (
            "UPDATE observation SET flags = ['unit_corrected'], flag_detail = NULL "
            "WHERE observation_id = ?",
            [ids[3]],
        ),
        (
            "UPDATE observation SET flags = ['conflict'], flag_detail = 'see elsewhere' "
            "WHERE observation_id = ?",
            [ids[4]],
        ),
        ("UPDATE observation SET kind = 'forecast' WHERE observation_id = ?", [ids[5]]),
        ("UPDATE observation SET indicator_code = 'made_up' WHERE observation_id = ?", [ids[6]]),
        ("UPDATE observation SET observation_id = NULL WHERE observation_id = ?", [ids[7]]),
        ("UPDATE observation SET unit_code = 'per_1000' WHERE observation_id = ?", [percent]),
        ("UPDATE indicator SET unit_code = 'furlong' WHERE indicator_code = ?", [quiet[0][0]]),
        ("UPDATE indicator SET direction = 'sideways' WHERE indicator_code = ?", [quiet[1][0]]),
        ("UPDATE unit SET kind = 'ratio' WHERE unit_code = 'cm'", []),
        ("INSERT INTO unit SELECT * FROM unit WHERE unit_code = 'years'", []),
        ("UPDATE geo SET successor_code_2025 = '00' WHERE geo_code = '106'", []),
        (
            "UPDATE source_document SET default_year = 1975 "
            "WHERE source_id = 'dak-lak-2024-health-sector-action-plan'",
            [],
        ),
        (
            "UPDATE unmapped SET text = 'không có trong văn bản' WHERE line_start = "
            "(SELECT min(line_start) FROM unmapped)",
            [],
        ),
        ("UPDATE geo_2025 SET kind = 'city' WHERE code = (SELECT min(code) FROM geo_2025)", []),
        ("UPDATE correction SET action = 'rewrite'", []),
        # gap (its stored rows): a condition lost on the way, a not-comparable pair called met
        (
            "UPDATE gap_rows SET target_condition = NULL "
            "WHERE status = 'not_comparable' AND target_year = 2025",
            [],
        ),
        (
            "UPDATE gap_rows SET status = 'met', status_reason = NULL "
            "WHERE status = 'not_comparable' AND target_year = 2030",
            [],
        ),
    ]:
        con.execute(sql, params)
    assert (
        con.execute("SELECT count(*) FROM observation WHERE comparator IS NULL").fetchone()[0] == 3
    )
    con.close()
    return ids


def test_every_check_names_its_defect_and_nothing_else(seed_build: Path, tmp_path: Path):
    """Defects in every table at once, each in a different row: exactly their checks fail."""
    wh = tmp_path / "warehouse.duckdb"
    ids = defects_in_every_table(seed_build, wh)
    outcome = quality.validate_warehouse(wh, RAW_DIR)
    o = "observation"
    assert failed(outcome, "error") == {
        (o, "expect_column_values_to_be_between(year)"),
        (o, "expect_column_values_to_be_in_set(comparator)"),
        (o, "expect_column_values_to_be_in_set(comparator_present_unless_qualitative)"),
        (o, "expect_column_values_to_be_in_set(unit_corrected_explained)"),
        (o, "expect_column_values_to_be_in_set(conflict_explained)"),
        (o, "expect_column_values_to_be_in_set(kind)"),
        (o, "expect_column_values_to_be_in_set(indicator_code)"),
        (o, "expect_column_values_to_not_be_null(observation_id)"),
        (o, "expect_column_pair_values_to_be_equal(unit_code, indicator_unit_code)"),
        ("indicator", "expect_column_values_to_be_in_set(unit_code)"),
        ("indicator", "expect_column_values_to_be_in_set(direction)"),
        ("unit", "expect_column_values_to_be_in_set(kind)"),
        ("unit", "expect_column_values_to_be_unique(unit_code)"),
        ("geo", "expect_column_values_to_be_in_set(successor_code_2025)"),
        ("source_document", "expect_column_values_to_be_between(default_year)"),
        ("unmapped", "expect_column_values_to_be_in_set(text_in_source)"),
        ("geo_2025", "expect_column_values_to_be_in_set(kind)"),
        ("correction", "expect_column_values_to_be_in_set(action)"),
        ("gap", "expect_column_values_to_be_in_set(conditions_travel)"),
        ("gap", "expect_column_values_to_be_in_set(not_comparable_when_conditions_differ)"),
    }
    assert failed(outcome, "warning") == {(o, "expect_column_values_to_be_in_set(flags_explained)")}
    by_name = {(e["suite"], e["expectation"]): e for e in outcome.errors}
    assert all(e["n_unexpected"] >= 1 and e["rows"] for e in outcome.errors)
    assert (
        f"observation_id={ids[0]!r}"
        in by_name[(o, "expect_column_values_to_be_between(year)")]["details"]
    )
    assert "year=1989" in by_name[(o, "expect_column_values_to_be_between(year)")]["details"]
    assert by_name[("unit", "expect_column_values_to_be_unique(unit_code)")]["n_unexpected"] == 2
    summary = outcome.summary()
    assert summary.startswith(f"20 of {N_EXPECTATIONS} expectations failed:")
    assert "unit_code='furlong'" in summary and "direction='sideways'" in summary
    assert "successor_code_2025='00'" in summary and "default_year=1975" in summary


def test_a_helper_process_gives_the_results_one_process_gives(
    seed_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The chunks of the large tables shared with a forked helper: the same results, offending
    rows, keys and flagged documents as one process validating them all, in the same order."""
    wh = tmp_path / "warehouse.duckdb"
    defects_in_every_table(seed_build, wh)
    with duckdb.connect(str(wh)) as con:  # the first row again, last: a key in two chunks
        con.execute("INSERT INTO observation SELECT * FROM observation ORDER BY rowid LIMIT 1")
    monkeypatch.setattr(gate_plan, "GATE_CHUNK_ROWS", 100)  # two or three chunks per large table
    monkeypatch.setattr(gate_code, "GATE_SHARE_ROWS", 0)
    pids = tmp_path / "pids"
    chunk_frame = gate_code.chunk_frame

    def recorded(*args, **kwargs):
        with pids.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return chunk_frame(*args, **kwargs)

    monkeypatch.setattr(gate_code, "chunk_frame", recorded)
    alone = quality.validate_warehouse(wh, RAW_DIR, workers=1)
    assert set(pids.read_text().split()) == {str(os.getpid())}
    pids.unlink()
    shared = quality.validate_warehouse(wh, RAW_DIR, workers=2)
    assert len(set(pids.read_text().split())) == 2  # the helper validated chunks too

    def comparable(outcome: results.Outcome) -> str:
        return json.dumps([outcome.results, outcome.unexpected], default=str)

    assert len(alone.errors) == 21 and alone.unexpected["observation"]
    assert comparable(shared) == comparable(alone)
    assert shared.summary() == alone.summary()
    # the file open here when the helper is forked: it does not use the instance that crossed
    # the fork (DuckDB is not fork-safe), and the chunks are all validated here
    pids.unlink()
    with duckdb.connect(str(wh), read_only=True):
        held = quality.validate_warehouse(wh, RAW_DIR, workers=2)
    assert set(pids.read_text().split()) == {str(os.getpid())}
    assert comparable(held) == comparable(alone)


# ---------------------------------------------------------------------------------- suites


def test_every_table_and_view_has_a_suite(con):
    """The gate's suites cover what it can see; build_info and validation_result, written after
    it, have suites run on the published warehouse (make docs, and the test below)."""
    relations = {
        r[0]
        for r in con.execute(
            """SELECT table_name FROM duckdb_tables() WHERE NOT internal
               UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"""
        ).fetchall()
    }
    from pipeline import marts

    storage = {f"{view}_rows" for view in marts.VIEWS}  # gap_rows: the storage of view gap
    assert set(suites.ALL_SUITES) == relations - storage
    assert set(suites.PUBLISHED_SUITES) == {"build_info", "validation_result"}
    files = {p.stem for p in (ROOT / "expectations").glob("*.json")}
    assert files == set(suites.ALL_SUITES)
    specs = suites.load_suite_specs(names=suites.ALL_SUITES)
    published = {n for n, spec in specs.items() if spec["meta"].get("stage") == "published"}
    assert published == set(suites.PUBLISHED_SUITES)


def test_the_gap_suite_knows_the_documented_statuses():
    from pipeline import marts

    gap = suites.load_suite_specs(names=("gap",))["gap"]
    sets = {
        e["kwargs"]["column"]: e["kwargs"]["value_set"]
        for e in gap["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set"
    }
    assert sets["status"] == list(marts.STATUSES)
    assert sets["status_reason"] == list(marts.STATUS_REASONS.values())
    assert sets["progress_class"] == list(marts.PROGRESS_CLASSES)


def test_published_suites_pass_on_the_seeds_and_catch_their_defects(
    seed_build: Path, tmp_path: Path
):
    outcome = quality.validate_published(seed_build, RAW_DIR)
    assert outcome.errors == [] and outcome.warnings == []
    assert {r["suite"] for r in outcome.results} == set(suites.ALL_SUITES)
    wh = tmp_path / "warehouse.duckdb"
    shutil.copy2(seed_build, wh)
    con = duckdb.connect(str(wh))
    con.execute("UPDATE build_info SET n_observations = n_observations + 1")
    con.execute(
        "INSERT INTO validation_result VALUES ('gap', 'made up', 'error', false, 1, 'x'), "
        "('nowhere', 'made up', 'warning', false, 1, 'x')"
    )
    con.close()
    outcome = quality.validate_published(wh, RAW_DIR)
    assert failed(outcome, "error") == {
        ("build_info", "expect_column_values_to_be_in_set(counts_match_tables)"),
        ("validation_result", "expect_column_values_to_be_in_set(no_error_published)"),
        ("validation_result", "expect_column_values_to_be_in_set(suite_known)"),
    }


def test_suites_are_generic_and_cover_the_contract():
    specs = suites.load_suite_specs(names=suites.ALL_SUITES)
    assert set(specs) == set(suites.ALL_SUITES)
    have = {
        (name, e["type"], tuple(results._columns(e["kwargs"])))
        for name, spec in specs.items()
        for e in spec["expectations"]
    }
    keys = {
        "geo": "geo_code",
        "geo_2025": "code",
        "unit": "unit_code",
        "indicator": "indicator_code",
        "source_document": "source_id",
        "observation": "observation_id",
        "gap": "target_observation_id",
    }
    for table, key in keys.items():
        assert (table, "expect_column_values_to_not_be_null", (key,)) in have
        assert (table, "expect_column_values_to_be_unique", (key,)) in have
    fks = {
        ("observation", "geo_code"): "geo_codes",
        ("observation", "indicator_code"): "indicator_codes",
        ("observation", "unit_code"): "unit_codes",
        ("observation", "source_id"): "source_ids",
        ("source_document", "geo_code"): "geo_codes",
        ("indicator", "unit_code"): "unit_codes",
        ("unmapped", "source_id"): "source_ids",
        ("correction", "source_id"): "source_ids",
        ("gap", "geo_code"): "geo_codes",
        ("gap", "indicator_code"): "indicator_codes",
        ("gap", "unit_code"): "unit_codes",
        ("gap", "target_source_id"): "source_ids",
        ("gap", "baseline_source_id"): "source_ids",
    }
    for (table, column), param in fks.items():
        assert {"column": column, "value_set": {"$PARAMETER": param}} in [
            e["kwargs"] for e in specs[table]["expectations"]
        ], (table, column)
    for name, spec in specs.items():
        for e in spec["expectations"]:
            assert e["meta"]["severity"] in ("error", "warning") and e["meta"]["why"], (name, e)
            # ranges are catalog data: no hand-typed bounds on a value column
            if e["kwargs"].get("column") in ("value", "value_upper"):
                assert not {"min_value", "max_value"} & set(e["kwargs"]), e
    warnings = {
        (name, tuple(results._columns(e["kwargs"])))
        for name, spec in specs.items()
        for e in spec["expectations"]
        if e["meta"]["severity"] == "warning"
    }
    assert ("observation", ("comparator_agrees_with_direction",)) in warnings


def test_a_typo_in_a_suite_stops_the_gate_instead_of_dropping_the_check(
    seed_build: Path, tmp_path: Path, monkeypatch
):
    shutil.copytree(ROOT / "expectations", tmp_path / "expectations")
    path = tmp_path / "expectations" / "unit.json"
    spec = json.loads(path.read_text(encoding="utf-8"))
    spec["expectations"][1]["type"] = "expect_column_values_to_be_uniq"
    path.write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setattr(suites, "EXPECTATIONS_DIR", tmp_path / "expectations")
    with pytest.raises(
        ValueError, match=r"unit\.json: expectation 1 \(expect_column_values_to_be_uniq\)"
    ):
        quality.validate_warehouse(seed_build, RAW_DIR)


# -------------------------------------------------------------------------------- Data Docs


@pytest.mark.slow
def test_data_docs_render_every_suite_and_its_results(seed_build: Path, tmp_path: Path):
    docs = tmp_path / "data-docs"
    (docs / "validations").mkdir(parents=True)
    (docs / "validations" / "stale.html").write_text("an earlier run", encoding="utf-8")
    index = quality.build_data_docs(seed_build, RAW_DIR, docs)
    assert index == docs / "index.html" and index.is_file()
    assert not (docs / "validations" / "stale.html").exists()  # the site starts afresh
    html = index.read_text(encoding="utf-8")
    for name in suites.ALL_SUITES:  # every table and view, build_info and validation_result too
        assert f"expectations/{name}.html" in html and f"validations/{name}/" in html
        (page,) = (docs / "validations" / name).rglob("*.html")
        assert "Succeeded" in page.read_text(encoding="utf-8")


def test_data_docs_refuse_to_wipe_a_folder_that_is_not_a_docs_site(seed_build: Path, tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError, match=r"notes\.txt"):
        quality.build_data_docs(seed_build, RAW_DIR, tmp_path)
    assert (tmp_path / "notes.txt").exists()


def test_great_expectations_is_imported_lazily():
    code = (
        "import sys, pipeline.quality, pipeline.warehouse, pipeline.cli; "
        "assert 'great_expectations' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_great_expectations_loads_without_the_iri_grammars():
    code = (
        "import sys; from pipeline.quality import gx as g; gx = g.import_gx(); "
        "assert gx.__name__ == 'great_expectations'; "
        "assert 'rfc3987_syntax' not in sys.modules; "  # not loaded, and not left blocked
        "assert g.import_gx() is gx; "
        "import importlib.util; assert importlib.util.find_spec('rfc3987_syntax') is not None"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_an_expectations_configuration_is_built_once_per_read_of_its_kwargs():
    """gx._build_each_configuration_once: the kwargs Great Expectations reads are those of a
    configuration built afresh, and outside those reads each one is still new."""
    from pipeline.quality import gx as g

    gx = g.import_gx()
    from great_expectations.expectations.expectation import Expectation

    built = Expectation.__dict__["configuration"].fget.built
    for spec in suites.load_suite_specs().values():
        for e in suites.gx_suite(gx, spec).expectations:
            assert e.configuration is not e.configuration
            fresh = built(e).kwargs
            domain = {k: fresh.get(k, e._get_default_value(k)) for k in e.domain_keys}
            success = {k: fresh.get(k, e._get_default_value(k)) for k in e.success_keys}
            assert e._get_domain_kwargs() == domain
            assert e._get_success_kwargs() == {**success, **domain}
            for k in e.runtime_keys:
                assert e._get_success_kwarg(k) == fresh.get(k, e._get_success_kwarg(k))
            assert e._get_runtime_kwargs()["result_format"]


def test_the_yardstick_and_baseline_checks_catch_what_they_name(seed_build: Path, tmp_path: Path):
    """A yardstick pair called more ambitious than it is, a national target left out, a
    baseline taken from a less preferred source, a citation lost: exactly their checks fail."""
    wh = tmp_path / "warehouse.duckdb"
    shutil.copy2(seed_build, wh)
    con = duckdb.connect(str(wh))
    kon_tum_doctors = "geo_code = '62' AND indicator_code = 'doctors_per_10000' AND target_year"
    for sql in (
        f"UPDATE yardstick_rows SET ambition = 'more_ambitious', falls_short = false "
        f"WHERE {kon_tum_doctors} = 2025 AND national_value = 15",
        f"UPDATE yardstick_rows SET falls_short_of_any = false WHERE {kon_tum_doctors} = 2025",
        f"DELETE FROM yardstick_rows WHERE {kon_tum_doctors} = 2030 AND national_value = 11",
        # the national life expectancy 2025 target measured against the ministry's estimate
        "UPDATE gap_rows SET baseline_basis = 'other_source' WHERE geo_code = 'VN' "
        "AND indicator_code = 'life_expectancy' AND target_year = 2025",
        "UPDATE gap_rows SET target_instrument = NULL WHERE geo_code = 'VN' "
        "AND indicator_code = 'healthy_life_years' AND target_year = 2030",
    ):
        assert con.execute(sql).fetchone()[0] >= 1
    con.close()
    outcome = quality.validate_warehouse(wh, RAW_DIR)
    assert failed(outcome, "error") == {
        ("yardstick", "expect_column_values_to_be_in_set(ambition_follows_the_targets)"),
        ("yardstick", "expect_column_values_to_be_in_set(every_national_target_shown)"),
        ("gap", "expect_column_values_to_be_in_set(baseline_preferred)"),
        ("gap", "expect_column_values_to_be_in_set(citations_travel)"),
    }
    by_name = {(e["suite"], e["expectation"]): e for e in outcome.errors}
    shown = by_name[("yardstick", "expect_column_values_to_be_in_set(every_national_target_shown)")]
    assert shown["n_unexpected"] == 2  # the two 2030 rows left for Kon Tum's doctors


def test_the_unmapped_reason_codes_are_the_documented_ones():
    """The suite's enumeration and docs/warehouse.md list the same reason codes: a reader that
    adds one must document it (and a branch that adds the check must know every reader's)."""
    spec = suites.load_suite_specs()["unmapped"]
    (allowed,) = [
        e["kwargs"]["value_set"]
        for e in spec["expectations"]
        if e["kwargs"].get("column") == "reason_code" and "value_set" in e["kwargs"]
    ]
    docs = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    section = docs.split("### `unmapped`", 1)[1].split("###", 1)[0]
    listed = section.split("`reason_code` ∈", 1)[1].split("For a table", 1)[0]
    # each code opens its entry: '`code` (what it means…)' or '`code`,' — the explanations
    # quote other words (`percent`) in passing
    documented = set(re.findall(r"(?:^|[,∈]\s*)`([a-z_]+)`", listed, re.M))
    assert set(allowed) == documented


def test_a_corpus_without_targets_builds_with_an_empty_gap(tmp_path: Path):
    """Yearbook pages alone give actuals but no target: the gap view is empty, and the gate's
    suites on it (and on the yardstick) pass rather than stop the build."""
    raw = tmp_path / "raw"
    raw.mkdir()
    page = ROOT / "tests" / "staging" / "statistics" / "l1-lai-chau-ngtk-2021-chi-tieu-y-te"
    for suffix in (".txt", ".yaml"):
        shutil.copy(page.with_suffix(suffix), raw / page.with_suffix(suffix).name)
    report = build(raw, REFERENCE_DIR, tmp_path / "out", log=lambda _m: None)
    con = duckdb.connect(str(report.warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM gap").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM observation").fetchone()[0] > 20
    finally:
        con.close()
