"""Helper columns of the ``yardstick`` suite: each row against the two target observations it
compares, the national targets it could have compared with, and the ambition worked out again
here, independently of ``pipeline/marts/yardstick.sql``."""

from __future__ import annotations

from typing import Any

import pandas as pd

EPS = 1e-9
STRICT = ("<", ">")


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _condition(c: Any) -> str:
    return "" if _missing(c) else " ".join(str(c).split()).lower()


def _sense(comparator: Any, direction: str) -> str:
    if comparator in (">", ">="):
        return "up"
    if comparator in ("<", "<="):
        return "down"
    return {"higher_is_better": "up", "lower_is_better": "down"}.get(direction, "point")


def ambition(row: dict) -> tuple[str, str | None]:
    """(ambition, reason) of a local target against a national one, from the figures."""
    if _missing(row["target_value"]) or _missing(row["national_value"]):
        return "not_comparable", "target_in_words"
    if _condition(row["target_condition"]) != _condition(row["national_condition"]):
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


def _national_statements(obs: pd.DataFrame, level: dict) -> dict[tuple, set]:
    """The country's target statements by (indicator, year): one per document and citation."""
    out: dict[tuple, set] = {}
    for o in obs.to_dict("records"):
        if o["kind"] != "target" or level.get(o["geo_code"]) != "country":
            continue
        if o.get("sex", "total") not in ("total", None) or o.get("residence") not in (
            "total",
            None,
        ):
            continue
        key = (o["source_id"], o.get("cited_instrument"), o.get("cited_url"))
        out.setdefault((o["indicator_code"], o["year"]), set()).add(key)
    return out


def _row_checks(
    y: dict, by_id: dict[Any, dict], level: dict, national: dict, years_of: dict[Any, list]
) -> dict[str, bool]:
    def obs(oid: Any) -> dict | None:
        return None if _missing(oid) else by_id.get(oid)

    t, n = obs(y["target_observation_id"]), obs(y["national_observation_id"])
    years = [yr for yr in years_of.get(y["indicator_code"], ()) if yr >= y["target_year"]]
    reason = None if _missing(y["ambition_reason"]) else y["ambition_reason"]
    return {
        "local_is_a_local_target": t is not None
        and (t["kind"], t["geo_code"], t["indicator_code"], t["year"])
        == ("target", y["geo_code"], y["indicator_code"], y["target_year"])
        and level.get(t["geo_code"]) in ("province", "district"),
        "national_is_a_national_target": n is not None
        and (n["kind"], n["indicator_code"], n["year"])
        == ("target", y["indicator_code"], y["national_year"])
        and level.get(n["geo_code"]) == "country",
        "national_year_is_the_nearest": bool(years)
        and y["national_year"] == years[0]
        and (y["national_year_basis"] == "same_year") == (years[0] == y["target_year"]),
        "every_national_target_shown": y["national_targets"]
        == y["_rows_of_target"]
        == len(national.get((y["indicator_code"], y["national_year"]), ())),
        "ambition_follows_the_targets": (y["ambition"], reason) == ambition(y)
        and bool(y["falls_short"]) == (y["ambition"] == "less_ambitious"),
    }


CHECKS = (
    "local_is_a_local_target",
    "national_is_a_national_target",
    "national_year_is_the_nearest",
    "every_national_target_shown",
    "ambition_follows_the_targets",
)


def derive_yardstick(ys: pd.DataFrame, obs: pd.DataFrame, geo: pd.DataFrame) -> None:
    """Add the suite's helper columns to ``ys`` (before the observations' flags are joined)."""
    level = dict(zip(geo["geo_code"], geo["level"], strict=True))
    # the first row of each observation id (a repeated id fails the observation suite), as
    # plain dicts: a pandas lookup per row cost a millisecond, seconds for a national corpus
    by_id: dict[Any, dict] = {}
    for o in obs.dropna(subset=["observation_id"]).to_dict("records"):
        by_id.setdefault(o["observation_id"], o)
    national = _national_statements(obs, level)
    years_of: dict[Any, list] = {}
    for ind, yr in sorted(national):
        years_of.setdefault(ind, []).append(yr)
    rows = ys.assign(
        _rows_of_target=ys.groupby("target_observation_id")["geo_code"].transform("size")
    )
    checks = [_row_checks(y, by_id, level, national, years_of) for y in rows.to_dict("records")]
    for name in CHECKS:
        ys[name] = pd.Series([c[name] for c in checks], index=ys.index, dtype=bool)
    shortfall = ys.groupby("target_observation_id")["falls_short"].transform("any")
    ys["falls_short_of_any_follows"] = ys["falls_short_of_any"] == shortfall
    ys["caveats"] = ys["caveats"].map(lambda v: None if _missing(v) else ",".join(v))


def derive_ambition(ys: pd.DataFrame) -> None:
    """``ambition_follows_the_targets`` on a chunk of rows (the other helper columns are SQL:
    ``chunk_sql.YARDSTICK``): the ambition worked out again here, from the two targets."""
    from pipeline.quality.gap_checks import values

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
        (y["ambition"], None if _missing(y["ambition_reason"]) else y["ambition_reason"])
        == ambition(y)
        and not _missing(y["falls_short"])
        and bool(y["falls_short"]) == (y["ambition"] == "less_ambitious")
        for y in rows
    ]
