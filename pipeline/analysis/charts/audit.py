"""Charts of what the warehouse holds and how it was harmonised: coverage, one indicator across
places, flags per document."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from pipeline.analysis.charts.base import (
    CAVEAT_MARKS,
    _chars,
    _finish,
    _layout,
    _num_axis,
    caveat_key,
    caveat_marks,
    codes,
    figure_value,
    label,
    nfc,
    style,
)
from pipeline.analysis.labels import TEXT, check_lang, t


def coverage_heatmap(cov: pd.DataFrame, lang: str = "en", note: str = "") -> Figure:
    """Place × indicator: colour = number of figures, text = kinds and years
    (``frames.coverage_frame``)."""
    lang = check_lang(lang)
    style()
    df = cov.copy()
    df["indicator_name"] = df["indicator_name"].map(nfc)
    df["geo_name"] = df["geo_name"].map(nfc)
    order = df.sort_values(["domain", "indicator_name"])["indicator_name"].unique()
    geos = df.sort_values("geo_code")["geo_name"].unique()
    n = df.pivot(index="indicator_name", columns="geo_name", values="n").reindex(order)[geos]
    cell = df.pivot(index="indicator_name", columns="geo_name", values="cell").reindex(order)[geos]
    labels = [textwrap.shorten(s, 62, placeholder="…") for s in n.index]
    top = max(3, int(np.nanmax(n.to_numpy())))
    cmap = ListedColormap(sns.color_palette("Blues", top + 1)[1:])  # one colour per count
    norm = BoundaryNorm(np.arange(0.5, top + 1.5), cmap.N)
    fig, ax = plt.subplots(figsize=(4.6 + 1.9 * len(geos), 1.9 + 0.3 * len(n)))
    sns.heatmap(
        n,
        ax=ax,
        cmap=cmap,
        norm=norm,
        annot=cell.fillna("").to_numpy(),
        fmt="",
        annot_kws={"fontsize": 8},
        linewidths=0.5,
        linecolor="white",
        cbar_kws={
            "label": t("figures", lang),
            "shrink": 0.3,
            "pad": 0.02,
            "ticks": list(range(1, top + 1)),
        },
        yticklabels=labels,
    )
    ax.grid(False)
    ax.set_xlabel(t("place", lang), labelpad=10)
    ax.set_ylabel(t("indicator", lang))
    ax.tick_params(axis="y", labelsize=8.5)
    ax.tick_params(axis="x", labelsize=10, rotation=0)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    _finish(fig, t("coverage_title", lang), t("coverage_sub", lang), note, _chars(fig))
    _layout(fig, head_in=0.75, foot_in=0.45)
    return fig


def indicator_across_places(obs: pd.DataFrame, lang: str = "en", note: str = "") -> Figure:
    """One indicator, every place: actuals (filled) and targets (hollow) by year, joined per
    place (``frames.labelled_observations(con, lang, indicator_code)``)."""
    lang = check_lang(lang)
    style()
    if obs["indicator_code"].nunique() != 1:
        raise ValueError("pass the observations of exactly one indicator")
    df = _labelled_points(obs.sort_values(["geo_code", "year", "kind"]), lang)
    geos = list(dict.fromkeys(df["geo_name"].map(nfc)))
    palette = dict(zip(geos, sns.color_palette("colorblind", len(geos)), strict=True))
    offset = {g: (i - (len(geos) - 1) / 2) * 0.09 for i, g in enumerate(geos)}
    fig, ax = plt.subplots(figsize=(11, 6.8))
    for geo_name, rows in df.groupby(df["geo_name"].map(nfc), sort=False):
        c = palette[geo_name]
        xs = rows["year"] + offset[geo_name]
        ax.plot(xs, rows["value"], color=c, lw=1.3, ls=":", zorder=2)
        for x, (_, r) in zip(xs, rows.iterrows(), strict=True):
            actual = r["kind"] == "actual"
            ax.plot(
                x,
                r["value"],
                marker="o" if actual else "D",
                ms=9,
                color=c,
                mfc=c if actual else "white",
                mew=2,
                ls="none",
                zorder=3,
            )
            label(ax, r["text"], (x, r["value"]), 8, fontsize=9, color=c)
    first = df.iloc[0]
    years = sorted(df["year"].unique())
    ax.set_xticks(years)
    ax.set_xlim(years[0] - 0.7, years[-1] + 0.9)
    ax.margins(y=0.12)
    ax.set_xlabel(t("year", lang))
    ax.set_ylabel(nfc(first["unit_name"]))
    _num_axis(ax.yaxis, lang)
    handles = [Line2D([], [], color=palette[g], marker="s", ls="none", ms=9, label=g) for g in geos]
    handles += [
        Line2D([], [], marker="o", color="black", ls="none", ms=8, label=t("actual", lang)),
        Line2D(
            [], [], marker="D", color="black", mfc="white", ls="none", ms=8, label=t("target", lang)
        ),
    ]
    ax.legend(
        handles=handles,
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        frameon=False,
        title=t("place", lang),
    )
    title = t("across_title", lang).format(indicator=nfc(first["indicator_name"]))
    present = {f for fs in df["caveats"] for f in fs}
    foot = _finish(fig, title, t("across_sub", lang), note, _chars(fig), caveat_key(present, lang))
    _layout(fig, head_in=0.8, foot_in=max(0.6, foot))
    return fig


def _labelled_points(obs: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One point per place, year, kind and value, labelled with every statement of it
    (``>7.6 [d] / 7.6 [d]`` when a document states one figure with two comparators), and the
    letters of its caveats (the flags of CAVEAT_MARKS; an estimate says so in words)."""
    df = obs.copy()
    df["caveats"] = [
        [f for f in codes(flags) if f in CAVEAT_MARKS] for flags in df.get("flags", [[]] * len(df))
    ]

    def text(r: pd.Series) -> str:
        s = figure_value(r["comparator"], r["value"], lang)
        if r["kind"] == "actual" and r["is_estimate"]:
            s += f" ({t('estimate', lang)})"
        marks = caveat_marks(r["caveats"])
        return f"{s} [{marks}]" if marks else s

    df["text"] = df.apply(text, axis=1) if len(df) else []
    key = ["geo_name", "year", "kind", "value"]
    joined = df.groupby(key, sort=False)["text"].agg(lambda s: " / ".join(dict.fromkeys(s)))
    caveats = df.groupby(key, sort=False)["caveats"].agg(
        lambda s: sorted({c for x in s for c in x})
    )
    first = df.drop_duplicates(key).set_index(key)
    first["text"], first["caveats"] = joined, caveats
    return first.reset_index()


def flags_heatmap(counts: pd.DataFrame, lang: str = "en", note: str = "") -> Figure:
    """Document × flag: how many figures carry each flag (``frames.flag_counts``)."""
    lang = check_lang(lang)
    style()
    df = counts.copy()
    table = (
        df.dropna(subset=["flag"])
        .pivot_table(index="source_id", columns="flag", values="n", aggfunc="sum", fill_value=0)
        .reindex(sorted(df["source_id"].unique()), fill_value=0)
    )
    fig, ax = plt.subplots(figsize=(3.5 + 1.5 * max(1, table.shape[1]), 2.6 + 0.55 * len(table)))
    sns.heatmap(
        table,
        ax=ax,
        annot=True,
        fmt="d",
        cmap="Oranges",
        linewidths=0.5,
        linecolor="white",
        cbar_kws={"label": t("figures", lang), "shrink": 0.8},
    )
    ax.grid(False)
    if lang == "vi":  # the flag as named in Vietnamese, with the code to query it by
        ax.set_xticklabels(
            [
                f"{TEXT['vi'].get('flag_' + c.get_text(), c.get_text())}\n({c.get_text()})"
                for c in ax.get_xticklabels()
            ]
        )
    ax.set_xlabel(t("flag", lang))
    ax.set_ylabel(t("document", lang))
    ax.tick_params(axis="x", rotation=0, labelsize=9)
    ax.tick_params(axis="y", labelsize=9)
    _finish(fig, t("flags_title", lang), t("flags_sub", lang), note, _chars(fig))
    _layout(fig, head_in=0.8, foot_in=0.6)
    return fig
