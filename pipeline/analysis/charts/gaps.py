"""Charts of the `gap` view: trajectories from the latest actual to each target, the status of
every target, the largest gaps still to close."""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from pipeline.analysis.charts.base import (
    HATCH,
    PROGRESS_COLORS,
    STATUS_COLORS,
    STATUS_MARKS,
    STATUS_ORDER,
    _chars,
    _finish,
    _layout,
    _num_axis,
    caveat_footnote,
    caveat_marks,
    codes,
    figure_value,
    fmt,
    label,
    nfc,
    side_caveats,
    style,
)
from pipeline.analysis.labels import check_lang, t


def _arrow(ax, x0, y0, x1, y1, color, dashed: bool = False):
    ax.annotate(
        "",
        xy=(x1, y1),
        xytext=(x0, y0),
        arrowprops={
            "arrowstyle": "-|>",
            "color": color,
            "lw": 1.6,
            "shrinkA": 5,
            "shrinkB": 6,
            "linestyle": "--" if dashed else "-",
        },
        zorder=2,
    )


def _flagged(r) -> bool:
    """A row drawn as one to read with care: a caveat, or a pair that is not comparable."""
    return bool(codes(r["caveats"])) or r["status"] == "not_comparable"


def _with_marks(text: str, caveats: list[str]) -> str:
    marks = caveat_marks(caveats)
    return f"{text} [{marks}]" if marks else text


def _baseline_point(ax, b: pd.Series, marker: str, lang: str) -> tuple[int, float]:
    """The latest actual (hollow when estimated), labelled on its left."""
    bx, by = int(b["baseline_year"]), float(b["baseline_value"])
    est = bool(b["baseline_is_estimate"])
    ax.plot(
        bx,
        by,
        marker=marker,
        ms=8,
        color="black",
        mfc="white" if est else "black",
        mew=1.6,
        zorder=4,
        ls="none",
    )
    text = fmt(by, lang) + (f" ({t('estimate', lang)})" if est else "")
    marks = [c for c in side_caveats(b, "baseline") if not (est and c == "estimate")]
    label(ax, _with_marks(text, marks), (bx, by), -7)
    return bx, by


def _target_points(
    ax, rows: pd.DataFrame, start: tuple[int, float], marker: str, lang: str
) -> None:
    """An arrow from the actual to each target in turn; a star for a target stated in words.
    Several targets of one year (two documents, or two instruments cited in one) each get an
    arrow from the same point; the next year's start from the first of them."""
    px, py = start
    year, next_start, first = None, start, True
    for _, r in rows.iterrows():
        if r["target_year"] != year:
            year, (px, py), first = r["target_year"], next_start, True
        color = STATUS_COLORS[r["status"]]
        tx = int(r["target_year"])
        marks = side_caveats(r, "target")
        if r["status"] == "qualitative":
            ax.plot(tx, start[1], marker="*", ms=11, color=color, ls="none", zorder=4)
            words = "\n".join(textwrap.wrap(nfc(r["target_value_reported"]), 16))
            words = _with_marks(words, marks)
            label(ax, words, (tx, start[1]), 0, 9, boxed=False, fontsize=7.5, color=color)
            continue
        ty = float(r["target_value"])
        _arrow(ax, px, py, tx, ty, color, dashed=_flagged(r))
        ax.plot(tx, ty, marker=marker, ms=8, color=color, mfc="white", mew=2, ls="none", zorder=4)
        text = figure_value(r["comparator"], ty, lang)
        text = ("≠ " if r["status"] == "not_comparable" else "") + _with_marks(text, marks)
        label(ax, text, (tx, ty), 7, color=color)
        if first:  # the next year's arrows start from the first target of this one
            next_start, first = (tx, ty), False


def _trajectory_axes(ax, sub: pd.DataFrame, lang: str) -> None:
    """Title, units and a year axis that leaves room for the labels."""
    first = sub.iloc[0]
    ax.set_title("\n".join(textwrap.wrap(nfc(first["indicator_name"]), 42)), fontsize=9.5)
    ax.set_ylabel(nfc(first["unit_name"]), fontsize=8.5)
    ax.set_xlabel(t("year", lang), fontsize=8.5)
    years = sorted(set(sub["baseline_year"].astype(int)) | set(sub["target_year"].astype(int)))
    ax.set_xticks(years)
    span = years[-1] - years[0]
    ax.set_xlim(years[0] - 0.7 - 0.22 * span, years[-1] + 0.6 + 0.12 * span)
    ax.margins(y=0.22)
    ax.tick_params(labelsize=8)
    _num_axis(ax.yaxis, lang)


def _trajectory_legend(
    fig: Figure, statuses: set, shapes: dict[str, str], lang: str, flagged: bool
) -> None:
    handles = [
        Patch(color=STATUS_COLORS[s], label=t(s, lang)) for s in STATUS_ORDER if s in statuses
    ]
    if flagged:
        handles.append(Line2D([], [], color="black", ls="--", label=t("read_with_care", lang)))
    handles += [
        Line2D([], [], marker=m, color="black", ls="none", ms=7, label=nfc(g))
        for g, m in shapes.items()
    ]
    handles += [
        Line2D([], [], marker="o", color="black", mfc=fill, ls="none", ms=7, label=t(key, lang))
        for fill, key in (("black", "actual"), ("white", "actual_estimate"))
    ]
    fig.legend(
        handles=handles,
        loc="upper right",
        ncols=min(len(handles), 5),
        fontsize=9,
        frameon=False,
        bbox_to_anchor=(0.995, 1 - 0.62 / fig.get_figheight()),
    )


def trajectories(gap: pd.DataFrame, lang: str = "en", note: str = "", ncols: int = 4) -> Figure:
    """Small multiples, one per indicator: each place's latest actual, then an arrow to each
    target year, coloured by status (``frames.labelled_gap``, rows with a baseline)."""
    lang = check_lang(lang)
    style()
    df = gap[gap["baseline_value"].notna()].copy()
    df = df.sort_values(["domain", "indicator_code", "geo_code", "target_year"])
    indicators = list(dict.fromkeys(df["indicator_code"]))
    nrows = max(1, math.ceil(len(indicators) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.1 * nrows + 1.6), squeeze=False)
    geos = list(dict.fromkeys(df.sort_values("geo_code")["geo_name"]))
    shapes = dict(zip(geos, ["o", "s", "D", "^", "v", "P", "X"] * 3, strict=False))
    for ax, code in zip(axes.flat, indicators, strict=False):
        sub = df[df["indicator_code"] == code]
        for geo, rows in sub.groupby("geo_name", sort=False):
            rows = rows.sort_values("target_year")
            start = _baseline_point(ax, rows.iloc[0], shapes[geo], lang)
            _target_points(ax, rows, start, shapes[geo], lang)
        _trajectory_axes(ax, sub, lang)
    for ax in list(axes.flat)[len(indicators) :]:
        ax.set_visible(False)
    flagged = df.apply(_flagged, axis=1).any() if len(df) else False
    _trajectory_legend(fig, set(df["status"]), shapes, lang, bool(flagged))
    foot = _finish(
        fig,
        t("trajectory_title", lang),
        t("trajectory_sub", lang),
        note,
        _chars(fig),
        caveat_footnote(df, lang),
    )
    _layout(fig, head_in=1.15, foot_in=max(0.5, foot))
    return fig


def _hatch_cells(ax, flagged: pd.DataFrame) -> None:
    """Hatch the cells of a heatmap where ``flagged`` (same shape) is true."""
    for y, row in enumerate(flagged.to_numpy()):
        for x, on in enumerate(row):
            if on is True or on is np.True_:
                ax.add_patch(
                    Rectangle(
                        (x, y), 1, 1, fill=False, hatch=HATCH, edgecolor=(0, 0, 0, 0.35), lw=0
                    )
                )


def _status_legend(fig: Figure, lang: str, foot: float) -> None:
    """Each status with its mark, and the hatching, just above the notes (``foot`` inches)."""
    handles = [
        Patch(color=STATUS_COLORS[s], label=f"{STATUS_MARKS[s]} {t(s, lang)}") for s in STATUS_ORDER
    ]
    handles.append(
        Patch(
            facecolor="#8c8c8c",
            edgecolor=(0, 0, 0, 0.35),
            hatch=HATCH,
            label=t("read_with_care", lang),
        )
    )
    fig.legend(
        handles=handles,
        loc="lower right",
        ncols=3,
        frameon=False,
        fontsize=9,
        bbox_to_anchor=(0.995, (foot + 0.05) / fig.get_figheight()),
    )


def status_heatmap(gap: pd.DataFrame, lang: str = "en", note: str = "") -> Figure:
    """Indicator × (place, target year), coloured by status (``frames.labelled_gap``); a cell
    with a caveat, or a pair that is not comparable, is hatched and lettered, and the footnote
    says why. Where a place has targets for one year in two documents, the first document by
    source_id is shown."""
    lang = check_lang(lang)
    style()
    df = gap.sort_values(["geo_code", "target_year", "target_source_id"]).drop_duplicates(
        ["geo_code", "indicator_code", "target_year"]
    )
    marks = df["caveats"].map(caveat_marks)
    df = df.assign(
        column=df["geo_name"].map(nfc) + " · " + df["target_year"].astype(str),
        indicator_name=df["indicator_name"].map(nfc),
        code=df["status"].map({s: i for i, s in enumerate(STATUS_ORDER)}),
        text=df["status"].map(STATUS_MARKS) + marks.map(lambda m: f" {m}" if m else ""),
        flagged=df.apply(_flagged, axis=1) if len(df) else [],
    )
    columns = list(dict.fromkeys(df["column"]))
    order = df.sort_values(["domain", "indicator_name"])["indicator_name"].unique()

    def grid(values: str) -> pd.DataFrame:
        return df.pivot(index="indicator_name", columns="column", values=values).reindex(order)[
            columns
        ]

    code, text = grid("code"), grid("text")
    cmap = ListedColormap([STATUS_COLORS[s] for s in STATUS_ORDER])
    norm = BoundaryNorm(np.arange(-0.5, len(STATUS_ORDER) + 0.5), cmap.N)
    fig, ax = plt.subplots(figsize=(5.2 + 1.05 * len(columns), 2.2 + 0.3 * len(code)))
    sns.heatmap(
        code.astype(float),
        ax=ax,
        cmap=cmap,
        norm=norm,
        cbar=False,
        annot=text.fillna("").to_numpy(),
        fmt="",
        annot_kws={"fontsize": 10, "color": "white", "fontweight": "bold"},
        linewidths=0.6,
        linecolor="white",
        yticklabels=[textwrap.shorten(s, 62, placeholder="…") for s in code.index],
    )
    _hatch_cells(ax, grid("flagged"))
    ax.grid(False)
    ax.set_xlabel(t("place_year", lang), labelpad=10)
    ax.set_ylabel(t("indicator", lang))
    ax.tick_params(axis="y", labelsize=8.5)
    ax.set_xticklabels(
        ["\n".join(textwrap.wrap(c.get_text(), 14)) for c in ax.get_xticklabels()],
        rotation=0,
        fontsize=8.5,
    )
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    foot = _finish(
        fig,
        t("status_title", lang),
        t("status_sub", lang),
        note,
        _chars(fig),
        caveat_footnote(df, lang),
    )
    _status_legend(fig, lang, foot)
    _layout(fig, head_in=0.8, foot_in=foot + 0.65)
    return fig


def _per_year(change: float, unit_code: str, unit_name: str, lang: str) -> str:
    """``+3.85 per 10,000 population per year``; percentage points for percentages."""
    unit = {"en": "pp", "vi": "điểm %"}[lang] if unit_code == "percent" else nfc(unit_name)
    return f"{fmt(change, lang)} {unit} {t('per_year', lang)}"


def largest_gaps_chart(
    lg: pd.DataFrame, lang: str = "en", note: str = "", not_ranked: pd.DataFrame | None = None
) -> Figure:
    """Horizontal bars: the compound annual rate each unmet target requires
    (``frames.largest_gaps``), coloured by the UN progress class where a trend exists; a row
    with a caveat is hatched and lettered. Pairs that are not comparable
    (``frames.not_comparable``, as ``not_ranked``) are not ranked: the footnote names them."""
    lang = check_lang(lang)
    style()
    df = lg[lg["required_annual_rate"].notna()].copy().iloc[::-1]
    labels = [
        textwrap.shorten(f"{nfc(r.geo_name)} · {nfc(r.indicator_name)}", 64, placeholder="…")
        + f" → {r.target_year}"
        for r in df.itertuples()
    ]
    fig, ax = plt.subplots(figsize=(13, 1.9 + 0.38 * len(df)))
    rate = df["required_annual_rate"].to_numpy() * 100
    classes = [c if isinstance(c, str) else None for c in df["progress_class"]]
    bars = ax.barh(range(len(df)), rate, color=[PROGRESS_COLORS[c] for c in classes], height=0.65)
    for bar, caveats in zip(bars, df["caveats"], strict=True):
        if codes(caveats):
            bar.set_hatch(HATCH)
            bar.set_edgecolor("white")
    ax.set_yticks(range(len(df)), labels, fontsize=9)
    ax.axvline(0, color="black", lw=0.8)
    for i, r in enumerate(df.itertuples()):
        sign = "+" if r.target_value >= r.baseline_value else "−"
        text = (
            f"{sign}{_per_year(r.required_annual_change, r.unit_code, r.unit_name, lang)}"
            f"  ({fmt(r.baseline_value, lang)} → "
            f"{figure_value(r.comparator, r.target_value, lang)})"
        )
        label(
            ax,
            _with_marks(text, codes(r.caveats)),
            (max(rate[i], 0), i),
            5,
            boxed=False,
            fontsize=8.5,
        )
    lo, hi = (min(0, rate.min()), max(0, rate.max())) if len(rate) else (0, 1)
    ax.set_xlim(lo - 0.05 * (hi - lo), hi + 0.75 * (hi - lo))
    ax.set_xlabel(t("gaps_x", lang))
    _num_axis(ax.xaxis, lang)
    ax.grid(axis="y", visible=False)
    present = [c for c in PROGRESS_COLORS if c in set(classes)]
    handles = [Patch(color=PROGRESS_COLORS[c], label=t(c or "no_trend", lang)) for c in present]
    if any(codes(c) for c in df["caveats"]):
        handles.append(
            Patch(
                facecolor="#8c8c8c", edgecolor="white", hatch=HATCH, label=t("read_with_care", lang)
            )
        )
    ax.legend(handles=handles, loc="lower right", fontsize=8.5, frameon=True)
    footnote = caveat_footnote(df, lang, not_ranked)
    foot = _finish(fig, t("gaps_title", lang), t("gaps_sub", lang), note, _chars(fig), footnote)
    _layout(fig, head_in=0.8, foot_in=max(0.6, foot))
    return fig
