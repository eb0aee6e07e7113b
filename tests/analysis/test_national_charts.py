"""Notebook 04's tables and charts on the seed warehouse: the yardstick named in both languages,
every national target beside a place's target with its instrument, caveats drawn (dotted,
hollow, lettered) and named in the note, series of actuals with the targets ahead."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import pytest

from pipeline.analysis import charts, national

matplotlib.use("Agg")


def test_kon_tums_doctors_against_both_national_targets(con):
    ys = national.labelled_yardstick(con, "vi", [2025])
    kt = ys[(ys.geo_code == "62") & (ys.indicator_code == "doctors_per_10000")]
    assert kt[["national_value", "ambition"]].values.tolist() == [
        [10, "more_ambitious"],
        [15, "less_ambitious"],
    ]
    assert set(kt["geo_name"]) == {"Kon Tum"} and set(kt["indicator_name"]) == {
        "Số bác sĩ trên 10.000 dân"
    }
    short = national.falls_short(con, "en", [2025])
    row = short[(short.geo_name == "Kon Tum") & (short.national_value == 15)]
    assert row["national_instrument"].str.contains("Quy hoạch mạng lưới").all()
    summary = national.ambition_summary(con, "en", [2025, 2030]).set_index("geo_name")
    both = national.labelled_yardstick(con, "en", [2025, 2030])
    kon_tum = both[both.geo_code == "62"]
    assert summary.loc["Kon Tum", "targets"] == kon_tum["target_observation_id"].nunique()
    assert summary.loc["Kon Tum", "less_ambitious"] == kon_tum["falls_short"].sum() >= 1


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_yardstick_chart_letters_instruments_and_draws_caveats(con, lang):
    ys = national.labelled_yardstick(con, lang, [2025, 2030])
    fig = charts.targets_beside_national(ys, lang)
    note = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    for instrument in set(ys["national_instrument"]):
        assert charts.nfc(instrument)[:40] in note  # every instrument named in the key
    assert f"i = {charts.t('caveat_instruments_differ', lang)}" in note
    title = {"en": "Doctors", "vi": "Số bác sĩ"}[lang]
    doctors = next(ax for ax in fig.axes if ax.get_title().startswith(title))
    dotted = [c for c in doctors.collections if c.get_linestyle()[0][1] is not None]
    assert dotted  # the national targets that instruments disagree on are dotted
    labels = [t.get_text() for t in doctors.texts]
    assert any(
        text.startswith(charts.figure_value("=", 15, lang)) and "[i]" in text for text in labels
    )
    plt.close(fig)


def test_the_series_chart_marks_preliminary_figures_and_official_statistics(con):
    series = national.actual_series(con, "en")
    assert {("62", "life_expectancy"), ("77", "life_expectancy")} <= set(
        zip(series.geo_code, series.indicator_code, strict=True)
    )
    kt = series[(series.geo_code == "62")]
    assert sorted(kt["year"].unique()) == [2020, 2023]
    assert kt["official_statistics"].sum() == 3 and kt["preliminary"].sum() == 1
    ahead = national.targets_ahead(con, series)
    kt_ahead = ahead[ahead.geo_code == "62"]
    assert {("own", 2025), ("own", 2030), ("national", 2025), ("national", 2030)} <= set(
        zip(kt_ahead.role, kt_ahead.year, strict=True)
    )
    fig = charts.series_with_targets(series, ahead, "en")
    panel = next(ax for ax in fig.axes if ax.get_title().startswith("Kon Tum"))
    hollow = [
        ln
        for ln in panel.lines
        if ln.get_marker() in ("o", "s") and ln.get_markerfacecolor() == "white"
    ]
    assert hollow  # the plan's estimate and the preliminary yearbook figure
    assert any(ln.get_marker() == "D" for ln in panel.lines)  # national targets ahead
    note = " ".join(t.get_text() for t in fig.texts)
    assert "p = preliminary figure" in note
    plt.close(fig)


def test_two_targets_of_one_year_are_each_reached_from_the_actual(con):
    """The country's two 2025 doctor targets (two instruments): an arrow to each from the 2023
    actual, never from one target to the other."""
    from pipeline.analysis import frames

    gap = frames.labelled_gap(con, "en", [2025])
    rows = gap[(gap.geo_code == "VN") & (gap.indicator_code == "doctors_per_10000")]
    assert sorted(rows["target_value"]) == [10, 15]
    fig = charts.trajectories(rows, "en")
    arrows = {
        (tuple(a.xyann), tuple(a.xy))
        for ax in fig.axes
        for a in ax.texts
        if getattr(a, "arrow_patch", None) is not None
    }
    assert arrows == {((2023, 12.5), (2025, 10.0)), ((2023, 12.5), (2025, 15.0))}
    plt.close(fig)
