"""The ``yardstick`` suite's ambition, worked out again here from the two targets, independently
of ``pipeline/marts/yardstick.sql`` (its other helper columns are SQL: ``chunk_sql.YARDSTICK``).

:func:`ambition` states the rule for one row; :func:`ambitions` applies the same rule to a
chunk's columns at once (a dict and a call per row cost seconds on a large warehouse), and
``tests/quality/test_derived.py`` holds the two equal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.quality.gap_checks import condition_key, missing

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


# ------------------------------------------------------------------- the rule on whole columns

# what ambition() may return, in the order of its tests
_OUTCOMES = (
    ("not_comparable", "target_in_words"),
    ("not_comparable", "conditions_differ"),
    ("as_ambitious", None),  # the same point target
    ("not_comparable", "neutral_indicator"),
    ("not_comparable", "comparators_point_apart"),
    ("more_ambitious", None),
    ("less_ambitious", None),
    ("as_ambitious", None),
)


def _missing(column: pd.Series) -> np.ndarray:
    """:func:`missing` of each value (pandas' own test where the dtype leaves no other kind of
    missing value)."""
    if column.dtype == object:
        return np.fromiter(map(missing, column.tolist()), dtype=bool, count=len(column))
    return column.isna().to_numpy(dtype=bool)


def _objects(column: pd.Series) -> np.ndarray:
    """The values as Python objects, missing ones as None (for ``==`` on each value)."""
    return column.to_numpy(dtype=object, na_value=None)


def _is(values: np.ndarray, *options: str) -> np.ndarray:
    """``value in options`` for each value."""
    out = np.zeros(len(values), dtype=bool)
    for option in options:
        out |= values == option
    return out


def _condition_keys(column: pd.Series) -> np.ndarray:
    """:func:`condition_key` of each value, worked out once per distinct value."""
    codes, distinct = pd.factorize(_objects(column))  # a missing value's code is -1
    keys = np.array([*(condition_key(c) for c in distinct), condition_key(None)], dtype=object)
    return keys[codes]


def _senses(comparator: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """:func:`_sense` of each row: 1 up, -1 down, 0 point."""
    return np.select(
        [
            _is(comparator, ">", ">="),
            _is(comparator, "<", "<="),
            _is(direction, "higher_is_better"),
            _is(direction, "lower_is_better"),
        ],
        [1, -1, 1, -1],
        default=0,
    )


def ambitions(ys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """:func:`ambition` of each row of ``ys``: (ambitions, reasons), object arrays."""
    comparator = _objects(ys["comparator"])
    national_comparator = _objects(ys["national_comparator"])
    direction = _objects(ys["direction"])
    local, national = _senses(comparator, direction), _senses(national_comparator, direction)
    lv = ys["target_value"].to_numpy(dtype=float, na_value=np.nan)
    nv = ys["national_value"].to_numpy(dtype=float, na_value=np.nan)
    point = (local == 0) & (national == 0)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: NaN, as in Python
        ahead = np.where(local == 1, lv - nv, nv - lv)
        same_point = np.abs(lv - nv) <= EPS
        strict = _is(comparator, *STRICT).astype(int) - _is(national_comparator, *STRICT)
        ahead = np.where(np.abs(ahead) <= EPS, strict, ahead)
        outcome = np.select(
            [
                _missing(ys["target_value"]) | _missing(ys["national_value"]),
                _condition_keys(ys["target_condition"])
                != _condition_keys(ys["national_condition"]),
                point & same_point,
                point,
                local != national,
                ahead > 0,
                ahead < 0,
            ],
            list(range(len(_OUTCOMES) - 1)),
            default=len(_OUTCOMES) - 1,
        )
    kinds = np.array([a for a, _ in _OUTCOMES], dtype=object)
    reasons = np.array([r for _, r in _OUTCOMES], dtype=object)
    return kinds[outcome], reasons[outcome]


def derive_ambition(ys: pd.DataFrame) -> None:
    """``ambition_follows_the_targets`` on a chunk of rows (the other helper columns are SQL:
    ``chunk_sql.YARDSTICK``): the ambition worked out again here, from the two targets, is the
    row's, and ``falls_short`` says whether it is less_ambitious."""
    expected, expected_reason = ambitions(ys)
    given = _objects(ys["ambition"])
    reason_missing = _missing(ys["ambition_reason"])
    same_reason = np.where(
        np.equal(expected_reason, None),
        reason_missing,
        ~reason_missing & (_objects(ys["ambition_reason"]) == expected_reason),
    )
    short = ys["falls_short"]
    says_short = np.fromiter(map(bool, _objects(short)), dtype=bool, count=len(short))
    follows = (
        (given == expected)
        & same_reason
        & ~_missing(short)
        & (says_short == (given == "less_ambitious"))
    )
    # a list, as the check row by row gave: an empty chunk's column keeps its dtype
    ys["ambition_follows_the_targets"] = follows.tolist()
