"""Charts of the national yardstick: each place's targets beside the national ones, and the
series of actuals a place has, with the targets ahead. Read-with-care figures are drawn hollow or
dotted and lettered, and the footnote names every caveat."""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import pipeline.analysis.charts.base as base  # the module (the package imports this one)
from pipeline.analysis.labels import check_lang, t

# the local target against the national ones: short of one at least, short of none, not ranked
AMBITION_COLORS = {
    "falls_short": "#d55e00",
    "short_of_none": "#029e73",
    "not_comparable": "#7f6a5a",
}
NATIONAL = "#333333"
SHAPES = ["o", "s", "D", "^", "v", "P", "X"]


def _instrument(text: object, width: int = 30) -> str:
    return textwrap.shorten(base.nfc(text), width, placeholder="…") if isinstance(text, str) else ""


def _marked(text: str, caveats: object) -> str:
    marks = base.caveat_marks(caveats)
    return f"{text} [{marks}]" if marks else text


LEGEND = {"loc": "upper right", "fontsize": 8.5, "frameon": False}


def _legend(fig: Figure, handles: list, ncols: int) -> None:
    """The legend, right-aligned under the subtitle."""
    fig.legend(handles=handles, ncols=ncols, **LEGEND, bbox_to_anchor=(0.995, _top(fig)))


def _top(fig: Figure) -> float:
    return 1 - 0.62 / fig.get_figheight()


def _grid(n: int, ncols: int, width: float, height: float) -> tuple[Figure, list]:
    nrows = max(1, math.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width * ncols, height * nrows + 1.9), squeeze=False
    )
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)[:n]


def _panel_axes(ax, name: str, unit: str, lang: str) -> None:
    ax.set_title("\n".join(textwrap.wrap(base.nfc(name), 40)), fontsize=9.5)
    ax.set_ylabel(base.nfc(unit), fontsize=8.5)
    ax.set_xlabel(t("year", lang), fontsize=8.5)
    ax.margins(y=0.25)
    ax.tick_params(labelsize=8)
    base._num_axis(ax.yaxis, lang)


# ------------------------------------------------------------- targets beside the national


def _local_color(rows: pd.DataFrame) -> str:
    if rows["falls_short"].any():
        return AMBITION_COLORS["falls_short"]
    if (rows["ambition"] == "not_comparable").all():
        return AMBITION_COLORS["not_comparable"]
    return AMBITION_COLORS["short_of_none"]


def _draw_national(ax, cell: pd.DataFrame, x: float, keys: dict[str, str], lang: str) -> None:
    """The national targets of a target year: one line across the year's slot per value, with
    the letters of the instruments that set it (the footnote names them); dotted and lettered
    when a caveat applies (instruments that disagree, an estimate)."""
    national = cell.drop_duplicates("national_observation_id")
    for (value, comparator, year), rows in national.groupby(
        ["national_value", "national_comparator", "national_year"], sort=True
    ):
        caveats = sorted({c for cs in rows["national_caveats"] for c in base.codes(cs)})
        ax.hlines(
            value,
            x - 0.4,
            x + 0.4,
            colors=NATIONAL,
            lw=1.6,
            linestyles=":" if caveats else "-",
            zorder=2,
        )
        later = f" ({year})" if year != rows.iloc[0]["target_year"] else ""
        letters = ",".join(sorted({keys[i] for i in rows["national_instrument"]}))
        text = f"{base.figure_value(comparator, value, lang)}{later} {letters}"
        at = (x + 0.4, value)
        base.label(ax, _marked(text, caveats), at, -1, 2, fontsize=7.5, color=NATIONAL)


def _draw_local(ax, cell: pd.DataFrame, x: float, shapes: dict, lang: str) -> None:
    """Each place's target of that year, coloured by whether it falls short of a national one."""
    places = list(dict.fromkeys(cell.sort_values("geo_code")["geo_name"]))
    for k, (place, rows) in enumerate(cell.groupby("geo_name", sort=False)):
        first = rows.iloc[0]
        if pd.isna(first["target_value"]):
            continue
        dx = (k - (len(places) - 1) / 2) * 0.18
        caveated = bool(base.codes(first["local_caveats"]))
        color = _local_color(rows)
        ax.plot(
            x + dx,
            first["target_value"],
            marker=shapes[place],
            ms=8,
            color=color,
            mfc="white" if caveated else color,
            mew=1.8,
            ls="none",
            zorder=4,
        )
        text = base.figure_value(first["comparator"], first["target_value"], lang)
        base.label(
            ax,
            _marked(text, first["local_caveats"]),
            (x + dx, first["target_value"]),
            -6,
            fontsize=7.5,
            color=color,
        )


def _split_caveats(ys: pd.DataFrame) -> pd.DataFrame:
    """Which of a pair's caveats are the local target's and which the national one's."""

    def side(flags: object, caveats: object) -> list[str]:
        own = set(base.codes(flags))
        return [c for c in base.codes(caveats) if c in own]

    return ys.assign(
        local_caveats=[side(f, c) for f, c in zip(ys["target_flags"], ys["caveats"], strict=True)],
        national_caveats=[
            side(f, c) for f, c in zip(ys["national_flags"], ys["caveats"], strict=True)
        ],
    )


def targets_beside_national(
    ys: pd.DataFrame, lang: str = "en", note: str = "", ncols: int = 4
) -> Figure:
    """Small multiples, one per indicator: each place's target for each target year
    (``national.labelled_yardstick`` with the flags of both targets), and every national target
    it is compared with as a line, labelled with its instrument."""
    lang = check_lang(lang)
    base.style()
    df = _split_caveats(ys).sort_values(["domain", "indicator_code", "target_year", "geo_code"])
    indicators = list(dict.fromkeys(df["indicator_code"]))
    fig, axes = _grid(len(indicators), ncols, 4.9, 3.3)
    geos = list(dict.fromkeys(df.sort_values("geo_code")["geo_name"]))
    shapes = dict(zip(geos, SHAPES * 3, strict=False))
    instruments = list(dict.fromkeys(df["national_instrument"]))
    keys = {name: chr(ord("A") + i) for i, name in enumerate(instruments)}
    for ax, code in zip(axes, indicators, strict=True):
        sub = df[df["indicator_code"] == code]
        years = sorted(sub["target_year"].unique())
        for x, year in enumerate(years):
            cell = sub[sub["target_year"] == year]
            _draw_national(ax, cell, x, keys, lang)
            _draw_local(ax, cell, x, shapes, lang)
        ax.set_xticks(range(len(years)), [str(y) for y in years])
        ax.set_xlim(-0.7, len(years) - 0.1 + 0.9)
        _panel_axes(ax, sub.iloc[0]["indicator_name"], sub.iloc[0]["unit_name"], lang)
    handles = [
        Line2D([], [], marker=SHAPES[i % 7], color="black", ls="none", ms=7, label=base.nfc(g))
        for i, g in enumerate(geos)
    ]
    handles += [
        Line2D([], [], marker="o", ls="none", color=c, ms=7, label=t(k, lang))
        for k, c in AMBITION_COLORS.items()
    ]
    handles.append(Line2D([], [], color=NATIONAL, lw=1.6, label=t("national_target", lang)))
    _legend(fig, handles, min(len(handles), 6))
    present = {c for cs in df["caveats"] for c in base.codes(cs)}
    set_by = "; ".join(f"{keys[name]} = {base.nfc(name)}" for name in instruments)
    footnote = "\n".join(
        [t("instruments_key", lang).format(keys=set_by), base.caveat_key(present, lang)]
    )
    foot = base._finish(
        fig,
        t("yardstick_title", lang),
        t("yardstick_sub", lang),
        note,
        base._chars(fig),
        footnote.strip(),
    )
    base._layout(fig, head_in=1.2, foot_in=max(0.5, foot))
    return fig


# ----------------------------------------------------------- series with the targets ahead


def _draw_series(ax, rows: pd.DataFrame, lang: str) -> int:
    """Every actual (hollow: preliminary or estimate; square: official statistics), and a line
    through one figure a year: official statistics first, a final figure before a preliminary
    one. Returns the last year."""
    line = rows.assign(other=~rows["official_statistics"].astype(bool))
    line = line.sort_values(["year", "other", "is_estimate"]).drop_duplicates("year")
    ax.plot(line["year"], line["value"], color="black", lw=1.2, zorder=2)
    for r in rows.itertuples():
        marker = "s" if r.official_statistics else "o"
        ax.plot(
            r.year,
            r.value,
            marker=marker,
            ms=6.5,
            color="black",
            mfc="white" if r.is_estimate else "black",
            mew=1.4,
            ls="none",
            zorder=3,
        )
    last = line.iloc[-1]
    marks = "p" if last["preliminary"] else "e" if last["is_estimate"] else ""
    text = base.figure_value(last["comparator"], last["value"], lang)
    text += f" [{marks}]" if marks else ""
    base.label(ax, text, (last["year"], last["value"]), -6, 8)
    return int(line["year"].max())


def _draw_ahead(ax, ahead: pd.DataFrame, lang: str) -> None:
    """The targets after the last actual: the place's own (stars), the national ones
    (diamonds, with their instrument); hollow when a caveat applies."""
    several = ahead.loc[ahead["role"] == "own", "instrument"].nunique() > 1
    for k, r in enumerate(ahead.itertuples()):
        own = r.role == "own"
        color = "#0173b2" if own else NATIONAL
        ax.plot(
            r.year,
            r.value,
            marker="*" if own else "D",
            ms=9 if own else 6,
            color=color,
            mfc=color if not base.codes(r.caveats) else "white",
            mew=1.4,
            ls="none",
            zorder=4,
        )
        text = base.figure_value(r.comparator, r.value, lang)
        if not own or several:  # whose target it is, where it is not the place's one plan
            text += " " + _instrument(r.instrument, 22)
        base.label(
            ax,
            _marked(text, r.caveats),
            (r.year, r.value),
            6,
            (-1) ** k * 5,
            fontsize=7,
            color=color,
            boxed=False,
        )


def series_with_targets(
    series: pd.DataFrame, ahead: pd.DataFrame, lang: str = "en", note: str = "", ncols: int = 3
) -> Figure:
    """One panel per place and indicator with actuals for two or more years
    (``national.actual_series``): the actuals over time and, ahead, the place's own targets
    and the national ones (``national.targets_ahead``)."""
    lang = check_lang(lang)
    base.style()
    keys = list(dict.fromkeys(zip(series["geo_code"], series["indicator_code"], strict=True)))
    fig, axes = _grid(len(keys), ncols, 5.4, 3.4)
    for ax, (geo, code) in zip(axes, keys, strict=True):
        rows = series[(series["geo_code"] == geo) & (series["indicator_code"] == code)]
        last = _draw_series(ax, rows, lang)
        mine = ahead[(ahead["geo_code"] == geo) & (ahead["indicator_code"] == code)]
        mine = mine[mine["year"] <= last + 10]  # a far horizon (2045, 2050) would flatten it
        _draw_ahead(ax, mine, lang)
        years = sorted({*rows["year"], *mine["year"]})
        ax.set_xticks(years, [str(y) for y in years], rotation=45)
        ax.set_xlim(years[0] - 0.8, years[-1] + 0.6 + 0.25 * (years[-1] - years[0]))
        first = rows.iloc[0]
        _panel_axes(
            ax,
            f"{base.nfc(first['geo_name'])} · {base.nfc(first['indicator_name'])}",
            first["unit_name"],
            lang,
        )
    handles = [
        Line2D(
            [], [], marker="s", color="black", ls="none", ms=6, label=t("official_actual", lang)
        ),
        Line2D([], [], marker="o", color="black", ls="none", ms=6, label=t("other_actual", lang)),
        Line2D(
            [],
            [],
            marker="o",
            color="black",
            mfc="white",
            ls="none",
            ms=6,
            label=t("actual_preliminary", lang),
        ),
        Line2D([], [], marker="*", color="#0173b2", ls="none", ms=9, label=t("own_target", lang)),
        Line2D(
            [], [], marker="D", color=NATIONAL, ls="none", ms=6, label=t("national_target", lang)
        ),
    ]
    _legend(fig, handles, 5)
    present = {c for cs in ahead["caveats"] for c in base.codes(cs)}
    present |= {"preliminary"} if series["preliminary"].any() else set()
    present |= {"estimate"} if (series["is_estimate"] & ~series["preliminary"]).any() else set()
    foot = base._finish(
        fig,
        t("series_title", lang),
        t("series_sub", lang),
        note,
        base._chars(fig),
        base.caveat_key(present, lang),
    )
    base._layout(fig, head_in=1.2, foot_in=max(0.5, foot))
    return fig
