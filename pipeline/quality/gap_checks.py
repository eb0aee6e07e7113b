"""The `gap` suite's helper column that compares text the way a reader does, and how a chunk's
values are read into Python (the other helper columns are SQL: ``chunk_sql.GAP``); the
yardstick's ambition check tells missing values and compares conditions with the same helpers."""

from __future__ import annotations

from typing import Any

import pandas as pd

# the columns of an observation the `gap` checks compare a row with
CHECKED = ("kind", "year", "source_id", "geo_code", "indicator_code", "flags", "value")
CHECKED += ("is_estimate", "condition", "cited_instrument", "cited_url")


def values(column: pd.Series) -> list:
    """A column's values as Python objects, as ``DataFrame.to_dict`` gives them (NaN for a
    missing float, None for any other missing value), without iterating Arrow-backed text
    one value at a time."""
    if column.dtype == object:
        return [None if v is pd.NA else v for v in column.tolist()]
    if column.dtype.kind == "f":
        return column.tolist()
    return column.to_numpy(dtype=object, na_value=None).tolist()


def missing(v: Any) -> bool:
    """A missing value as pandas hands it over: None, NA or NaN."""
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def condition_key(c: Any) -> str:
    """A condition as compared: case and runs of white space (any, as Python reads it) aside."""
    return "" if missing(c) else " ".join(str(c).split()).lower()


def derive_gap(gap: pd.DataFrame) -> None:
    """``not_comparable_when_conditions_differ``: with a baseline and a numeric target, the
    status is not_comparable exactly when the two conditions differ."""
    columns = ("status", "baseline_value", "target_value", "baseline_condition")
    status, baseline, target, bc = (values(gap[c]) for c in columns)
    tc = values(gap["target_condition"])
    gap["not_comparable_when_conditions_differ"] = [
        missing(b)
        or missing(t)
        or (s == "not_comparable") == (condition_key(x) != condition_key(y))
        for s, b, t, x, y in zip(status, baseline, target, bc, tc, strict=True)
    ]
