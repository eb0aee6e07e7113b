"""Synthetic corpora for the benchmark, made from the seed documents as layout templates.

A synthetic document is a seed text with its figures perturbed within the indicator's plausible
range (printed in the same Vietnamese number format), the rows of its tab-separated tables
reordered and some row labels replaced by other names of the same indicator from the catalog,
its years shifted by a few years and its place renamed to a province drawn from the reference
list; a sidecar goes with it. A fixed random seed makes the corpus reproducible.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.reference import Catalog, GeoResolver, geo_table, load_catalog
from pipeline.settings import RAW_DIR, REFERENCE_DIR
from pipeline.sources import Source, discover
from pipeline.text import fold, fold_phrase
from pipeline.text.grammar import NUMBER, parse_number

SEED = 20240601
PERTURB = 0.15  # figures move by at most ±15 % (then clamped to the plausible range)
YEAR_SHIFTS = (-4, -3, -2, -1, 0, 1, 2)  # whole documents move by a few years
RELABEL_P = 0.5  # chance that a table row with a verified alternative name is renamed

_NUMBER_RE = re.compile(NUMBER)
_YEAR = re.compile(r"(?<![\d.,])(?:19[89]\d|20[0-5]\d)(?!\d|[.,]\d)")
_TSV_ROW = re.compile(r"^\s*\d{1,3}\t")


# ------------------------------------------------------------------------------- templates


@dataclass
class Figure:
    """A printed figure of a template: where it is, and how far it may move."""

    line: int  # 0-based line of the raw text
    start: int  # character span of the number inside the line
    end: int
    printed: str  # '9,5', '5.130', '100'
    low: float  # plausible range in the printed scale
    high: float


@dataclass
class Template:
    key: str  # short name, used in synthetic file names
    source_id: str
    lines: list[str]
    meta: dict
    names: list[str]  # spellings of the template's place, replaced by the new province
    figures: list[Figure]
    labels: dict[int, tuple[int, int, list[str]]]  # tsv line -> label span, verified aliases
    n_observations: int


def _key(source_id: str) -> str:
    return "-".join(source_id.split("-")[:2])


def _occurrences(line: str, number: str) -> list[tuple[int, int]]:
    rx = re.compile(r"(?<![\w.,/])" + re.escape(number) + r"(?!\w|[.,]\d)")
    return [m.span() for m in rx.finditer(line)]


def _figures(lines: list[str], obs, catalog: Catalog) -> list[Figure]:
    """Locate each observation's number in the raw lines (rightmost unclaimed occurrence)."""
    taken: set[tuple[int, int]] = set()
    out: list[Figure] = []
    for r in obs.itertuples(index=False):
        if _missing(r.value) or not _missing(r.value_upper):  # qualitative, or a range
            continue
        m = _NUMBER_RE.search(fold(str(r.value_reported)))
        if m is None:
            continue
        printed = m.group()
        scale = _parse(printed)
        if not scale or not r.value:
            continue
        k = float(r.value) / scale  # value in the canonical unit per printed unit
        low, high = catalog.indicators[r.indicator_code].range
        for ln in range(int(r.line_end) - 1, int(r.line_start) - 2, -1):
            spans = [s for s in _occurrences(lines[ln], printed) if (ln, s[0]) not in taken]
            if spans:
                a, b = spans[-1]
                taken.add((ln, a))
                out.append(Figure(ln, a, b, printed, float(low) / k, float(high) / k))
                break
    return out


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and x != x)


def _parse(printed: str) -> float | None:
    return parse_number(printed)


def _aliases(catalog: Catalog, code: str) -> list[str]:
    """Names of an indicator as printed: its Vietnamese name and its single-phrase aliases."""
    ind = catalog.indicators[code]
    names = [ind.name_vi] + [m for m in ind.match if isinstance(m, str)]
    seen, out = set(), []
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(n[:1].upper() + n[1:])
    return out


def _line_codes(obs) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for r in obs.itertuples(index=False):
        out.setdefault(int(r.line_start) - 1, []).append((r.indicator_code, r.kind, r.year))
    return {k: sorted(v) for k, v in out.items()}


def _tsv_labels(lines: list[str], obs, catalog: Catalog, source: Source, reference_dir: Path):
    """Table rows whose label cell may be renamed, with the aliases verified to read the same.

    A candidate name is kept only if the template, with that row renamed, still yields the same
    (indicator, kind, year) on that line: verified by extraction, a few rounds per template.
    """
    from pipeline.extract import extract_one

    label_of = {}
    for r in obs.itertuples(index=False):
        ln = int(r.line_start) - 1
        if r.line_start != r.line_end or not _TSV_ROW.match(lines[ln]):
            continue
        cells = lines[ln].split("\t")
        if len(cells) < 3 or cells[1].strip() != str(r.label_reported).strip():
            continue
        a = len(cells[0]) + 1
        current = fold_phrase(cells[1])
        cands = [c for c in _aliases(catalog, r.indicator_code) if fold_phrase(c) != current]
        label_of[ln] = (a, a + len(cells[1]), cands)
    if not label_of:
        return {}
    want = _line_codes(obs)
    verified: dict[int, list[str]] = {ln: [] for ln in label_of}
    rounds = max(len(c) for _a, _b, c in label_of.values())
    for k in range(rounds):
        trial = list(lines)
        for ln, (a, b, cands) in label_of.items():
            if k < len(cands):
                trial[ln] = trial[ln][:a] + cands[k] + trial[ln][b:]
        variant = dataclasses.replace(source, text="\n".join(trial))
        got = _line_codes(extract_one(variant, reference_dir, catalog).observations)
        for ln, (_a, _b, cands) in label_of.items():
            if k < len(cands) and got.get(ln) == want.get(ln):
                verified[ln].append(cands[k])
    return {ln: (a, b, verified[ln]) for ln, (a, b, _c) in label_of.items() if verified[ln]}


def _place_names(source: Source, geo) -> list[str]:
    name = str(geo.loc[geo["geo_code"] == source.geo_code, "name_vi"].iloc[0])
    variants = {name, name.replace(" - ", "-"), name.replace("-", " - ").replace("  ", " ")}
    return sorted(variants, key=len, reverse=True)


def load_templates(raw_dir: Path = RAW_DIR, reference_dir: Path = REFERENCE_DIR) -> list[Template]:
    """The seed plans, analysed: where their figures and renamable labels are (tables of cited
    figures are no plan layouts to imitate, and are left out)."""
    from pipeline.extract import extract_one

    catalog = load_catalog(reference_dir)
    geo = geo_table(reference_dir)
    out = []
    for s in discover(raw_dir, GeoResolver(geo)):
        if s.meta.get("table") is not None:
            continue
        res = extract_one(s, reference_dir, catalog)
        lines = s.text.split("\n")
        meta = yaml.safe_load(s.sidecar.read_text(encoding="utf-8"))
        out.append(
            Template(
                key=_key(s.source_id),
                source_id=s.source_id,
                lines=lines,
                meta=meta,
                names=_place_names(s, geo),
                figures=_figures(lines, res.observations, catalog),
                labels=_tsv_labels(lines, res.observations, catalog, s, reference_dir),
                n_observations=len(res.observations),
            )
        )
    return out


# ------------------------------------------------------------------------------- generator


def _format_like(printed: str, value: float) -> str:
    """``value`` written as ``printed`` is: thousands dot, decimal comma, same decimals."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", printed):
        dec = len(printed.split(",")[1]) if "," in printed else 0
        s = f"{value:,.{dec}f}"
        return s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    if "," in printed:
        return f"{value:.{len(printed.split(',')[1])}f}".replace(".", ",")
    if "." in printed:
        return f"{value:.{len(printed.split('.')[1])}f}"
    return str(round(value))


def _perturb(fig: Figure, rng: random.Random) -> str:
    old = _parse(fig.printed) or 0.0
    new = min(max(old * (1 + rng.uniform(-PERTURB, PERTURB)), fig.low), fig.high)
    text = _format_like(fig.printed, new)
    value = _parse(text)
    if (
        value is None
        or not fig.low <= value <= fig.high
        or (value == 0 and old != 0)
        or _YEAR.fullmatch(text)  # a bare 4-digit figure must not read as a year
    ):
        return fig.printed
    return text


def _shift_years(text: str, shift: int) -> str:
    if not shift:
        return text
    return _YEAR.sub(lambda m: str(int(m.group()) + shift), text)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class SyntheticDoc:
    source_id: str
    template: str
    province_code: str
    year_shift: int
    n_figures_changed: int
    n_relabelled: int
    n_rows_reordered: int


@dataclass
class Corpus:
    raw_dir: Path
    documents: list[SyntheticDoc]
    template_observations: dict[str, int]  # template key -> observations of the seed
    seconds: float = 0.0
    seed: int = SEED


def _render(t: Template, province: dict, rng: random.Random) -> tuple[str, dict, dict]:
    lines = list(t.lines)
    changed = relabelled = reordered = 0
    # figures, right to left within a line so spans stay valid
    for fig in sorted(t.figures, key=lambda f: (f.line, -f.start)):
        new = _perturb(fig, rng)
        if new != fig.printed:
            changed += 1
        line = lines[fig.line]
        lines[fig.line] = line[: fig.start] + new + line[fig.end :]
    # row labels (the label cell precedes every figure of a tab-separated row)
    for ln, (a, b, aliases) in t.labels.items():
        if rng.random() < RELABEL_P:
            lines[ln] = lines[ln][:a] + rng.choice(aliases) + lines[ln][b:]
            relabelled += 1
    # row order inside each block of tab-separated numbered rows
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _TSV_ROW.match(lines[j]):
            j += 1
        if j - i > 1:
            block = lines[i:j]
            rng.shuffle(block)
            lines[i:j] = block
            reordered += j - i
        i = j + 1
    shift = rng.choice(YEAR_SHIFTS)
    text = _shift_years("\n".join(lines), shift)
    meta = {}
    for k, v in t.meta.items():
        if k in ("source_id", "url", "notes"):
            continue
        if isinstance(v, str):
            v = _shift_years(v, shift)
            for name in t.names:
                v = v.replace(name, province["name_vi"])
        elif isinstance(v, dt.date):
            v = _shift_years(v.isoformat(), shift)
        elif isinstance(v, int) and k in ("issued_on", "default_year"):
            v += shift
        meta[k] = v
    for name in t.names:
        text = text.replace(name, province["name_vi"])
    meta["geo"] = province["name_vi"]
    meta["geo_map"] = "before_2025_07"  # its places are provinces before the 2025 reform
    meta["notes"] = f"synthetic benchmark document from {t.source_id} (chitieu bench)"
    stats = {"changed": changed, "relabelled": relabelled, "reordered": reordered, "shift": shift}
    return text, meta, stats


def generate_corpus(
    n: int,
    out_dir: Path,
    *,
    seed: int = SEED,
    templates: list[Template] | None = None,
    reference_dir: Path = REFERENCE_DIR,
) -> Corpus:
    """Write ``n`` synthetic documents (``.txt`` + ``.yaml``) into ``out_dir``."""
    import csv

    t0 = time.perf_counter()
    templates = templates if templates is not None else load_templates()
    with (reference_dir / "provinces_before_2025_07.csv").open(encoding="utf-8") as fh:
        provinces = list(csv.DictReader(fh))
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    docs = []
    for i in range(n):
        t = rng.choice(templates)
        prov = rng.choice(provinces)
        text, meta, st = _render(t, prov, rng)
        year = 0
        m = re.search(r"\d{4}", str(meta.get("issued_on", "")))
        if m:
            year = int(m.group())
        sid = f"{_slug(prov['name_en'])}-{year}-{t.key}-{i:05d}"
        (out_dir / f"{sid}.txt").write_text(text, encoding="utf-8")
        (out_dir / f"{sid}.yaml").write_text(
            yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100),
            encoding="utf-8",
        )
        docs.append(
            SyntheticDoc(
                sid,
                t.key,
                prov["code"],
                st["shift"],
                st["changed"],
                st["relabelled"],
                st["reordered"],
            )
        )
    return Corpus(
        out_dir,
        docs,
        {t.key: t.n_observations for t in templates},
        time.perf_counter() - t0,
        seed,
    )


def observation_ratios(corpus: Corpus, per_source: dict[str, int]) -> dict[str, float]:
    """Observations of each synthetic document over those of its template: min/median/max."""
    ratios = [
        per_source[d.source_id] / corpus.template_observations[d.template]
        for d in corpus.documents
        if corpus.template_observations[d.template]
    ]
    if not ratios:
        return {"min": 0.0, "median": 0.0, "max": 0.0}
    return {
        "min": round(min(ratios), 3),
        "median": round(statistics.median(ratios), 3),
        "max": round(max(ratios), 3),
    }
