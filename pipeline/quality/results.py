"""Validation results as rows of `validation_result`, and a readable summary of what failed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

MAX_ROWS_SHOWN = 5


@dataclass
class Outcome:
    results: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def warnings(self) -> list[dict]:
        return [r for r in self.results if r["severity"] == "warning" and not r["success"]]

    def summary(self) -> str:
        """Short readable text: each failed error-level expectation with its offending rows."""
        if not self.errors:
            return f"{len(self.results)} expectations, no errors, {len(self.warnings)} warnings"
        lines = [f"{len(self.errors)} of {len(self.results)} expectations failed:"]
        for e in self.errors:
            n = e["n_unexpected"]
            lines.append(
                f"- {e['suite']}: {e['expectation']}: {n} row{'s' * (n != 1)} ({e['why']})"
            )
            lines.extend(f"    {row}" for row in e["rows"])
            if n > len(e["rows"]):
                lines.append(f"    ... and {n - len(e['rows'])} more")
            lines.extend(_how_to_proceed(e))
            if e.get("exception"):
                lines.append(f"    the expectation raised: {e['exception']}")
        if self.warnings:
            lines.append(
                f"also {len(self.warnings)} warnings: "
                + "; ".join(f"{w['suite']}: {w['expectation']}" for w in self.warnings)
            )
        return "\n".join(lines)


def _how_to_proceed(error: dict) -> list[str]:
    """What to do about each offending document and line, when the expectation says (its
    ``meta.fix``, with ``{source_id}`` and ``{line}`` filled in)."""
    fix = error.get("fix")
    if not fix:
        return []
    return [
        f"    to proceed with {source_id} (from line {line}): "
        + fix.format(source_id=source_id, line=line)
        for source_id, line in error.get("where", [])
    ]


def _where(indices: list) -> list[tuple[str, int]]:
    """The (document, line) of each offending row shown, in order, once each."""
    found: dict[tuple[str, int], None] = {}
    for i in indices:
        if isinstance(i, dict) and "source_id" in i and "line_start" in i:
            found[(str(i["source_id"]), int(i["line_start"]))] = None
    return list(found)


def _columns(kwargs: dict) -> list[str]:
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_A" in kwargs:
        return [kwargs["column_A"], kwargs["column_B"]]
    return list(kwargs.get("column_list", []))


def _fmt(v: Any, width: int = 70) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "NULL"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str):
        s = " ".join(v.split())
        return repr(s if len(s) <= width else s[: width - 1] + "…")
    return str(v)


def _row_text(row: Any, columns: list[str]) -> str:
    """One offending row: GX returns it as {column: value} for the label and tested columns."""
    if not isinstance(row, dict):
        return f"row {row}"
    return " ".join(f"{c}={_fmt(row[c])}" for c in columns if c in row)


def _exception(info: Any) -> str | None:
    """The message of an exception an expectation raised (GX nests them by metric), or None."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    return next((m for v in info.values() if (m := _exception(v))), None)


def collect(suite: str, spec: dict, validation: Any) -> list[dict]:
    label = spec["meta"]["row_label"]
    out = []
    for r in validation.results:
        cfg = r.expectation_config
        meta = cfg.meta or {}
        cols = _columns(cfg.kwargs)
        res = r.result or {}
        exc = None if r.success else _exception(r.exception_info)
        indices = res.get("unexpected_index_list") or []
        n = int(res.get("unexpected_count") or 0)
        if not r.success and not n and not exc:
            n = 1  # a table-level expectation (row count): the table is the offending "row"
        shown = label + [c for c in cols if c not in label]
        rows = [_row_text(i, shown) for i in indices[:MAX_ROWS_SHOWN]]
        why = meta.get("why", "")
        if r.success:
            details = why
        elif exc:
            details = f"raised {exc} — {why}"
        else:
            observed = res.get("observed_value")
            rows = rows or ([f"observed {observed!r}"] if observed is not None else [])
            details = " | ".join(rows) + f" — {why}"
        out.append(
            {
                "suite": suite,
                "expectation": f"{cfg.type}({', '.join(cols)})",
                "severity": meta.get("severity", "error"),
                "success": bool(r.success),
                "n_unexpected": n,
                "details": details,
                # beyond the validation_result columns, for the summary and for tests
                "why": why,
                "rows": rows,
                "exception": exc,
                "fix": None if r.success else meta.get("fix"),
                "where": [] if r.success else _where(indices[:MAX_ROWS_SHOWN]),
            }
        )
    return out
