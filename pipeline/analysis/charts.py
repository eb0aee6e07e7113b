"""Charts for the notebooks: each function takes DataFrames from ``pipeline.analysis.frames``
and returns a matplotlib Figure with a title, units on its axes and a source note, labelled in
English or Vietnamese (``lang``). ``save`` exports a figure (PNG and SVG) to
``reports/figures/`` when ``CHITIEU_EXPORT_FIGURES=1`` (``make notebooks`` sets it).

Text is drawn in DejaVu Sans, which has every Vietnamese glyph; all labels are NFC-normalised so
that the combining marks of a decomposed source never render as separate boxes.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from pipeline.analysis.labels import TEXT, check_lang, geo_label_sql, t
from pipeline.settings import export_figures, figures_dir

FONT = "DejaVu Sans"

STATUS_ORDER = ["met", "not_met", "no_baseline", "qualitative"]
STATUS_COLORS = {
    "met": "#029e73",
    "not_met": "#d55e00",
    "no_baseline": "#bdbdbd",
    "qualitative": "#8172b3",
}
PROGRESS_COLORS = {
    "on_track": "#029e73",
    "acceleration_needed": "#de8f05",
    "stagnation_or_regression": "#d55e00",
    None: "#949494",
}


# --------------------------------------------------------------------------------- helpers


def nfc(s: object) -> str:
    return unicodedata.normalize("NFC", str(s))


def style() -> None:
    """Seaborn's white grid in DejaVu Sans; deterministic SVG ids."""
    sns.set_theme(style="whitegrid", context="notebook", font=FONT)
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [FONT]
    mpl.rcParams["svg.hashsalt"] = "chitieu"
    mpl.rcParams["axes.titleweight"] = "bold"


def fmt(x: float, lang: str = "en") -> str:
    """A figure the way a reader wants it: 10.5, 0.38, 2,700 — no float noise; Vietnamese
    separators in ``vi`` (10,5 and 2.700)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if abs(x) >= 1000:
        out = f"{x:,.0f}"
    elif abs(x) < 1:
        out = f"{x:.3g}"
    else:
        out = f"{round(x, 2):g}"
    if lang == "vi":
        out = out.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return out


def _num_axis(axis, lang: str) -> None:
    """Tick labels in the language's number format."""
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v, lang)))


LABEL_BOX = {"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85}

COMPARATOR_SYMBOL = {"=": "", "~": "≈", "<": "<", "<=": "≤", ">": ">", ">=": "≥", None: ""}


def figure_value(comparator: str | None, value: float, lang: str = "en") -> str:
    sym = COMPARATOR_SYMBOL.get(comparator if isinstance(comparator, str) else None, "")
    return f"{sym}{fmt(value, lang)}"


def source_note(con, lang: str = "en", source_ids: Iterable[str] | None = None) -> str:
    """The note every chart carries: which documents, which build."""
    lang = check_lang(lang)
    ids = list(source_ids) if source_ids is not None else None
    df = con.execute(
        f"""
        SELECT DISTINCT {geo_label_sql(lang, "g")} AS place
        FROM source_document s JOIN geo g USING (geo_code)
        WHERE ? IS NULL OR list_contains(?, s.source_id)
        ORDER BY place""",
        [ids, ids],
    ).df()
    n = con.execute(
        "SELECT count(*) FROM source_document WHERE ? IS NULL OR list_contains(?, source_id)",
        [ids, ids],
    ).fetchall()[0][0]
    built = con.execute("SELECT max(built_at) FROM build_info").fetchall()[0][0]
    built = (built or dt.datetime.now()).strftime("%Y-%m-%d")
    places = ", ".join(nfc(p) for p in df["place"])
    return TEXT[lang]["note"].format(built=built, n=n, places=places)


def _finish(fig: Figure, title: str, subtitle: str | None, note: str, width_chars: int) -> Figure:
    """Title and subtitle at the top, the source note at the bottom (fixed sizes in inches)."""
    h = fig.get_figheight()
    fig.text(0.01, 1 - 0.12 / h, nfc(title), ha="left", va="top", fontsize=15, fontweight="bold")
    if subtitle:
        fig.text(
            0.01, 1 - 0.45 / h, nfc(subtitle), ha="left", va="top", fontsize=10, color="#444444"
        )
    wrapped = "\n".join(textwrap.wrap(nfc(note), width_chars))
    fig.text(0.01, 0.06 / h, wrapped, ha="left", va="bottom", fontsize=8, color="#555555")
    return fig


def _layout(fig: Figure, head_in: float = 0.8, foot_in: float = 0.5) -> None:
    """Leave room (inches) for the title block and the source note."""
    h = fig.get_figheight()
    fig.tight_layout(rect=(0, foot_in / h, 1, 1 - head_in / h))


def _chars(fig: Figure) -> int:
    return int(fig.get_figwidth() * 15)


def save(fig: Figure, name: str, lang: str = "en", directory: Path | None = None) -> list[Path]:
    """Write ``name.png`` and ``name.svg`` (``name.vi.png`` … for Vietnamese) when
    ``CHITIEU_EXPORT_FIGURES=1`` or a ``directory`` is given; return the paths written."""
    if directory is None:
        if not export_figures():
            return []
        directory = figures_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stem = name if lang == "en" else f"{name}.{lang}"
    out = []
    for ext, kw in (("png", {"dpi": 150}), ("svg", {"metadata": {"Date": None}})):
        path = directory / f"{stem}.{ext}"
        fig.savefig(path, bbox_inches="tight", facecolor="white", **kw)
        out.append(path)
    return out


# ------------------------------------------------------------------------------ the charts


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


def _arrow(ax, x0, y0, x1, y1, color):
    ax.annotate(
        "",
        xy=(x1, y1),
        xytext=(x0, y0),
        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.6, "shrinkA": 5, "shrinkB": 6},
        zorder=2,
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
        first = sub.iloc[0]
        for geo, rows in sub.groupby("geo_name", sort=False):
            rows = rows.sort_values("target_year")
            b = rows.iloc[0]
            bx, by = int(b["baseline_year"]), float(b["baseline_value"])
            est = bool(b["baseline_is_estimate"])
            ax.plot(
                bx,
                by,
                marker=shapes[geo],
                ms=8,
                color="black",
                mfc="white" if est else "black",
                mew=1.6,
                zorder=4,
                ls="none",
            )
            label = fmt(by, lang) + (f" ({t('estimate', lang)})" if est else "")
            ax.annotate(
                label,
                (bx, by),
                textcoords="offset points",
                xytext=(-7, 0),
                ha="right",
                va="center",
                fontsize=8,
                bbox=LABEL_BOX,
            )
            px, py = bx, by
            for _, r in rows.iterrows():
                color = STATUS_COLORS[r["status"]]
                tx = int(r["target_year"])
                if r["status"] == "qualitative":
                    ax.plot(tx, by, marker="*", ms=11, color=color, ls="none", zorder=4)
                    ax.annotate(
                        "\n".join(textwrap.wrap(nfc(r["target_value_reported"]), 16)),
                        (tx, by),
                        textcoords="offset points",
                        xytext=(0, 9),
                        ha="center",
                        va="bottom",
                        fontsize=7.5,
                        color=color,
                    )
                    continue
                ty = float(r["target_value"])
                _arrow(ax, px, py, tx, ty, color)
                ax.plot(
                    tx,
                    ty,
                    marker=shapes[geo],
                    ms=8,
                    color=color,
                    mfc="white",
                    mew=2,
                    ls="none",
                    zorder=4,
                )
                ax.annotate(
                    figure_value(r["comparator"], ty, lang),
                    (tx, ty),
                    textcoords="offset points",
                    xytext=(7, 0),
                    ha="left",
                    va="center",
                    fontsize=8,
                    color=color,
                    bbox=LABEL_BOX,
                )
                px, py = tx, ty
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
    for ax in list(axes.flat)[len(indicators) :]:
        ax.set_visible(False)
    handles = [
        Patch(color=STATUS_COLORS[s], label=t(s, lang))
        for s in STATUS_ORDER
        if s in set(df["status"])
    ]
    handles += [
        Line2D([], [], marker=shapes[g], color="black", ls="none", ms=7, label=nfc(g)) for g in geos
    ]
    handles += [
        Line2D(
            [], [], marker="o", color="black", mfc="black", ls="none", ms=7, label=t("actual", lang)
        ),
        Line2D(
            [],
            [],
            marker="o",
            color="black",
            mfc="white",
            ls="none",
            ms=7,
            label=t("actual_estimate", lang),
        ),
    ]
    fig.legend(
        handles=handles,
        loc="upper right",
        ncols=min(len(handles), 5),
        fontsize=9,
        frameon=False,
        bbox_to_anchor=(0.995, 1 - 0.62 / fig.get_figheight()),
    )
    _finish(fig, t("trajectory_title", lang), t("trajectory_sub", lang), note, _chars(fig))
    _layout(fig, head_in=1.15, foot_in=0.5)
    return fig


def status_heatmap(gap: pd.DataFrame, lang: str = "en", note: str = "") -> Figure:
    """Indicator × (place, target year), coloured by status (``frames.labelled_gap``). Where a
    place has targets for one year in two documents, the first document by source_id is shown."""
    lang = check_lang(lang)
    style()
    df = gap.sort_values(["geo_code", "target_year", "target_source_id"]).drop_duplicates(
        ["geo_code", "indicator_code", "target_year"]
    )
    df = df.assign(
        column=df["geo_name"].map(nfc) + " · " + df["target_year"].astype(str),
        indicator_name=df["indicator_name"].map(nfc),
        code=df["status"].map({s: i for i, s in enumerate(STATUS_ORDER)}),
        text=df["status"].map({"met": "✓", "not_met": "✗", "no_baseline": "·", "qualitative": "?"}),
    )
    columns = list(dict.fromkeys(df["column"]))
    order = df.sort_values(["domain", "indicator_name"])["indicator_name"].unique()
    code = df.pivot(index="indicator_name", columns="column", values="code").reindex(order)[columns]
    text = df.pivot(index="indicator_name", columns="column", values="text").reindex(order)[columns]
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
    marks = {"met": "✓", "not_met": "✗", "no_baseline": "·", "qualitative": "?"}
    handles = [
        Patch(color=STATUS_COLORS[s], label=f"{marks[s]} {t(s, lang)}") for s in STATUS_ORDER
    ]
    fig.legend(
        handles=handles,
        loc="lower right",
        ncols=4,
        frameon=False,
        fontsize=9,
        bbox_to_anchor=(0.995, 0.42 / fig.get_figheight()),
    )
    _finish(fig, t("status_title", lang), t("status_sub", lang), note, _chars(fig) - 50)
    _layout(fig, head_in=0.8, foot_in=0.75)
    return fig


def indicator_across_places(obs: pd.DataFrame, lang: str = "en", note: str = "") -> Figure:
    """One indicator, every place: actuals (filled) and targets (hollow) by year, joined per
    place (``frames.labelled_observations(con, lang, indicator_code)``)."""
    lang = check_lang(lang)
    style()
    if obs["indicator_code"].nunique() != 1:
        raise ValueError("pass the observations of exactly one indicator")
    df = obs.sort_values(["geo_code", "year", "kind"]).copy()
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
            label = figure_value(r["comparator"], r["value"], lang)
            if actual and r["is_estimate"]:
                label += f" ({t('estimate', lang)})"
            ax.annotate(
                label,
                (x, r["value"]),
                textcoords="offset points",
                xytext=(8, 0),
                ha="left",
                va="center",
                fontsize=9,
                color=c,
                bbox=LABEL_BOX,
            )
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
    _finish(fig, title, t("across_sub", lang), note, _chars(fig))
    _layout(fig, head_in=0.8, foot_in=0.6)
    return fig


def _per_year(change: float, unit_code: str, unit_name: str, lang: str) -> str:
    """``+3.85 per 10,000 population per year``; percentage points for percentages."""
    unit = {"en": "pp", "vi": "điểm %"}[lang] if unit_code == "percent" else nfc(unit_name)
    return f"{fmt(change, lang)} {unit} {t('per_year', lang)}"


def largest_gaps_chart(lg: pd.DataFrame, lang: str = "en", note: str = "") -> Figure:
    """Horizontal bars: the compound annual rate each unmet target requires
    (``frames.largest_gaps``), coloured by the UN progress class where a trend exists."""
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
    ax.barh(range(len(df)), rate, color=[PROGRESS_COLORS[c] for c in classes], height=0.65)
    ax.set_yticks(range(len(df)), labels, fontsize=9)
    ax.axvline(0, color="black", lw=0.8)
    for i, r in enumerate(df.itertuples()):
        sign = "+" if r.target_value >= r.baseline_value else "−"
        label = (
            f"{sign}{_per_year(r.required_annual_change, r.unit_code, r.unit_name, lang)}"
            f"  ({fmt(r.baseline_value, lang)} → "
            f"{figure_value(r.comparator, r.target_value, lang)})"
        )
        ax.annotate(
            label,
            (max(rate[i], 0), i),
            textcoords="offset points",
            xytext=(5, 0),
            ha="left",
            va="center",
            fontsize=8.5,
        )
    lo, hi = min(0, rate.min()), max(0, rate.max())
    ax.set_xlim(lo - 0.05 * (hi - lo), hi + 0.75 * (hi - lo))
    ax.set_xlabel(t("gaps_x", lang))
    _num_axis(ax.xaxis, lang)
    ax.grid(axis="y", visible=False)
    present = [c for c in PROGRESS_COLORS if c in set(classes)]
    handles = [Patch(color=PROGRESS_COLORS[c], label=t(c or "no_trend", lang)) for c in present]
    ax.legend(handles=handles, loc="lower right", fontsize=8.5, frameon=True)
    _finish(fig, t("gaps_title", lang), t("gaps_sub", lang), note, _chars(fig))
    _layout(fig, head_in=0.8, foot_in=0.6)
    return fig


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
