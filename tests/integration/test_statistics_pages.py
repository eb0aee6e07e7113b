"""Official statistics pages end to end: every synthetic yearbook, ministry and portal page of
``tests/staging/statistics`` (see its README) dropped into a raw folder with its sidecar and
built through the real quality gate, once; then checked figure by figure against its
``*.expected.yaml``: every expected figure read (with its place, year, kind, comparator, value,
preliminary mark, sex and residence), nothing read that is not expected (so nothing lands on a
wrong place), every line the document leaves unmapped left so, and at least 90% of each
document's figures read.

A yearbook page that yields an implausible figure still stops the build, and the message says
which document and line, and how to proceed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from pipeline.errors import BuildError
from tests.conftest import shared_folder
from tests.helpers import quiet_build, sha

STATISTICS = Path(__file__).resolve().parents[1] / "staging" / "statistics"
DOCS = sorted(p.name.removesuffix(".expected.yaml") for p in STATISTICS.glob("*.expected.yaml"))
RECALL = 0.9
KEY = ["line", "indicator", "year", "kind", "comparator", "value", "geo_code"]


def expected(slug: str, folder: Path = STATISTICS) -> dict:
    return yaml.safe_load((folder / f"{slug}.expected.yaml").read_text(encoding="utf-8"))


def build_pages(
    folder: Path,
    slugs: list[str],
    factory: pytest.TempPathFactory,
    beside: Path | None = None,
    name: str = "statistics-pages",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pages ``slugs`` of ``folder`` dropped into a raw folder with their sidecars (beside
    the documents of ``beside``, if given) and built into one validated warehouse, once per
    test run (``shared_folder`` ``name``): (observation, unmapped)."""

    def make(where: Path) -> None:
        raw = where / "raw"
        raw.mkdir()
        if beside is not None:
            shutil.copytree(beside, raw, dirs_exist_ok=True)
        for slug in slugs:
            for suffix in (".txt", ".yaml"):
                shutil.copy(folder / f"{slug}{suffix}", raw / f"{slug}{suffix}")
        quiet_build(raw, where / "curated", where / "cache")  # the gate runs: an error stops here

    out = shared_folder(factory, name, make) / "curated"
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        obs = con.execute(
            "SELECT source_id, line_end AS line, indicator_code AS indicator, year, kind, "
            "comparator, round(value, 6) AS value, geo_code, "
            "list_contains(flags, 'preliminary') AS preliminary, is_estimate, sex, residence, "
            "quote, reader FROM observation"
        ).df()
        unmapped = con.execute("SELECT source_id, line_start, line_end FROM unmapped").df()
    return obs, unmapped


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every statistics document built into one validated warehouse: (observation, unmapped)."""
    return build_pages(STATISTICS, DOCS, tmp_path_factory)


def _figures(slug: str, folder: Path = STATISTICS) -> pd.DataFrame:
    rows = [
        {
            **{k: o[k] for k in KEY},
            "value": round(float(o["value"]), 6),
            "preliminary": bool(o["preliminary"]),
            "sex": o["sex"],
            "residence": o["residence"],
            "needs": o.get("needs"),
        }
        for o in expected(slug, folder)["observations"]
    ]
    return pd.DataFrame(rows, columns=[*KEY, "preliminary", "sex", "residence", "needs"])


def _read(built: tuple[pd.DataFrame, pd.DataFrame], slug: str) -> pd.DataFrame:
    obs = built[0]
    return obs[obs["source_id"] == slug]


def _missing(read: pd.DataFrame, want: pd.DataFrame) -> pd.DataFrame:
    cols = [*KEY, "preliminary", "sex", "residence"]
    merged = want.merge(read[cols].drop_duplicates(), on=cols, how="left", indicator=True)
    return merged[merged["_merge"] == "left_only"]


def test_the_synthetic_set_covers_the_five_shapes_and_more() -> None:
    layouts = {str(expected(slug)["layout"])[0] for slug in DOCS}
    assert layouts == {"1", "2", "3", "4", "5"}
    assert len(DOCS) >= 20


@pytest.mark.parametrize("slug", DOCS)
def test_every_expected_figure_is_read(built, slug: str) -> None:
    want = _figures(slug)
    missing = _missing(_read(built, slug), want[want["needs"].isna()])
    assert missing.empty, missing[KEY].to_string()


@pytest.mark.parametrize("slug", DOCS)
def test_nothing_is_read_that_is_not_expected(built, slug: str) -> None:
    """So no figure lands on a wrong place, year, kind, indicator or split."""
    read = _read(built, slug)
    want = _figures(slug).drop(columns="needs")
    cols = [*KEY, "preliminary", "sex", "residence"]
    extra = read[cols].merge(want, on=cols, how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"]
    assert extra.empty, extra[cols].to_string()


@pytest.mark.parametrize("slug", DOCS)
def test_unmapped_lines_stay_unmapped(built, slug: str) -> None:
    """A line the expected file leaves unmapped is in an unmapped row (its figures, if the line
    holds others too, are none of the read ones: see the test above)."""
    unmapped = built[1]
    mine = unmapped[unmapped["source_id"] == slug]
    for entry in expected(slug).get("unmapped") or []:
        line = entry["line"]
        covered = (mine["line_start"] <= line) & (line <= mine["line_end"])
        assert covered.any(), f"line {line} ({entry['reason']}) is in no unmapped row"


@pytest.mark.parametrize("slug", DOCS)
def test_recall(built, slug: str) -> None:
    """At least 90% of each document's figures, those still waiting on other work included."""
    want = _figures(slug)
    found = len(want) - len(_missing(_read(built, slug), want))
    assert found / len(want) >= RECALL, f"{found} of {len(want)}"


def test_preliminary_figures_are_estimates_and_statistics_are_actuals(built) -> None:
    obs = built[0]
    stats = obs[obs["source_id"].isin(DOCS)]
    assert stats["preliminary"].any()
    assert stats.loc[stats["preliminary"], "is_estimate"].all()
    targets = stats[stats["kind"] == "target"]
    assert set(targets["reader"]) == {"target_table"}  # only the ministry names targets


def test_no_year_and_no_page_number_is_read_as_a_figure(built) -> None:
    obs = built[0]
    stats = obs[obs["source_id"].isin(DOCS)]
    yearish = stats[stats["value"].between(1990, 2050) & (stats["value"] % 1 == 0)]
    # counts may fall in that range; each must be one the expected files name
    for _i, row in yearish.iterrows():
        want = _figures(row["source_id"])
        assert ((want["line"] == row["line"]) & (want["value"] == row["value"])).any(), row


# ------------------------------------------------------------------ an implausible figure

PAGE = """\
Page 120 - merged_files
P. 120

231. Một số chỉ tiêu về y tế
Some indicators on health
2019 2020 2021 2022
Bác sĩ bình quân 1 vạn dân (Người)
Doctor per 10000 inhabitants (Person)
8,75 9,02 912 9,60
"""


def test_an_implausible_figure_stops_the_build_with_the_document_line_and_a_way_on(
    tmp_path: Path, good
) -> None:
    raw, out, cache, warehouse, before = good
    (raw / "lai-chau-ngtk-2023-p120.txt").write_text(PAGE, encoding="utf-8")
    (raw / "lai-chau-ngtk-2023-p120.yaml").write_text(
        "geo: Lai Châu\ntitle: Niên giám thống kê tỉnh Lai Châu 2023\n", encoding="utf-8"
    )
    with pytest.raises(BuildError) as stopped:
        quiet_build(raw, out, cache)
    message = str(stopped.value)
    assert "plausible range" in message
    assert "source_id='lai-chau-ngtk-2023-p120'" in message and "value=912" in message
    assert "to proceed with lai-chau-ngtk-2023-p120 (from line 7)" in message
    assert "data/raw/lai-chau-ngtk-2023-p120.corrections.yaml" in message
    assert "report the layout" in message
    assert sha(warehouse) == before  # the previous warehouse is untouched
