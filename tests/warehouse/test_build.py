"""Foundation: bad input stops the build loudly, the swap is atomic, readers keep their snapshot."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import BuildError, InputError
from pipeline.settings import REFERENCE_DIR, ROOT
from pipeline.warehouse import build
from pipeline.warehouse import steps as build_steps

KT = "kon-tum-2024-health-strategy-plan"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def quiet_build(raw: Path, out: Path, cache: Path, **kw):
    return build(raw, REFERENCE_DIR, out, log=lambda _m: None, cache_dir=cache, **kw)


@pytest.fixture()
def good(tmp_path: Path, raw_copy: Path):
    """A warehouse built from a copy of the seeds, plus its hash: the 'previous' warehouse."""
    out, cache = tmp_path / "curated", tmp_path / "cache"
    quiet_build(raw_copy, out, cache, validate=False)
    wh = out / "warehouse.duckdb"
    return raw_copy, out, cache, wh, sha(wh)


# ----------------------------------------------------------------------------- geography


def test_geography_counts_and_successors(con):
    levels = dict(con.execute("SELECT level, count(*) FROM geo GROUP BY 1").fetchall())
    assert levels == {"country": 1, "province": 63, "district": 696}
    assert con.execute("SELECT count(*) FROM geo_2025").fetchone()[0] == 34
    assert (
        con.execute("SELECT successor_name_2025 FROM geo WHERE geo_code='62'").fetchone()[0]
        == "Quảng Ngãi"
    )
    assert con.execute("SELECT name_vi, parent_code FROM geo WHERE geo_code='106'").fetchone() == (
        "Tam Đường",
        "12",
    )
    assert con.execute("SELECT name_vi FROM geo_2025 WHERE code='52'").fetchone()[0] == "Gia Lai"


def test_cli_sql_shows_provinces_and_districts():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "sql",
            "select level, count(*) n from geo group by 1 order by 1",
            "--csv",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "province,63" in out and "district,696" in out


def test_schema_matches_the_contract(con):
    contract = {
        "geo": "geo_code name_vi name_en level parent_code region_vi region_en successor_code_2025 successor_name_2025",
        "geo_2025": "code name_vi name_en kind",
        "unit": "unit_code symbol name_vi name_en per",
        "indicator": "indicator_code name_vi name_en domain unit_code direction definition sdg_code",
        "source_document": "source_id geo_code title issuer issued_on doc_number url file_name sha256 n_lines",
        "observation": "observation_id source_id geo_code indicator_code year kind is_estimate comparator "
        "value unit_code value_reported unit_reported label_reported line_start line_end "
        "quote condition flags flag_detail",
        "unmapped": "source_id line_start line_end text reason",
        "build_info": "built_at git_commit package_version n_sources n_observations",
    }
    for table, cols in contract.items():
        have = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        assert have[: len(cols.split())] == cols.split(), table
    per = dict(con.execute("SELECT unit_code, per FROM unit").fetchall())
    assert per["percent"] == 100 and per["per_1000"] == 1000 and per["per_100000"] == 100000
    assert per["years"] is None and per["count"] is None
    assert con.execute("SELECT count(*) FROM indicator").fetchone()[0] >= 55


def test_documented_example_queries_run(con):
    docs = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    queries = re.findall(r"```sql\n(.*?)```", docs, flags=re.S)
    assert len(queries) >= 5
    for q in queries:
        con.execute(q).fetchall()


def test_parquet_per_table(seed_build: Path):
    for table in ("geo", "observation", "indicator", "unit", "source_document", "unmapped"):
        path = seed_build.parent / f"{table}.parquet"
        n = duckdb.connect().execute(f"SELECT count(*) FROM '{path}'").fetchone()[0]
        m = (
            duckdb.connect(str(seed_build), read_only=True)
            .execute(f"SELECT count(*) FROM {table}")
            .fetchone()[0]
        )
        assert n == m


# --------------------------------------------------------------------------------- atomicity


def test_failure_mid_build_leaves_the_old_warehouse_byte_identical(good, monkeypatch):
    raw, out, cache, wh, before = good

    def fails(_staged):
        raise BuildError("simulated failure after loading")

    monkeypatch.setattr(build_steps, "record", fails)
    with pytest.raises(BuildError):
        quiet_build(raw, out, cache, validate=False)
    assert sha(wh) == before
    assert not list(out.glob(".warehouse-*")) and not list(out.glob(".parquet-*"))
    duckdb.connect(str(wh), read_only=True).execute("SELECT count(*) FROM observation").fetchone()


def test_rebuild_while_a_reader_holds_the_old_file(good):
    raw, out, cache, wh, _ = good
    reader = duckdb.connect(str(wh), read_only=True)
    n_before = reader.execute("SELECT count(*) FROM observation").fetchone()[0]
    # change the corpus: drop one document, so the new warehouse differs
    (raw / f"{KT}.txt").unlink()
    (raw / f"{KT}.yaml").unlink()
    (raw / f"{KT}.corrections.yaml").unlink()
    quiet_build(raw, out, cache, validate=False)
    assert reader.execute("SELECT count(*) FROM observation").fetchone()[0] == n_before
    reader.close()
    fresh = duckdb.connect(str(wh), read_only=True)
    assert fresh.execute("SELECT count(*) FROM observation").fetchone()[0] < n_before


# -------------------------------------------------------------------------------- bad input


def _expect_input_error(raw: Path, out: Path, cache: Path, wh: Path, before: str, pattern: str):
    with pytest.raises(InputError, match=pattern):
        quiet_build(raw, out, cache, validate=False)
    assert sha(wh) == before


def test_document_without_sidecar(good):
    raw, out, cache, wh, before = good
    (raw / "lao-cai-2025-plan.txt").write_text("Kế hoạch\n", encoding="utf-8")
    _expect_input_error(raw, out, cache, wh, before, r"lao-cai-2025-plan\.txt: no sidecar")


def test_sidecar_without_document(good):
    raw, out, cache, wh, before = good
    (raw / "lao-cai-2025-plan.yaml").write_text("geo: Lào Cai\ntitle: x\n", encoding="utf-8")
    _expect_input_error(
        raw, out, cache, wh, before, r"lao-cai-2025-plan\.yaml: sidecar without a document"
    )


def test_invalid_yaml_names_the_line(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.yaml").write_text("geo: Kon Tum\ntitle: [unclosed\nissuer: x\n", encoding="utf-8")
    _expect_input_error(raw, out, cache, wh, before, rf"{KT}\.yaml, line \d+: invalid YAML")


def test_missing_and_unknown_keys(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.yaml").write_text("geo: Kon Tum\n", encoding="utf-8")
    _expect_input_error(raw, out, cache, wh, before, r"required key 'title' is missing")
    (raw / f"{KT}.yaml").write_text("geo: Kon Tum\ntitle: x\ntilte: y\n", encoding="utf-8")
    _expect_input_error(
        raw, out, cache, wh, before, r"unknown key 'tilte' \(did you mean 'title'\?\)"
    )


def test_unknown_geo_suggests_close_names(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.yaml").write_text("geo: Kon Tumm\ntitle: x\n", encoding="utf-8")
    _expect_input_error(
        raw, out, cache, wh, before, r"unknown geo 'Kon Tumm'.*Did you mean: .*Kon Tum"
    )


def test_geo_by_code_and_ambiguous_district(good):
    raw, out, cache, wh, _before = good
    (raw / f"{KT}.yaml").write_text("geo: Thành phố Kon Tum\ntitle: x\n", encoding="utf-8")
    quiet_build(raw, out, cache, validate=False)  # the city (district 608) is named explicitly
    con = duckdb.connect(str(wh), read_only=True)
    assert (
        con.execute(f"SELECT geo_code FROM source_document WHERE source_id='{KT}'").fetchone()[0]
        == "608"
    )


def test_non_utf8_document_names_the_line(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.txt").write_bytes("dòng một\ndòng hai\n".encode() + b"\xff\xfe bad\n")
    _expect_input_error(raw, out, cache, wh, before, rf"{KT}\.txt, line 3: not UTF-8")


def test_empty_document(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.txt").write_text("  \n\n", encoding="utf-8")
    _expect_input_error(raw, out, cache, wh, before, rf"{KT}\.txt: the document is empty")


def test_duplicate_source_id(good):
    raw, out, cache, wh, before = good
    shutil.copy(raw / f"{KT}.txt", raw / "copy.txt")
    (raw / "copy.yaml").write_text(f"geo: Kon Tum\ntitle: x\nsource_id: {KT}\n", encoding="utf-8")
    _expect_input_error(raw, out, cache, wh, before, rf"duplicate source_id '{KT}'")


def test_correction_whose_quote_is_not_in_the_source(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.corrections.yaml").write_text(
        "corrections:\n  - quote: 'không có trong văn bản'\n    action: flag\n    reason: test\n",
        encoding="utf-8",
    )
    _expect_input_error(raw, out, cache, wh, before, r"does not occur in the source document")


def test_cli_build_failure_exit_code_and_message(tmp_path: Path):
    """The real entry point: one clear message, non-zero exit (on a scratch copy of the repo)."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "pipeline", repo / "pipeline")
    shutil.copytree(ROOT / "data" / "reference", repo / "data" / "reference")
    shutil.copytree(ROOT / "data" / "raw", repo / "data" / "raw")
    (repo / "data" / "raw" / "orphan.yaml").write_text("geo: Lào Cai\ntitle: x\n", encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "--no-validate"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "orphan.yaml: sidecar without a document" in r.stderr
    assert "previous warehouse is unchanged" in r.stderr


# ------------------------------------------------------------------------------- file drop


def test_a_new_province_is_a_file_drop(good):
    raw, out, cache, wh, _ = good
    (raw / "lao-cai-2025-health-plan.txt").write_text(
        "KẾ HOẠCH\n\nII. MỤC TIÊU\n\n1. Đến năm 2025\n\n"
        "- Tỷ lệ tham gia bảo hiểm y tế đạt trên 95% dân số.\n"
        "- Đạt 30 giường bệnh, 9 bác sĩ trên 10.000 dân.\n",
        encoding="utf-8",
    )
    (raw / "lao-cai-2025-health-plan.yaml").write_text(
        "geo: lao cai\ntitle: Kế hoạch y tế tỉnh Lào Cai\n", encoding="utf-8"
    )
    quiet_build(raw, out, cache, validate=False)
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute(
        "SELECT indicator_code, year, comparator, value FROM observation "
        "WHERE geo_code='10' ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("doctors_per_10000", 2025, "=", 9.0),
        ("health_insurance_coverage", 2025, ">", 95.0),
        ("hospital_beds_per_10000", 2025, "=", 30.0),
    ]


# ------------------------------------------------------------------------------------- CLI


def test_cli_sources_and_explain(seed_build: Path, monkeypatch):
    env = {"CHITIEU_WAREHOUSE": str(seed_build)}
    import os

    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "sql",
            "select observation_id from observation where indicator_code='doctors_per_10000' "
            "and geo_code='62' and year=2025",
            "--csv",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    oid = r.stdout.split()[-1]
    r = subprocess.run(
        [sys.executable, "-m", "pipeline", "explain", oid],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    assert "Doctors per 10,000 population" in r.stdout and "Số bác sĩ trên 10.000 dân" in r.stdout
    assert "> " in r.stdout  # the source line is marked
    r = subprocess.run(
        [sys.executable, "-m", "pipeline", "sources", "--csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    assert f"{KT},62,Kon Tum,66," in r.stdout
