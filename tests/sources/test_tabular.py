"""Tabular sources: a CSV beside its sidecar, long or wide. A bad table stops the build with
the file, line and column at fault, and the previous warehouse stays byte-identical; a good one
is read as written (separators, quotes, decimal marks, places as printed)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.errors import InputError
from pipeline.reference import GeoResolver
from pipeline.settings import REFERENCE_DIR
from pipeline.sources import discover
from pipeline.sources.tabular import parse_value, records, sniff_delimiter
from tests.helpers import quiet_build, sha

RESOLVER = GeoResolver.of(REFERENCE_DIR)

LONG_HEADER = "geo,label_vi,year,kind,comparator,value,unit,preliminary,instrument,published_as,url"
LONG_ROW = (
    "Kon Tum,Số bác sĩ/10.000 dân,2023,actual,=,10.5,per_10000,false,"
    '"Niên giám thống kê 2023, as cited",news article,https://example.org/a'
)
LONG_SIDECAR = "geo: Việt Nam\ntitle: Số liệu dẫn nguồn\ntable:\n  shape: long\n"


def write(raw: Path, name: str, table: str, sidecar: str, newline: str = "\n") -> Path:
    raw.mkdir(parents=True, exist_ok=True)
    (raw / f"{name}.csv").write_bytes(table.replace("\n", newline).encode("utf-8"))
    (raw / f"{name}.yaml").write_text(sidecar, encoding="utf-8")
    return raw


def long_table(*rows: str) -> str:
    return "\n".join([LONG_HEADER, *rows]) + "\n"


def stops(raw: Path, pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        discover(raw, RESOLVER)


# ------------------------------------------------------------------------------ the records


def test_records_keep_their_lines_and_offsets_across_quoted_line_breaks():
    text = 'a,b\n\n"x\ny",2\r\nlast,3'
    recs = records(text, ",")
    assert [(r.line_start, r.line_end, r.cells) for r in recs] == [
        (1, 1, ["a", "b"]),
        (3, 4, ["x\ny", "2"]),
        (5, 5, ["last", "3"]),
    ]
    assert [text[r.start : r.end] for r in recs] == ["a,b", '"x\ny",2', "last,3"]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('"Tuổi thọ, theo tỉnh"\n\n"Địa phương";"2022";"Sơ bộ 2023"\n"Kon Tum";69,5;69,7\n', ";"),
        ("geo,label,year\nKon Tum,x,2023\n", ","),
        ("geo\tlabel\tyear\nKon Tum\tx\t2023\n", "\t"),
    ],
)
def test_the_separator_is_found_from_the_first_lines(text, delimiter):
    assert sniff_delimiter(text) == delimiter


@pytest.mark.parametrize(
    ("cell", "decimal", "value"),
    [
        ("73,6", ",", 73.6),
        ("1.234,5", ",", 1234.5),
        ("5.130", ",", 5130),
        ("73.6", ".", 73.6),
        ("1,234.5", ".", 1234.5),
        ("-0,5", ",", -0.5),
        ("95", ".", 95),
        ("73.6", ",", None),  # a decimal point where a comma is the mark: refused, not 736
        ("73,6", ".", None),
        ("7x", ".", None),
        ("", ".", None),
    ],
)
def test_values_parse_by_the_tables_decimal_mark(cell, decimal, value):
    assert parse_value(cell, decimal) == value


# ------------------------------------------------------------------ faults stop the build


@pytest.mark.parametrize(
    ("row", "where", "message"),
    [
        (LONG_ROW.replace("Kon Tum", "Kon Tumm"), r"column 1 \('geo'\)", "unknown place"),
        (LONG_ROW.replace("10.5", '"10,5"'), r"column 6 \('value'\)", "unparseable value '10,5'"),
        (LONG_ROW.replace("10.5", "n/a"), r"column 6 \('value'\)", "unparseable value"),
        (
            LONG_ROW.replace('"Niên giám thống kê 2023, as cited"', ""),
            r"column 9 \('instrument'\)",
            "missing citation",
        ),
        (LONG_ROW.replace("https://example.org/a", ""), r"column 11 \('url'\)", "missing citation"),
        (
            LONG_ROW.replace("https://example.org/a", "example.org"),
            r"column 11 \('url'\)",
            "not a web address",
        ),
        (LONG_ROW.replace(",2023,", ",20x3,"), r"column 3 \('year'\)", "not a year"),
        (LONG_ROW.replace(",actual,", ",plan,"), r"column 4 \('kind'\)", "kind must be one of"),
        (LONG_ROW.replace(",=,", ",about,"), r"column 5 \('comparator'\)", "not a comparator"),
        (LONG_ROW.replace(",false,", ",maybe,"), r"column 8 \('preliminary'\)", "true or false"),
    ],
)
def test_a_bad_long_row_names_file_line_and_column(tmp_path, row, where, message):
    raw = write(tmp_path / "raw", "cited", long_table(LONG_ROW, row), LONG_SIDECAR)
    stops(raw, rf"cited\.csv, line 3, {where}: .*{message}")


def test_a_row_with_more_fields_than_the_header_names_its_line(tmp_path):
    raw = write(tmp_path / "raw", "cited", long_table(LONG_ROW, LONG_ROW + ",x"), LONG_SIDECAR)
    stops(raw, r"cited\.csv, line 3: 12 fields where the header has 11")


def test_a_place_outside_the_documents_place_is_refused(tmp_path):
    sidecar = LONG_SIDECAR.replace("Việt Nam", "Lai Châu")
    raw = write(tmp_path / "raw", "cited", long_table(LONG_ROW), sidecar)
    stops(raw, r"cited\.csv, line 2, column 1 \('geo'\): unknown place: 'Kon Tum' \(62\) is not")


def test_a_missing_column_is_named_with_the_header(tmp_path):
    table = long_table(LONG_ROW).replace(",url", ",link")
    raw = write(tmp_path / "raw", "cited", table, LONG_SIDECAR)
    stops(raw, r"cited\.csv, line 1: no column 'url' \(url\)")
    # ... and read once the sidecar names it
    sidecar = LONG_SIDECAR + "  columns: {url: link}\n"
    write(raw, "cited", table, sidecar)
    assert [s.source_id for s in discover(raw, RESOLVER)] == ["cited"]


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        ("geo: Việt Nam\ntitle: x\n", "a table needs key 'table'"),
        ("geo: Việt Nam\ntitle: x\ntable: {shape: tall}\n", r"'table.shape' must be one of"),
        ("geo: Việt Nam\ntitle: x\ntable: {shape: long, colums: {}}\n", "did you mean 'columns'"),
        ("geo: Việt Nam\ntitle: x\ntable: {shape: wide}\n", "required key 'url' is missing"),
        (LONG_SIDECAR + "official_statistics: perhaps\n", "must be true or false"),
    ],
)
def test_a_bad_table_sidecar_is_named(tmp_path, sidecar, message):
    raw = write(tmp_path / "raw", "cited", long_table(LONG_ROW), sidecar)
    stops(raw, rf"cited\.yaml: .*{message}")


def test_a_text_with_a_table_key_and_a_text_beside_a_table_are_refused(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "plan.txt").write_text("Kế hoạch\n", encoding="utf-8")
    (raw / "plan.yaml").write_text(LONG_SIDECAR, encoding="utf-8")
    stops(raw, r"plan\.yaml: key 'table' describes a \.csv")
    write(raw, "plan", long_table(LONG_ROW), LONG_SIDECAR)
    stops(raw, r"plan\.(csv|txt): plan\.(txt|csv) has the same name")


@pytest.mark.parametrize(
    ("bad_row", "where"),
    [
        (LONG_ROW.replace("Kon Tum", "Kon Tumm"), r"line 3, column 1 \('geo'\): unknown place"),
        (LONG_ROW.replace("10.5", "mười"), r"line 3, column 6 \('value'\): unparseable value"),
        (
            LONG_ROW.replace("https://example.org/a", ""),
            r"line 3, column 11 \('url'\): missing citation",
        ),
        (LONG_ROW.replace("per_10000", "per_furlong"), r"line 3, column 7: unknown unit"),
    ],
)
def test_a_bad_table_leaves_the_previous_warehouse_untouched(tmp_path, bad_row, where):
    raw = write(tmp_path / "raw", "cited", long_table(LONG_ROW), LONG_SIDECAR)
    out, cache = tmp_path / "curated", tmp_path / "cache"
    quiet_build(raw, out, cache, validate=False)
    wh = out / "warehouse.duckdb"
    before = sha(wh)
    write(raw, "cited", long_table(LONG_ROW, bad_row), LONG_SIDECAR)
    with pytest.raises(InputError, match=rf"cited\.csv, {where}"):
        quiet_build(raw, out, cache, validate=False)
    assert sha(wh) == before
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("SELECT value FROM observation").fetchall() == [(10.5,)]


# ----------------------------------------------------------------- wide tables, as exported

PXWEB = (
    '\ufeff"Tuổi thọ trung bình tính từ lúc sinh phân theo địa phương"\n'
    "\n"
    '"Địa phương";"2021";"2022";"Sơ bộ 2023"\n'
    '"CẢ NƯỚC";73,6;73,6;74,5\n'
    '"Tây Nguyên";..;..;..\n'
    '"Kon Tum";67,9;..;69,7\n'
    '"Bà Rịa-Vũng Tàu";76,1;76,2;76,4\n'
    '"Nguồn: Tổng cục Thống kê"\n'
)
PXWEB_SIDECAR = (
    "geo: Việt Nam\ntitle: Niên giám thống kê (bảng trực tuyến)\n"
    "url: https://pxweb.example.org/table\nofficial_statistics: true\n"
    "table:\n  shape: wide\n  rows: places\n  unit: năm\n  aggregates: [Tây Nguyên]\n"
)


def test_a_wide_export_with_an_unknown_place_names_the_line(tmp_path):
    raw = write(tmp_path / "raw", "gso", PXWEB.replace("Kon Tum", "Kontum City"), PXWEB_SIDECAR)
    stops(raw, r"gso\.csv, line 6, column 1 \('Địa phương'\): unknown place: .*table\.aggregates")
    raw = write(tmp_path / "raw", "gso", PXWEB, PXWEB_SIDECAR.replace("[Tây Nguyên]", "[]"))
    stops(raw, r"gso\.csv, line 5, column 1 .*'Tây Nguyên'")


def test_a_wide_export_with_an_unparseable_figure_names_line_and_year_column(tmp_path):
    raw = write(tmp_path / "raw", "gso", PXWEB.replace("76,2", "76.2"), PXWEB_SIDECAR)
    stops(raw, r"gso\.csv, line 7, column 3 \('2022'\): unparseable value '76\.2'")


def test_a_wide_export_needs_years_and_a_unit(tmp_path):
    raw = write(tmp_path / "raw", "gso", PXWEB.replace('"2021"', '"Ghi chú"'), PXWEB_SIDECAR)
    stops(raw, r"column 2 \('Ghi chú'\): neither a year")
    raw = write(tmp_path / "raw", "gso", PXWEB, PXWEB_SIDECAR.replace("  unit: năm\n", ""))
    stops(raw, r"needs table\.unit or table\.unit_column")
