"""What a suite cannot express on one table alone, computed as helper columns (named in each
suite's ``meta.derived_columns``), and the suite parameters.

The small tables (reference data, ``build_info``, ``validation_result``) are read whole. The
large ones are read a chunk of rows at a time (:func:`chunk_frame`): what a row is checked
against (its indicator, its document, its target and baseline observations) is joined to it by
DuckDB, and the checks against the raw files read only the files of the chunk's documents.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipeline.arrow_frames import frame
from pipeline.quality.chunk_sql import CHUNK_SQL
from pipeline.quality.gap_checks import derive_gap, values
from pipeline.quality.suites import SUITES
from pipeline.quality.yardstick import derive_ambition


def _first_by(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per key (the first) to look attributes up by key; duplicates fail elsewhere."""
    return df.dropna(subset=[key]).drop_duplicates(key).set_index(key)


_UNDECODED = object()  # a file's text before it is asked for


class Raw:
    """Raw documents by file name: bytes and text (UTF-8, decoded exactly as the extractor does,
    and only when asked for: a checksum needs none).

    Rows come in table order, a document's rows together: the last few files read are kept,
    not a corpus of them. The ``*_each`` methods answer for a chunk's rows at once, as the
    scalar ones would row by row, looking each file up once per run of its rows.
    """

    KEPT = 4

    def __init__(self, raw_dir: Path) -> None:
        self.raw_dir = raw_dir
        # file name: [bytes or None, its text (None: not UTF-8), or _UNDECODED]
        self._cache: OrderedDict[str, list[Any]] = OrderedDict()
        self._line_starts: dict[str, list[int]] = {}

    def data(self, file_name: Any) -> bytes | None:
        """A file's bytes (None: no such file), not decoded."""
        if not isinstance(file_name, str):
            return None
        if file_name in self._cache:
            self._cache.move_to_end(file_name)
            return self._cache[file_name][0]
        path = self.raw_dir / file_name
        data = path.read_bytes() if path.is_file() else None
        self._cache[file_name] = [data, _UNDECODED]
        while len(self._cache) > self.KEPT:
            gone, _ = self._cache.popitem(last=False)
            self._line_starts.pop(gone, None)
        return data

    def get(self, file_name: Any) -> tuple[bytes | None, str | None]:
        data = self.data(file_name)
        if data is None:
            return None, None
        entry = self._cache[file_name]
        if entry[1] is _UNDECODED:
            try:
                entry[1] = data.decode("utf-8")
            except UnicodeDecodeError:
                entry[1] = None
        return data, entry[1]

    def _starts(self, file_name: str, text: str) -> list[int]:
        """Where each line of a file just read begins: text.split("\\n") without the copies."""
        starts = self._line_starts.get(file_name)
        if starts is None:
            starts = [0]
            for line in text.split("\n")[:-1]:
                starts.append(starts[-1] + len(line) + 1)
            self._line_starts[file_name] = starts
        return starts

    def contains(self, file_name: Any, quote: Any) -> bool:
        text = self.get(file_name)[1]
        return isinstance(quote, str) and text is not None and quote in text

    def contains_at(self, file_name: Any, quote: Any, start: Any, end: Any) -> bool:
        text = self.get(file_name)[1]
        if not isinstance(quote, str) or text is None or pd.isna(start) or pd.isna(end):
            return False
        return _in_lines(text, self._starts(file_name, text), quote, int(start), int(end))

    def quotes_each(
        self, files: list, quotes: list, starts: list | None = None, ends: list | None = None
    ) -> tuple[list[bool], list[bool]]:
        """For each row, :meth:`contains_at` (all false without ``starts`` and ``ends``) and
        :meth:`contains` (not searched where the first is true), each file looked up once per
        run of its rows. Line numbers given as Python ints (as a chunk's integer columns are
        read) are worked out here, the cited lines searched in place; any other value
        (missing, a float ...) is left to :meth:`contains_at` itself."""
        at: list[bool] = []
        anywhere: list[bool] = []
        if starts is None or ends is None:
            starts = ends = [None] * len(files)
            at_lines = False
        else:
            at_lines = True
        rows = zip(files, quotes, starts, ends, strict=True)
        for file_name, run in groupby(rows, key=itemgetter(0)):
            text = self.get(file_name)[1]
            if text is None:
                k = len(at)
                at.extend(False for _ in run)
                anywhere.extend(at[k:])
                continue
            line_starts = self._starts(file_name, text) if at_lines else []
            for _, q, a, b in run:
                if not at_lines:
                    c = False
                elif type(a) is not int or type(b) is not int:
                    c = self.contains_at(file_name, q, a, b)
                else:
                    c = isinstance(q, str) and _in_lines(text, line_starts, q, a, b)
                at.append(c)
                anywhere.append(c or (isinstance(q, str) and q in text))
        return at, anywhere


def _in_lines(text: str, line_starts: list[int], quote: str, a: int, b: int) -> bool:
    """Whether ``quote`` is in lines ``a`` to ``b`` of ``text`` with their line breaks (a quote
    may end with the last one's); a ``b`` before ``a`` cites no line, at most its break. The
    lines are searched in place (lo <= hi <= len(text)), not copied."""
    if a < 1:
        return False
    n, size = len(line_starts), len(text)
    if a > b:
        return quote in ("\n" if b < n else "")
    lo = line_starts[a - 1] if a <= n else size
    hi = line_starts[b] if b < n else size
    return text.find(quote, lo, hi) != -1


# ------------------------------------------------------------------------- the small tables


def _derive_geo(geo: pd.DataFrame) -> None:
    """geo: the hierarchy country > province > district."""
    level = _first_by(geo, "geo_code")["level"]
    parent_level = geo["parent_code"].map(level)
    expected_parent = geo["level"].map({"province": "country", "district": "province"})
    geo["parent_level_consistent"] = [
        (pd.isna(p) if pd.isna(e) else p == e)
        for p, e in zip(parent_level, expected_parent, strict=True)
    ]


def _derive_published(t: dict[str, pd.DataFrame], n: dict[str, int]) -> None:
    """build_info and validation_result, on a published warehouse (``n``: table row counts)."""
    if "build_info" in t:
        info = t["build_info"]
        info["counts_match_tables"] = (
            (info["n_observations"] == n["observation"])
            & (info["n_unmapped"] == n["unmapped"])
            & (info["n_sources"] == n["source_document"])
        )
    if "validation_result" in t:
        vr = t["validation_result"]
        vr["suite_known"] = vr["suite"].isin(SUITES)
        vr["no_error_published"] = (vr["severity"] != "error") | vr["success"].fillna(False)


REFERENCE_TABLES = ("geo", "geo_2025", "unit", "indicator")
WHOLE_SUITES = (*REFERENCE_TABLES, "build_info", "validation_result")


def whole_frames(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The small tables among ``names`` with their helper columns."""
    wanted = dict.fromkeys((*REFERENCE_TABLES, *(n for n in names if n in WHOLE_SUITES)))
    t = {name: con.execute(f"SELECT * FROM {name}").df() for name in wanted}
    _derive_geo(t["geo"])
    t["geo_2025"]["has_predecessor"] = t["geo_2025"]["code"].isin(t["geo"]["successor_code_2025"])
    t["unit"]["rate_has_per"] = (t["unit"]["kind"] != "rate") | t["unit"]["per"].notna()
    counts = {
        name: con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
        for name in ("observation", "unmapped", "source_document")
    }
    _derive_published(t, counts)
    return {name: t[name] for name in names if name in WHOLE_SUITES}


def parameters(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """The keys of referenced tables, for the suites' ``{"$PARAMETER": ...}`` value sets."""
    keys = {
        "geo_codes": ("geo", "geo_code"),
        "geo_2025_codes": ("geo_2025", "code"),
        "unit_codes": ("unit", "unit_code"),
        "indicator_codes": ("indicator", "indicator_code"),
        "source_ids": ("source_document", "source_id"),
    }
    return {
        name: [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        for name, (table, col) in keys.items()
    }


# ----------------------------------------------------------------- the large tables, by chunk

PARTITIONED_SUITES = tuple(CHUNK_SQL)
# the suite's rows are stored in this table
TABLE_OF = {"gap": "gap_rows", "yardstick": "yardstick_rows"}


def _derive_sources(src: pd.DataFrame, raw: Raw) -> None:
    """Each file read once (two passes would read every file twice past the bounded cache)."""
    files, digests = values(src["file_name"]), values(src["sha256"])
    found: list[bool] = []
    matches: list[bool] = []
    for f, h in zip(files, digests, strict=True):
        data = raw.data(f)
        found.append(data is not None)
        matches.append(data is not None and hashlib.sha256(data).hexdigest() == h)
    src["file_in_raw_dir"] = found
    src["sha256_matches_file"] = matches


def _derive_quotes(df: pd.DataFrame, raw: Raw, column: str, at_lines: bool = False) -> None:
    """``<column>_in_source`` (``quote``: ``quote_in_source``): the text is in the row's raw
    file; with ``at_lines``, also ``quote_at_cited_lines`` (a quote at its cited lines is in its
    file: only the others are looked for in the whole file)."""
    files, quotes = values(df["_file"]), values(df[column])
    name = "quote_in_source" if column == "quote" else f"{column}_in_source"
    lines = (values(df["line_start"]), values(df["line_end"])) if at_lines else (None, None)
    cited, found = raw.quotes_each(files, quotes, *lines)
    if at_lines:
        df["quote_at_cited_lines"] = cited
    df[name] = found


def chunk_frame(
    con: duckdb.DuckDBPyConnection, name: str, where: tuple[str, dict], raw: Raw
) -> pd.DataFrame:
    """The rows of suite ``name`` that ``where`` selects (a condition on the table ``t`` and
    its parameters), in table order, with their helper columns (and ``_rowid``, their position
    in the table)."""
    sql = CHUNK_SQL[name].format(where=where[0]) + " ORDER BY t.rowid"
    df = frame(con, sql, where[1] or None)  # .df()'s frame, through Arrow
    if name == "source_document":
        _derive_sources(df, raw)
    elif name == "observation":
        _derive_quotes(df, raw, "quote", at_lines=True)
    elif name == "unmapped":
        _derive_quotes(df, raw, "text")
    elif name == "correction":
        _derive_quotes(df, raw, "quote")
    elif name == "gap":
        derive_gap(df)
    elif name == "yardstick":
        derive_ambition(df)
    return df.drop(columns=[c for c in df.columns if c == "_file"])
