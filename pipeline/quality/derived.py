"""What a suite cannot express on one table alone, computed from the staged tables as helper
columns (named in each suite's ``meta.derived_columns``), and the suite parameters."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipeline.quality.suites import SUITES
from pipeline.quality.yardstick import derive_yardstick


def _as_list(v: Any) -> list:
    return [] if v is None or isinstance(v, float) else list(v)


def _first_by(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per key (the first) to look attributes up by key; duplicates fail elsewhere."""
    return df.dropna(subset=[key]).drop_duplicates(key).set_index(key)


class _Raw:
    """Raw documents by file name: bytes and text (UTF-8, decoded exactly as the extractor does)."""

    def __init__(self, raw_dir: Path) -> None:
        self.raw_dir = raw_dir
        self._cache: dict[str, tuple[bytes | None, str | None]] = {}
        self._line_starts: dict[str, list[int]] = {}

    def get(self, file_name: Any) -> tuple[bytes | None, str | None]:
        if not isinstance(file_name, str):
            return None, None
        if file_name not in self._cache:
            path = self.raw_dir / file_name
            data = path.read_bytes() if path.is_file() else None
            try:
                text = data.decode("utf-8") if data is not None else None
            except UnicodeDecodeError:
                text = None
            self._cache[file_name] = (data, text)
        return self._cache[file_name]

    def contains(self, file_name: Any, quote: Any) -> bool:
        text = self.get(file_name)[1]
        return isinstance(quote, str) and text is not None and quote in text

    def contains_at(self, file_name: Any, quote: Any, start: Any, end: Any) -> bool:
        text = self.get(file_name)[1]
        if not isinstance(quote, str) or text is None or pd.isna(start) or pd.isna(end):
            return False
        starts = self._line_starts.get(file_name)
        if starts is None:  # where each line begins: text.split("\n") without the copies
            starts = [0]
            for line in text.split("\n")[:-1]:
                starts.append(starts[-1] + len(line) + 1)
            self._line_starts[file_name] = starts
        a, b = int(start), int(end)
        if a < 1:
            return False
        n = len(starts)
        # the cited lines with their line breaks (a quote may end with the last one's)
        lo = starts[a - 1] if a <= n else len(text)
        hi = starts[b] if b < n else len(text)
        cited = text[lo:hi] if a <= b else ("\n" if b < n else "")
        return quote in cited


def _derive_geo(geo: pd.DataFrame) -> None:
    """geo: the hierarchy country > province > district."""
    level = _first_by(geo, "geo_code")["level"]
    parent_level = geo["parent_code"].map(level)
    expected_parent = geo["level"].map({"province": "country", "district": "province"})
    geo["parent_level_consistent"] = [
        (pd.isna(p) if pd.isna(e) else p == e)
        for p, e in zip(parent_level, expected_parent, strict=True)
    ]


def _derive_sources(src: pd.DataFrame, raw: _Raw, geo: pd.DataFrame) -> None:
    src["file_in_raw_dir"] = [raw.get(f)[0] is not None for f in src["file_name"]]
    place_map = src["geo_code"].map(_first_by(geo, "geo_code")["map"])
    src["geo_on_its_map"] = (place_map == src["geo_map"]) | (place_map == "both")
    src["sha256_matches_file"] = [
        (data := raw.get(f)[0]) is not None and hashlib.sha256(data).hexdigest() == h
        for f, h in zip(src["file_name"], src["sha256"], strict=True)
    ]
    src["layouts"] = src["layouts"].map(lambda v: ",".join(_as_list(v)))


def _derive_observations(
    obs: pd.DataFrame, by_ind: pd.DataFrame, by_src: pd.DataFrame, raw: _Raw, parent: dict
) -> None:
    obs["min_plausible"] = obs["indicator_code"].map(by_ind["min_plausible"])
    obs["max_plausible"] = obs["indicator_code"].map(by_ind["max_plausible"])
    obs["indicator_unit_code"] = obs["indicator_code"].map(by_ind["unit_code"])
    obs["indicator_direction"] = obs["indicator_code"].map(by_ind["direction"])
    obs["source_n_lines"] = obs["source_id"].map(by_src["n_lines"])
    obs["source_geo_code"] = obs["source_id"].map(by_src["geo_code"])
    # plain lists for the per-row checks: iterating Arrow-backed columns is ten times slower
    file_name = obs["source_id"].map(by_src["file_name"]).tolist()
    flags = [_as_list(v) for v in obs["flags"].tolist()]
    detail = obs["flag_detail"].fillna("").astype(str).tolist()
    quote = obs["quote"].tolist()
    qualitative = pd.Series(["qualitative" in f for f in flags], index=obs.index)
    obs["comparator_present_unless_qualitative"] = obs["comparator"].notna() | qualitative
    obs["value_present_unless_qualitative"] = obs["value"].notna() | qualitative
    obs["quote_in_source"] = [raw.contains(f, q) for f, q in zip(file_name, quote, strict=True)]
    obs["quote_at_cited_lines"] = [
        raw.contains_at(f, q, a, b)
        for f, q, a, b in zip(
            file_name, quote, obs["line_start"].tolist(), obs["line_end"].tolist(), strict=True
        )
    ]
    for flag in ("unit_corrected", "conflict"):
        obs[f"{flag}_explained"] = [
            flag not in f or f"{flag}:" in d for f, d in zip(flags, detail, strict=True)
        ]
    obs["flags_explained"] = [all(x in d for x in f) for f, d in zip(flags, detail, strict=True)]
    against = {"higher_is_better": {"<", "<="}, "lower_is_better": {">", ">="}}
    obs["comparator_agrees_with_direction"] = [
        not (k == "target" and c in against.get(d, ()))
        for k, c, d in zip(
            obs["kind"].tolist(),
            obs["comparator"].tolist(),
            obs["indicator_direction"].tolist(),
            strict=True,
        )
    ]
    obs["geo_within_source"] = [
        g == s or (s == "VN" and g in parent) or parent.get(g) == s
        for g, s in zip(obs["geo_code"].tolist(), obs["source_geo_code"].tolist(), strict=True)
    ]
    tabular = obs["reader"].isin(["csv_long", "csv_wide"])
    obs["cited_if_from_a_table"] = ~tabular | (
        obs["cited_instrument"].notna() & obs["cited_url"].notna()
    )
    obs["flags"] = [",".join(f) for f in flags]
    obs["correction_ids"] = obs["correction_ids"].map(lambda v: ",".join(_as_list(v)))


def _derive_unmapped(unm: pd.DataFrame, by_src: pd.DataFrame, raw: _Raw) -> None:
    unm["source_n_lines"] = unm["source_id"].map(by_src["n_lines"])
    unm["text_in_source"] = [
        raw.contains(f, q)
        for f, q in zip(
            unm["source_id"].map(by_src["file_name"]).tolist(), unm["text"].tolist(), strict=True
        )
    ]


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _flags_of(o: pd.Series | None) -> list | None:
    """An observation's flags as `gap` carries them: plus 'estimate' when printed as one."""
    if o is None:
        return None
    flags = _as_list(o["flags"])
    estimate = not _missing(o["is_estimate"]) and bool(o["is_estimate"])
    return [*flags, "estimate"] if estimate and "estimate" not in flags else flags


def _condition_key(c: Any) -> str:
    return "" if _missing(c) else " ".join(str(c).split()).lower()


def _gap_row_checks(g: dict, t: pd.Series | None, b: pd.Series | None) -> dict[str, bool]:
    """The helper columns of one `gap` row, ``t`` and ``b`` its target and baseline."""
    measured = g["status"] in ("met", "not_met")
    caveats = set(_as_list(g["caveats"]))
    flags = set(_as_list(g["baseline_flags"])) | set(_as_list(g["target_flags"]))
    differ = _condition_key(g["baseline_condition"]) != _condition_key(g["target_condition"])
    numeric = not _missing(g["baseline_value"]) and not _missing(g["target_value"])
    key = (g["geo_code"], g["indicator_code"])
    return {
        "target_is_a_stated_target": t is not None
        and (t["kind"], t["year"], t["source_id"], t["geo_code"], t["indicator_code"])
        == ("target", g["target_year"], g["target_source_id"], *key)
        and "restated" not in _as_list(t["flags"]),
        "baseline_is_an_earlier_actual": (
            b is None
            if _missing(g["baseline_observation_id"])
            else b is not None
            and (b["kind"], b["year"], b["value"], b["geo_code"], b["indicator_code"])
            == ("actual", g["baseline_year"], g["baseline_value"], *key)
            and b["year"] < g["target_year"]
        ),
        "flags_travel": _as_list(g["target_flags"]) == _flags_of(t)
        and (
            _missing(g["baseline_flags"])
            if b is None
            else _as_list(g["baseline_flags"]) == _flags_of(b)
        ),
        "conditions_travel": all(
            (_missing(g[col]) and (o is None or _missing(o["condition"])))
            or (o is not None and g[col] == o["condition"])
            for col, o in (("target_condition", t), ("baseline_condition", b))
        ),
        "caveats_from_flags": caveats <= flags,
        "measured_only_when_comparable": measured == _missing(g["status_reason"])
        and (measured or _missing(g["gap_to_close"])),
        "not_comparable_when_conditions_differ": not numeric
        or (g["status"] == "not_comparable") == differ,
    }


def _text(v: Any) -> str | None:
    return None if _missing(v) else str(v)


def _citation_checks(g: dict, t: pd.Series | None, b: pd.Series | None) -> dict[str, bool]:
    """The citations of both figures, and the baseline's preliminary mark, travel into the row."""
    cited = all(
        o is None and _missing(g[f"{side}_instrument"]) and _missing(g[f"{side}_url"])
        if o is None
        else (_text(g[f"{side}_instrument"]), _text(g[f"{side}_url"]))
        == (_text(o.get("cited_instrument")), _text(o.get("cited_url")))
        for side, o in (("target", t), ("baseline", b))
    )
    preliminary = (
        _missing(g["baseline_is_preliminary"])
        if b is None
        else bool(g["baseline_is_preliminary"]) == ("preliminary" in _as_list(b["flags"]))
    )
    return {"citations_travel": cited and preliminary}


def _actuals_by_place(obs: pd.DataFrame) -> dict[tuple, list[dict]]:
    """Every total actual with a figure, by (place, indicator): what a baseline is chosen from."""
    total = (obs["sex"].fillna("total") == "total") & (obs["residence"].fillna("total") == "total")
    actual = obs[(obs["kind"] == "actual") & obs["value"].notna() & total]
    out: dict[tuple, list[dict]] = {}
    for a in actual.to_dict("records"):
        out.setdefault((a["geo_code"], a["indicator_code"]), []).append(a)
    return out


def _basis(a: dict, t: pd.Series) -> str:
    own = (a["source_id"], _text(a.get("cited_instrument")), _text(a.get("cited_url"))) == (
        t["source_id"],
        _text(t.get("cited_instrument")),
        _text(t.get("cited_url")),
    )
    if own:
        return "target_document"
    official = a.get("official_statistics")
    return "official_statistics" if not _missing(official) and bool(official) else "other_source"


def _baseline_preferred(g: dict, t: pd.Series | None, actuals: dict[tuple, list[dict]]) -> bool:
    """The baseline is of the latest actual year before the target's, and no actual of that
    year comes from a source the view prefers (own document, then official statistics)."""
    if t is None:
        return False
    earlier = [
        a for a in actuals.get((g["geo_code"], g["indicator_code"]), []) if a["year"] < t["year"]
    ]
    if not earlier:
        return _missing(g["baseline_observation_id"])
    latest = max(a["year"] for a in earlier)
    bases = {_basis(a, t) for a in earlier if a["year"] == latest}
    best = next(b for b in ("target_document", "official_statistics", "other_source") if b in bases)
    return g["baseline_year"] == latest and g["baseline_basis"] == best


def _derive_gap(gap: pd.DataFrame, obs: pd.DataFrame) -> None:
    """gap: each row against the two observations it names (before their flags are joined)."""
    by_id = _first_by(obs, "observation_id")
    actuals = _actuals_by_place(obs)

    def get(oid: Any) -> pd.Series | None:
        return None if _missing(oid) or oid not in by_id.index else by_id.loc[oid]

    checks = []
    for g in gap.to_dict("records"):
        t, b = get(g["target_observation_id"]), get(g["baseline_observation_id"])
        checks.append(
            _gap_row_checks(g, t, b)
            | _citation_checks(g, t, b)
            | {"baseline_preferred": _baseline_preferred(g, t, actuals)}
        )
    for name in checks[0] if checks else ():
        gap[name] = [c[name] for c in checks]
    for col in ("baseline_flags", "target_flags", "caveats"):
        gap[col] = gap[col].map(lambda v: None if _missing(v) else ",".join(_as_list(v)))


def _derive_corrections(cor: pd.DataFrame, by_src: pd.DataFrame, raw: _Raw) -> None:
    file_name = cor["source_id"].map(by_src["file_name"]).tolist()
    cor["quote_in_source"] = [
        raw.contains(f, q) for f, q in zip(file_name, cor["quote"].tolist(), strict=True)
    ]
    cor["active_touched_observations"] = (cor["status"] != "active") | (cor["n_observations"] >= 1)


def _derive_published(t: dict[str, pd.DataFrame]) -> None:
    """build_info and validation_result, on a published warehouse."""
    if "build_info" in t:
        n = {k: len(t[k]) for k in ("observation", "unmapped", "source_document")}
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


# every suite needs these tables: its own, and those its parameters and helper columns read
BASE_TABLES = ("geo", "geo_2025", "unit", "indicator", "source_document", "observation")


def prepare(
    path: Path, raw_dir: Path, names: tuple[str, ...] = SUITES
) -> tuple[dict[str, pd.DataFrame], dict[str, list]]:
    """DataFrames to validate for the suites ``names`` (tables plus helper columns) and the
    suite parameters."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        wanted = dict.fromkeys((*BASE_TABLES, *names))
        t = {name: con.execute(f"SELECT * FROM {name}").df() for name in wanted}
    finally:
        con.close()
    raw = _Raw(raw_dir)

    def keys(df: pd.DataFrame, col: str) -> list:
        return sorted(df[col].dropna().unique().tolist())

    params = {
        "geo_codes": keys(t["geo"], "geo_code"),
        "geo_2025_codes": keys(t["geo_2025"], "code"),
        "unit_codes": keys(t["unit"], "unit_code"),
        "indicator_codes": keys(t["indicator"], "indicator_code"),
        "source_ids": keys(t["source_document"], "source_id"),
    }
    _derive_geo(t["geo"])
    t["geo_2025"]["has_predecessor"] = t["geo_2025"]["code"].isin(t["geo"]["successor_code_2025"])
    t["unit"]["rate_has_per"] = (t["unit"]["kind"] != "rate") | t["unit"]["per"].notna()
    _derive_sources(t["source_document"], raw, t["geo"])
    by_ind = _first_by(t["indicator"], "indicator_code")
    by_src = _first_by(t["source_document"], "source_id")
    if "gap" in t:
        _derive_gap(t["gap"], t["observation"])  # before the observations' flags are joined
    if "yardstick" in t:
        derive_yardstick(t["yardstick"], t["observation"], t["geo"])
    _derive_published(t)
    parent = dict(zip(t["geo"]["geo_code"], t["geo"]["parent_code"], strict=True))
    _derive_observations(t["observation"], by_ind, by_src, raw, parent)
    if "unmapped" in t:
        _derive_unmapped(t["unmapped"], by_src, raw)
    if "correction" in t:
        _derive_corrections(t["correction"], by_src, raw)
    frames = {name: t[name].reset_index(drop=True) for name in names}
    return frames, params
