"""The ``yardstick`` suite's ambition, worked out again here from the two targets, independently
of ``pipeline/marts/yardstick.sql`` (its other helper columns are SQL: ``chunk_sql.YARDSTICK``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.quality.gap_checks import condition_key, missing, values

EPS = 1e-9
STRICT = ("<", ">")


def _sense(comparator: Any, direction: str) -> str:
    if comparator in (">", ">="):
        return "up"
    if comparator in ("<", "<="):
        return "down"
    return {"higher_is_better": "up", "lower_is_better": "down"}.get(direction, "point")


def ambition(row: dict) -> tuple[str, str | None]:
    """(ambition, reason) of a local target against a national one, from the figures."""
    if missing(row["target_value"]) or missing(row["national_value"]):
        return "not_comparable", "target_in_words"
    if condition_key(row["target_condition"]) != condition_key(row["national_condition"]):
        return "not_comparable", "conditions_differ"
    local = _sense(row["comparator"], row["direction"])
    national = _sense(row["national_comparator"], row["direction"])
    lv, nv = float(row["target_value"]), float(row["national_value"])
    if local == national == "point":
        return (
            ("as_ambitious", None)
            if abs(lv - nv) <= EPS
            else ("not_comparable", "neutral_indicator")
        )
    if local != national:
        return "not_comparable", "comparators_point_apart"
    ahead = lv - nv if local == "up" else nv - lv
    if abs(ahead) <= EPS:  # the same value: a strict bound asks for a little more
        ahead = (row["comparator"] in STRICT) - (row["national_comparator"] in STRICT)
    if ahead > 0:
        return "more_ambitious", None
    return ("less_ambitious", None) if ahead < 0 else ("as_ambitious", None)


def derive_ambition(ys: pd.DataFrame) -> None:
    """``ambition_follows_the_targets`` on a chunk of rows (the other helper columns are SQL:
    ``chunk_sql.YARDSTICK``): the ambition worked out again here, from the two targets."""
    columns = [
        "target_value", "national_value", "target_condition", "national_condition",
        "comparator", "national_comparator", "direction", "ambition", "ambition_reason",
        "falls_short",
    ]  # fmt: skip
    rows = [
        dict(zip(columns, r, strict=True))
        for r in zip(*(values(ys[c]) for c in columns), strict=True)
    ]
    ys["ambition_follows_the_targets"] = [
        (y["ambition"], None if missing(y["ambition_reason"]) else y["ambition_reason"])
        == ambition(y)
        and not missing(y["falls_short"])
        and bool(y["falls_short"]) == (y["ambition"] == "less_ambitious")
        for y in rows
    ]
