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
    # per suite validated by parts: what names the rows it flagged (their documents; `gap`:
    # target observation ids), for the next build's gate (pipeline.quality.plan.Reuse)
    unexpected: dict[str, list] = field(default_factory=dict)
    helper_peak_rss_kb: int = 0  # the peak memory of the process the chunks were shared with

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


def _details(r: dict) -> str:
    if r["success"]:
        return r["why"]
    if r["exception"]:
        return f"raised {r['exception']} — {r['why']}"
    return " | ".join(r["rows"]) + f" — {r['why']}"


def _finish(r: dict) -> dict:
    """Rows shown, where to proceed and details from a result's first offending rows."""
    shown = r["indices"][:MAX_ROWS_SHOWN]
    r["rows"] = [_row_text(i, r["shown"]) for i in shown]
    if not r["success"] and not r["exception"] and not r["rows"]:
        observed = r["observed"]
        r["rows"] = [f"observed {observed!r}"] if observed is not None else []
    r["where"] = [] if r["success"] else _where(shown)
    r["details"] = _details(r)
    return r


def collect(suite: str, spec: dict, validation: Any) -> list[dict]:
    """One result per expectation, in the order Great Expectations returns them."""
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
        result = {
            "suite": suite,
            "expectation": f"{cfg.type}({', '.join(cols)})",
            "severity": meta.get("severity", "error"),
            "success": bool(r.success),
            "n_unexpected": n,
            # beyond the validation_result columns, for the summary and for tests
            "why": meta.get("why", ""),
            "exception": exc,
            "fix": None if r.success else meta.get("fix"),
            "shown": label + [c for c in cols if c not in label],
            "indices": indices[:MAX_ROWS_SHOWN],
            "rowids": [i["_rowid"] for i in indices if isinstance(i, dict) and "_rowid" in i],
            "observed": res.get("observed_value"),
        }
        out.append(_finish(result))
    return out


def merge(parts: list[list[dict]]) -> list[dict]:
    """The results of one suite validated in parts (chunks of rows in table order): as one
    validation of all of them would give (its offending rows are the parts' in order)."""
    if len(parts) == 1:
        return parts[0]
    merged = []
    for same in zip(*parts, strict=True):
        failed = [r for r in same if not r["success"]]
        if not failed:
            merged.append(same[0])
            continue
        r = dict(failed[0])
        r["n_unexpected"] = sum(x["n_unexpected"] for x in same)
        r["exception"] = next((x["exception"] for x in failed if x["exception"]), None)
        r["indices"] = [i for x in failed for i in x["indices"]][:MAX_ROWS_SHOWN]
        r["rowids"] = [i for x in failed for i in x["rowids"]]
        r["observed"] = next((x["observed"] for x in failed if x["observed"] is not None), None)
        merged.append(_finish(r))
    return merged


def replace(results: list[dict], by: list[dict]) -> list[dict]:
    """``results`` with those of the same expectations in ``by`` put in their place."""
    new = {r["expectation"]: r for r in by}
    return [new.get(r["expectation"], r) for r in results]
