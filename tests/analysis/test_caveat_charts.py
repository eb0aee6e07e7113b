"""A caveat travels with its figure into every chart: hatched or dashed, lettered, explained in a
footnote, never a plain ✓; a pair that is not comparable is never ranked as a gap."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Rectangle

from pipeline.analysis import charts, frames

matplotlib.use("Agg")

BRVT, KT = "77", "62"


def heatmap_cells(fig) -> dict[tuple[str, str], dict]:
    """(indicator label, column label) -> the cell's text and whether it is hatched."""
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    hatched = {
        (int(p.get_x()), int(p.get_y()))
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_hatch()
    }
    cells = {}
    for text in ax.texts:
        x, y = text.get_position()
        key = (rows[int(y)], cols[int(x)])
        cells[key] = {"text": text.get_text(), "hatched": (int(x), int(y)) in hatched}
    return cells


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_unit_corrected_met_cell_is_never_a_plain_tick(con, lang):
    """Bà Rịa - Vũng Tàu's infant and under-5 mortality: met, with the unit corrected."""
    gap = frames.labelled_gap(con, lang, [2024])
    fig = charts.status_heatmap(gap, lang)
    cells = heatmap_cells(fig)
    brvt = gap[gap.geo_code == BRVT]
    column = next(c for (_, c) in cells if c.startswith(brvt.geo_name.iloc[0].split()[0]))
    for code in ("infant_mortality_rate", "under5_mortality_rate"):
        name = brvt.loc[brvt.indicator_code == code, "indicator_name"].iloc[0]
        cell = next(v for (r, c), v in cells.items() if c == column and name.startswith(r[:30]))
        assert cell == {"text": "✓ u", "hatched": True}
    # an uncaveated met cell stays a plain, unhatched tick
    plain = [v for (_, c), v in cells.items() if c == column and v["text"] == "✓"]
    assert plain and not any(v["hatched"] for v in plain)
    notes = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert f"u = {charts.t('caveat_unit_corrected', lang)}" in notes
    plt.close(fig)


def test_not_comparable_cells_are_marked_and_explained(con):
    gap = frames.labelled_gap(con, "en", [2025, 2030])
    fig = charts.status_heatmap(gap, "en")
    marked = [v for v in heatmap_cells(fig).values() if v["text"].startswith("≠")]
    assert len(marked) == 2 and all(v["hatched"] for v in marked)
    note = "\n".join(t.get_text() for t in fig.texts)
    assert "≠ not comparable" in note and "8 loại vắc xin" in note.replace("\n", " ")
    plt.close(fig)


def test_trajectories_dash_and_letter_the_caveats(con):
    gap = frames.labelled_gap(con, "en", [2024])
    fig = charts.trajectories(gap[gap.geo_code == BRVT], "en")
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "<8 [u]" in labels and "1.8 [u]" in labels
    dashed = [
        t.arrow_patch.get_linestyle()
        for ax in fig.axes
        for t in ax.texts
        if getattr(t, "arrow_patch", None) is not None
    ]
    assert "--" in dashed and "-" in dashed
    plt.close(fig)


def test_the_ranking_never_ranks_a_not_comparable_pair(con):
    """Kon Tum immunisation (8 vaccines against 12) was the third-largest gap."""
    ranked = frames.largest_gaps(con, "en", n=None)
    assert not ranked.empty
    assert set(frames.labelled_gap(con).query("status == 'not_met'").target_observation_id) == set(
        ranked.target_observation_id
    )
    kt = frames.not_comparable(con, "en")
    assert len(kt) == 2 and not set(kt.target_observation_id) & set(ranked.target_observation_id)
    fig = charts.largest_gaps_chart(frames.largest_gaps(con, "en", 15, [2025, 2030]), "en", "", kt)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert not any("fully immunised" in t for t in ticks)
    note = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert "≠ not comparable" in note and "Children under 1 fully immunised" in note
    plt.close(fig)


def test_a_caveated_ranked_bar_is_hatched(con):
    lg = frames.largest_gaps(con, "en", n=None)
    flagged = lg[lg.caveats.map(len) > 0]
    assert len(flagged)  # Kon Tum's estimated baselines
    fig = charts.largest_gaps_chart(lg, "en")
    bars = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert sum(bool(b.get_hatch()) for b in bars) == flagged.required_annual_rate.notna().sum()
    plt.close(fig)


def test_one_figure_stated_with_two_comparators_is_one_lettered_point(con):
    obs = frames.labelled_observations(con, "en", "doctors_per_10000")
    fig = charts.indicator_across_places(obs, "en")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert ">7.6 [d] / 7.6 [d]" in labels
    plt.close(fig)
