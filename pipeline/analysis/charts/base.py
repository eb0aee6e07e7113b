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
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from pipeline.analysis.labels import TEXT, check_lang, geo_label_sql
from pipeline.settings import export_figures, figures_dir

FONT = "DejaVu Sans"

STATUS_ORDER = ["met", "not_met", "not_comparable", "no_baseline", "qualitative"]
STATUS_COLORS = {
    "met": "#029e73",
    "not_met": "#d55e00",
    "not_comparable": "#7f6a5a",
    "no_baseline": "#bdbdbd",
    "qualitative": "#8172b3",
}
STATUS_MARKS = {
    "met": "✓",
    "not_met": "✗",
    "not_comparable": "≠",
    "no_baseline": "·",
    "qualitative": "?",
}
# A caveat of `gap` (its `caveats` column) is drawn hatched or dashed, with a letter that the
# chart's footnote explains (labels.yaml: caveat_<flag>); a caveat without a letter here gets "*".
CAVEAT_MARKS = {
    "unit_corrected": "u",
    "estimate": "e",
    "preliminary": "p",
    "conflict": "c",
    "correction_applied": "k",
    "comparator_differs": "d",
    "instruments_differ": "i",
}
HATCH = "////"
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
    mpl.rcParams["hatch.linewidth"] = 0.8


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


def label(
    ax, text: str, xy: tuple, dx: float, dy: float = 0, *, boxed: bool = True, **style: object
) -> None:
    """Text ``dx``/``dy`` points from a data point: left of it for dx < 0, right for dx > 0,
    above it for dx == 0; on a white box unless ``boxed`` is False."""
    ha = "right" if dx < 0 else "left" if dx > 0 else "center"
    va = "center" if dy == 0 else "bottom" if dy > 0 else "top"
    extra = {"bbox": LABEL_BOX} if boxed else {}
    ax.annotate(
        text,
        xy,
        textcoords="offset points",
        xytext=(dx, dy),
        ha=ha,
        va=va,
        **{"fontsize": 8, **extra, **style},
    )


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


def codes(v: object) -> list[str]:
    """A list column's value (caveats, flags) as a plain list; NULL as []."""
    if v is None or isinstance(v, float) or v is pd.NA:
        return []
    return [str(x) for x in v]


def caveat_marks(caveats: object) -> str:
    """``u,e``: the letters of a row's caveats (empty when it has none)."""
    return ",".join(CAVEAT_MARKS.get(c, "*") for c in codes(caveats))


def side_caveats(row: pd.Series, side: str) -> list[str]:
    """The caveats of a `gap` row that belong to its ``baseline`` or ``target`` figure."""
    own = set(codes(row[f"{side}_flags"]))
    return [c for c in codes(row["caveats"]) if c in own]


def _short(s: object, width: int = 48) -> str:
    return (
        "—"
        if s is None or isinstance(s, float)
        else textwrap.shorten(nfc(s), width, placeholder="…")
    )


def caveat_key(present: set[str], lang: str) -> str:
    """What the letters of the caveats ``present`` in a chart mean ("" when there is none)."""
    order = [*CAVEAT_MARKS, *sorted(present - set(CAVEAT_MARKS))]
    marks = [
        f"{CAVEAT_MARKS.get(c, '*')} = {TEXT[lang].get('caveat_' + c, c)}"
        for c in order
        if c in present
    ]
    return TEXT[lang]["caveat_key"].format(marks="; ".join(marks)) if marks else ""


def caveat_footnote(rows: pd.DataFrame, lang: str, unmeasured: pd.DataFrame | None = None) -> str:
    """The key to the hatching and letters of the ``gap`` rows a chart draws, and the pairs
    it does not measure because they are not comparable, with both conditions (those of
    ``unmeasured``, or of ``rows``)."""
    lang = check_lang(lang)
    if unmeasured is None:
        unmeasured = rows if "status" in rows else rows.iloc[:0]
    key = caveat_key({c for cs in rows["caveats"] for c in codes(cs)}, lang)
    lines = [key] if key else []
    nc = unmeasured[unmeasured["status"] == "not_comparable"] if len(unmeasured) else unmeasured
    if len(nc):
        items = "; ".join(
            f"{nfc(r.geo_name)} · {nfc(r.indicator_name)} → {r.target_year}: "
            f"{fmt(r.baseline_value, lang)} [{_short(r.baseline_condition)}] / "
            f"{figure_value(r.comparator, r.target_value, lang)} [{_short(r.target_condition)}]"
            for r in nc.drop_duplicates(["geo_name", "indicator_name", "target_year"]).itertuples()
        )
        lines.append(TEXT[lang]["not_comparable_key"].format(items=items))
    return "\n".join(lines)


def _finish(
    fig: Figure,
    title: str,
    subtitle: str | None,
    note: str,
    width_chars: int,
    footnote: str = "",
) -> float:
    """Title and subtitle at the top; at the bottom the source note, and above it a footnote
    (one paragraph per line). Returns the inches the bottom block needs."""
    h = fig.get_figheight()
    fig.text(0.01, 1 - 0.12 / h, nfc(title), ha="left", va="top", fontsize=15, fontweight="bold")
    if subtitle:
        fig.text(
            0.01, 1 - 0.45 / h, nfc(subtitle), ha="left", va="top", fontsize=10, color="#444444"
        )
    wrapped = "\n".join(textwrap.wrap(nfc(note), width_chars))
    fig.text(0.01, 0.06 / h, wrapped, ha="left", va="bottom", fontsize=8, color="#555555")
    line_in = 8 * 1.25 / 72  # one line of 8-point text
    bottom = 0.06 + line_in * (wrapped.count("\n") + 1)
    if footnote:
        lines = [ln for p in footnote.split("\n") for ln in textwrap.wrap(nfc(p), width_chars)]
        fig.text(0.01, (bottom + 0.05) / h, "\n".join(lines), ha="left", va="bottom", fontsize=8)
        bottom += 0.05 + line_in * len(lines)
    return bottom + 0.1


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
