"""The gate's helper columns worked out over a chunk at once agree, row by row, with the rules
stated for one row: the quotes in their raw files (``Raw.contains_at``, ``Raw.contains``) and the
yardstick's ambition (``yardstick.ambition``), over grids of every edge case those rules name."""

from __future__ import annotations

import hashlib
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.quality.derived import Raw, _derive_quotes, _derive_sources
from pipeline.quality.gap_checks import missing
from pipeline.quality.yardstick import EPS, ambition, ambitions, derive_ambition

# ---------------------------------------------------------------------------- quotes

TEXTS = {
    "plain.txt": "Tỷ lệ bao phủ\nđạt 95%\n\nSố giường bệnh 3.306\ndòng cuối",  # no final break
    "ends.txt": "một\nhai ba\nbốn\n",  # a final line break: an empty last "line"
    "one.txt": "một dòng",
    "empty.txt": "",
}
QUOTES = [
    "đạt 95%", "đạt 95%\n", "Tỷ lệ bao phủ\nđạt 95%", "\n", "", "dòng cuối", "bốn\n",
    "hai ba\nbốn\n", "một", "not there", "95%\n\nSố", None, 42,
]  # fmt: skip
LINES = [-1, 0, 1, 2, 3, 4, 5, 6, 7, None, math.nan, pd.NA, 2.0, 3.7, True]


@pytest.fixture()
def raw_dir(tmp_path: Path) -> Path:
    for name, text in TEXTS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("đạt 95%\n".encode() + b"\xff\n")  # not UTF-8
    return tmp_path


def _rows() -> list[tuple]:
    """(file, quote, start, end): every quote at every pair of cited lines, in each file; a
    file's rows together, as in a table, but the same file again later (after others)."""
    files = [*TEXTS, "latin1.txt", "missing.txt", None, "plain.txt", "one.txt"]
    return [(f, q, a, b) for f in files for q in QUOTES for a, b in itertools.product(LINES, LINES)]


def test_quotes_each_is_contains_at_and_contains_row_by_row(raw_dir: Path):
    rows = _rows()
    files, quotes, starts, ends = (list(c) for c in zip(*rows, strict=True))
    at, anywhere = Raw(raw_dir).quotes_each(files, quotes, starts, ends)
    one = Raw(raw_dir)
    expected_at = [one.contains_at(*r) for r in rows]
    assert at == expected_at
    assert anywhere == [c or one.contains(f, q) for c, (f, q, _, _) in zip(at, rows, strict=True)]
    # not vacuous: each branch of the rule decides some rows
    assert any(at) and not all(at) and any(a != w for a, w in zip(at, anywhere, strict=True))
    assert all(type(v) is bool for v in at + anywhere)
    # without line numbers: contains alone
    _, only = Raw(raw_dir).quotes_each(files, quotes)
    assert only == [one.contains(f, q) for f, q, _, _ in rows]


@pytest.mark.parametrize(
    ("file", "quote", "start", "end", "at_lines", "in_file"),
    [
        ("plain.txt", "đạt 95%", 2, 2, True, True),
        ("plain.txt", "đạt 95%\n", 2, 2, True, True),  # ending with the line's break
        ("plain.txt", "Tỷ lệ bao phủ\nđạt 95%", 1, 2, True, True),  # across the cited lines
        ("plain.txt", "Tỷ lệ bao phủ\nđạt 95%", 2, 2, False, True),  # starts a line earlier
        ("plain.txt", "đạt 95%", 0, 2, False, True),  # no line 0
        ("plain.txt", "\n", 3, 2, True, True),  # end before start: only the break of line 2
        ("plain.txt", "\n", 6, 5, False, True),  # ... and none after the last line
        ("plain.txt", "", 6, 5, True, True),
        ("plain.txt", "đạt 95%", 2, -100, False, True),  # far before: no line, no crash
        ("plain.txt", "dòng cuối", 5, 9, True, True),  # lines past the end: to the end
        ("ends.txt", "bốn\n", 3, 3, True, True),  # the last line's break
        ("plain.txt", "đạt 95%", None, 2, False, True),  # missing line numbers
        ("plain.txt", "đạt 95%", 2, math.nan, False, True),
        ("plain.txt", "đạt 95%", 2.0, 2.0, True, True),  # a float line number, read as int
        ("latin1.txt", "đạt 95%", 1, 1, False, False),  # not UTF-8: not found at all
        ("missing.txt", "đạt 95%", 1, 1, False, False),
        (None, "đạt 95%", 1, 1, False, False),
        ("plain.txt", None, 1, 1, False, False),
    ],
)
def test_each_documented_edge_case(raw_dir: Path, file, quote, start, end, at_lines, in_file):
    at, anywhere = Raw(raw_dir).quotes_each([file], [quote], [start], [end])
    assert (at, anywhere) == ([at_lines], [in_file])
    assert Raw(raw_dir).contains_at(file, quote, start, end) is at_lines


def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files read from now on, in order (``Path.read_bytes`` counted)."""
    reads: list[str] = []
    real = Path.read_bytes

    def counted(self: Path) -> bytes:
        reads.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", counted)
    return reads


def test_a_file_is_read_once_per_run_of_its_rows(raw_dir: Path, monkeypatch):
    """Both columns in one pass: a second pass over more files than the cache keeps would read
    every file twice."""
    files = [f"f{i}.txt" for i in range(Raw.KEPT + 2)]
    for f in files:
        (raw_dir / f).write_text("a\nb\n", encoding="utf-8")
    reads = counted_reads(monkeypatch)
    rows = [f for f in files for _ in range(3)]
    df = pd.DataFrame({"_file": rows, "quote": ["zz"] * len(rows)})
    df["line_start"] = df["line_end"] = np.ones(len(rows), dtype="int32")
    _derive_quotes(df, Raw(raw_dir), "quote", at_lines=True)
    assert reads == files
    assert not df["quote_at_cited_lines"].any() and not df["quote_in_source"].any()


def test_derive_quotes_on_a_chunk_with_missing_line_numbers(raw_dir: Path):
    rows = _rows()[::7]
    df = pd.DataFrame(
        {
            "_file": pd.Series([r[0] for r in rows], dtype="str"),
            "quote": pd.Series([r[1] if isinstance(r[1], str) else None for r in rows]),
            "line_start": pd.array([r[2] if type(r[2]) is int else None for r in rows], "Int32"),
            "line_end": pd.array([r[3] if type(r[3]) is int else None for r in rows], "Int32"),
        }
    )
    one = Raw(raw_dir)
    columns = (df[c] for c in ("_file", "quote", "line_start", "line_end"))
    at = [one.contains_at(f, q, a, b) for f, q, a, b in zip(*columns, strict=True)]
    _derive_quotes(df, Raw(raw_dir), "quote", at_lines=True)
    assert df["quote_at_cited_lines"].tolist() == at and any(at) and not all(at)
    assert df["quote_in_source"].tolist() == [
        c or one.contains(f, q) for c, f, q in zip(at, df["_file"], df["quote"], strict=True)
    ]


def test_sources_read_each_file_once_and_check_its_bytes(raw_dir: Path, monkeypatch):
    """found and checksum from one read of each file, whatever its encoding; its text
    decoded later, when a quote asks for it, as it always was."""
    names = [*TEXTS, "latin1.txt", "missing.txt", None]
    names += [f for f in TEXTS]  # again, after more files than the cache keeps
    sha = {
        f: hashlib.sha256((raw_dir / f).read_bytes()).hexdigest() for f in [*TEXTS, "latin1.txt"]
    }
    digests = [sha.get(f, "0" * 64) if i % 4 else "wrong" for i, f in enumerate(names)]
    reads = counted_reads(monkeypatch)
    src = pd.DataFrame({"file_name": names, "sha256": digests})
    raw = Raw(raw_dir)
    _derive_sources(src, raw)
    assert src["file_in_raw_dir"].tolist() == [f in sha for f in names]
    assert src["sha256_matches_file"].tolist() == [
        f in sha and d == sha[f] for f, d in zip(names, digests, strict=True)
    ]
    assert sum(src["sha256_matches_file"]) > 3 and not all(src["sha256_matches_file"])
    assert reads == [f for f in names if f in sha]  # once per row, none twice in a row
    assert raw.get("latin1.txt")[1] is None and raw.get("one.txt")[1] == TEXTS["one.txt"]
    assert raw.get("latin1.txt")[0] == (raw_dir / "latin1.txt").read_bytes()


# ------------------------------------------------------------------------- ambition

COMPARATORS = [">", ">=", "<", "<=", "=", None]
DIRECTIONS = ["higher_is_better", "lower_is_better", "neutral", None]
VALUES = [
    (10.0, 10.0), (10.0, 10.0 + EPS / 10), (10.0 + EPS / 10, 10.0), (10.0, 10.0 + 2 * EPS),
    (10.0 + 2 * EPS, 10.0), (11.0, 10.0), (10.0, 11.0), (math.nan, 10.0), (10.0, None),
    (math.inf, math.inf), (math.inf, 10.0), (0.0, -0.0), (EPS, 0.0), (0.0, EPS),  # EPS apart
]  # fmt: skip
CONDITIONS = [
    (None, None), (None, ""), (None, "  "), ("a b", " A  b\t"), ("x\xa0y", "x y"),
    ("x\u200by", "x y"), ("a", "b"), ("Ｉ", "ｉ"), (None, "a"),
]  # fmt: skip
COLUMNS = [
    "target_value", "national_value", "target_condition", "national_condition",
    "comparator", "national_comparator", "direction",
]  # fmt: skip


def _grid() -> pd.DataFrame:
    """Every comparator pair, direction, pair of values and pair of conditions."""
    rows = [
        (t, n, tc, nc, c, nco, d)
        for c, nco, d, (t, n), (tc, nc) in itertools.product(
            COMPARATORS, COMPARATORS, DIRECTIONS, VALUES, CONDITIONS
        )
    ]
    return pd.DataFrame(rows, columns=COLUMNS).astype(
        {"target_value": float, "national_value": float}
    )


def _as_chunk(df: pd.DataFrame) -> pd.DataFrame:
    """The dtypes a chunk's frame has: text as str (missing: None), numbers as float64."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: isinstance(v, str) or v is None).all():
            out[c] = out[c].astype("str")
    return out


@pytest.mark.parametrize("dtypes", ["chunk", "objects"])
def test_ambitions_is_ambition_row_by_row(dtypes: str):
    grid = _grid()
    df = _as_chunk(grid) if dtypes == "chunk" else grid.astype(object)
    kinds, reasons = ambitions(df)
    expected = [ambition(r) for r in grid.to_dict("records")]
    assert list(zip(kinds, reasons, strict=True)) == expected
    assert len(set(expected)) == 7  # every outcome of the rule, reasons included


def _follows(y: dict) -> bool:
    """The check row by row, as the gate made it before it worked on whole columns."""
    reason = None if missing(y["ambition_reason"]) else y["ambition_reason"]
    return (
        (y["ambition"], reason) == ambition(y)
        and not missing(y["falls_short"])
        and bool(y["falls_short"]) == (y["ambition"] == "less_ambitious")
    )


@pytest.mark.parametrize("dtypes", ["chunk", "objects"])
def test_derive_ambition_is_the_check_row_by_row(dtypes: str):
    """The view's ambition, reason and falls_short: right, or each wrong in its own way."""
    grid = _grid()
    right = [ambition(r) for r in grid.to_dict("records")]
    kinds = [k for k, _ in right]
    given = [[k, "more_ambitious", "less_ambitious", None, k][i % 5] for i, k in enumerate(kinds)]
    reasons = [r for _, r in right]
    grid["ambition"] = given
    grid["ambition_reason"] = [
        [r, None, "", math.nan, "conditions_differ", r, r][i % 7] for i, r in enumerate(reasons)
    ]
    grid["falls_short"] = [
        [k == "less_ambitious", k != "less_ambitious", None][i % 3] if i % 11 else True
        for i, k in enumerate(given)
    ]
    expected = [_follows(y) for y in grid.to_dict("records")]
    df = _as_chunk(grid) if dtypes == "chunk" else grid.astype(object)
    if dtypes == "chunk":
        df["falls_short"] = df["falls_short"].astype("boolean")
    derive_ambition(df)
    assert df["ambition_follows_the_targets"].tolist() == expected
    assert sum(expected) > 100 and not all(expected)


def test_derive_ambition_on_an_empty_chunk_keeps_the_column_dtype():
    """The column was a list of the rows' checks: an empty chunk's is float64, and stays so."""
    df = _as_chunk(_grid()).iloc[:0].assign(ambition=[], ambition_reason=[], falls_short=[])
    before = df.copy()
    before["ambition_follows_the_targets"] = []
    derive_ambition(df)
    assert df["ambition_follows_the_targets"].dtype == before["ambition_follows_the_targets"].dtype
