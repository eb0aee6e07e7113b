"""Synthetic corpora for the benchmark, made from real layouts as templates.

Every layout the project reads is a template, in the proportions of a national corpus (``KINDS``):
the five seed plans (``data/raw``) and the statistics-table pages (``tests/staging/statistics``:
yearbook, Ministry and portal pages, with their sidecars). A synthetic document is a template
with its figures perturbed within the indicator's plausible range (printed in the same number
format), for plans the rows of its tab-separated tables reordered and some row labels replaced
by other names of the same indicator from the catalog, its years shifted by a few years and its
place renamed to a province drawn from the reference list (a page whose rows name places within
its province keeps its province); a sidecar goes with it. Each template's year shifts and
renaming are verified by extracting the variants once: a synthetic document yields exactly its
template's observations. A fixed random seed makes the corpus reproducible.

A new kind of template (CSV tabular sources, say) is one more ``Kind`` in ``KINDS``: the folder
its documents are in, the glob of its documents (each beside its ``.yaml`` sidecar), its share of
the corpus, and, for numbers printed with a decimal point, ``number=PLAIN``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.reference import Catalog, GeoResolver, geo_table, load_catalog
from pipeline.settings import RAW_DIR, REFERENCE_DIR, ROOT
from pipeline.sources import Source, discover
from pipeline.text import fold, fold_phrase
from pipeline.text.grammar import NUMBER, parse_number

SEED = 20240601
PERTURB = 0.15  # figures move by at most ±15 % (then clamped to the plausible range)
YEAR_SHIFTS = (-4, -3, -2, -1, 0, 1, 2)  # whole documents move by a few years
RELABEL_P = 0.5  # chance that a table row with a verified alternative name is renamed

_NUMBER_RE = re.compile(NUMBER)
STATISTICS_DIR = ROOT / "tests" / "staging" / "statistics"


@dataclass(frozen=True)
class NumberFormat:
    """How a kind of document prints numbers: read one, and write a value the same way."""

    parse: Callable[[str], float | None]
    format_like: Callable[[str, float], str]


@dataclass(frozen=True)
class Kind:
    """A family of templates: where its documents are, its share of the corpus, how it varies.

    ``rename`` and ``tables``: whether a copy may be moved to another province (when its rows
    name no place within it, checked per template) and have its tab-separated rows reordered and
    relabelled (plans).
    """

    name: str
    folder: Path
    pattern: str  # the documents, each with a ``.yaml`` sidecar of the same stem
    share: float  # of the corpus's documents
    rename: bool = True
    tables: bool = False
    number: NumberFormat | None = None  # None: the Vietnamese format (VIETNAMESE)


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
    kind: str = "plans"
    suffix: str = ".txt"
    shifts: tuple[int, ...] = ()  # year shifts that read the same (verified)
    renamable: bool = False  # may move to another province (verified)
    number: NumberFormat | None = None
    reorder: bool = False  # its tab-separated numbered rows may be reordered
    place: str = ""  # its place's English name (file names of copies that keep it)
    signature: list = dataclasses.field(default_factory=list)  # what it reads, for _verify


def _key(source_id: str) -> str:
    return "-".join(source_id.split("-")[:2])


def _occurrences(line: str, number: str) -> list[tuple[int, int]]:
    rx = re.compile(r"(?<![\w.,/])" + re.escape(number) + r"(?!\w|[.,]\d)")
    return [m.span() for m in rx.finditer(line)]


def _figures(lines: list[str], obs, catalog: Catalog, number: NumberFormat) -> list[Figure]:
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
        scale = number.parse(printed)
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


def _pairs(kind: Kind, into: Path) -> None:
    """Copy the kind's documents with their sidecars (and corrections) into ``into``."""
    import shutil

    for doc in sorted(kind.folder.glob(kind.pattern)):
        stem = doc.name[: -len(doc.suffix)]
        for f in (doc, kind.folder / f"{stem}.yaml", kind.folder / f"{stem}.corrections.yaml"):
            if f.is_file():
                shutil.copy2(f, into / f.name)


def _template(s: Source, kind: Kind, catalog: Catalog, geo, reference_dir: Path, key: str):
    from pipeline.extract import extract_one

    res = extract_one(s, reference_dir, catalog)
    lines = s.text.split("\n")
    number = kind.number or VIETNAMESE
    return Template(
        key=key,
        source_id=s.source_id,
        lines=lines,
        meta=yaml.safe_load(s.sidecar.read_text(encoding="utf-8")),
        names=_place_names(s, geo),
        figures=_figures(lines, res.observations, catalog, number),
        labels=_tsv_labels(lines, res.observations, catalog, s, reference_dir)
        if kind.tables
        else {},
        n_observations=len(res.observations),
        kind=kind.name,
        suffix=s.path.suffix,
        number=kind.number,
        reorder=kind.tables,
        place=str(geo.loc[geo["geo_code"] == s.geo_code, "name_en"].iloc[0]),
        signature=_signature(res.observations, 0),
    )


def load_templates(
    raw_dir: Path = RAW_DIR, reference_dir: Path = REFERENCE_DIR, kinds: tuple | None = None
) -> list[Template]:
    """Every kind's documents, analysed: where their figures and renamable labels are, which
    year shifts and whether a move to another province read the same (``kinds``: ``KINDS``, the
    plans taken from ``raw_dir``)."""
    import tempfile

    catalog = load_catalog(reference_dir)
    geo = geo_table(reference_dir)
    kinds = kinds or tuple(
        dataclasses.replace(k, folder=raw_dir) if k.name == "plans" else k for k in KINDS
    )
    out: list[Template] = []
    keys: set[str] = set()
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            _pairs(kind, Path(tmp))
            if not any(Path(tmp).iterdir()):
                continue
            found = [
                _template(s, kind, catalog, geo, reference_dir, _unique_key(s, keys))
                for s in discover(Path(tmp), GeoResolver(geo))
            ]
        _verify(found, kind, catalog, geo, reference_dir)
        out += found
    return out


def _unique_key(s: Source, keys: set[str]) -> str:
    """The template's short name (``l4-bo``, ``l4-bo-2`` ...), added to ``keys``."""
    key, n = _key(s.source_id), 1
    while (key if n == 1 else f"{key}-{n}") in keys:
        n += 1
    keys.add(key if n == 1 else f"{key}-{n}")
    return key if n == 1 else f"{key}-{n}"


def _signature(obs, shift: int) -> list[tuple]:
    return sorted(
        (r.indicator_code, r.kind, int(r.year) - shift, r.sex, r.residence)
        for r in obs.itertuples(index=False)
    )


def _verify(templates: list[Template], kind: Kind, catalog, geo, reference_dir: Path) -> None:
    """Which year shifts, and whether a move to another province, read exactly as the template:
    each variant is written, discovered and extracted once."""
    import tempfile

    from pipeline.extract import extract_one

    provinces = geo[geo["level"] == "province"]
    variants = [(t, shift, False) for t in templates for shift in YEAR_SHIFTS]
    if kind.rename:  # the country's pages stay the country's
        variants += [(t, 0, True) for t in templates if t.place != "Viet Nam"]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (t, shift, rename) in enumerate(variants):
            other = provinces[~provinces["name_vi"].isin(t.names)].iloc[0]
            province = {"name_vi": other["name_vi"], "code": other["geo_code"]}
            text, meta = _variant(t, province, shift, rename)
            _write(Path(tmp), f"v{i:04d}", t.suffix, text, meta)
        sources = {s.source_id: s for s in discover(Path(tmp), GeoResolver(geo))}
        for i, (t, shift, rename) in enumerate(variants):
            s = sources[f"v{i:04d}"]
            obs = extract_one(s, reference_dir, catalog).observations
            same = len(obs) == t.n_observations and _signature(obs, shift) == t.signature
            if rename:
                t.renamable = same and set(obs["geo_code"]) <= {s.geo_code}
            elif same:
                t.shifts += (shift,)


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


def _plain_format(printed: str, value: float) -> str:
    """``value`` as ``printed`` is, with a decimal point (no thousands separator)."""
    dec = len(printed.split(".")[1]) if "." in printed else 0
    return f"{value:.{dec}f}"


def _plain_parse(printed: str) -> float | None:
    try:
        return float(printed)
    except ValueError:
        return None


VIETNAMESE = NumberFormat(parse_number, _format_like)  # 5.130 is 5130, 9,5 is 9.5
PLAIN = NumberFormat(_plain_parse, _plain_format)  # 9.5 (CSV files, say)

# A national corpus over ten years: each province's and district's plans (~6,500: a province's
# annual plan, sector action plans and resolutions, a district's plan every other year) and the
# health pages of the provincial, national and Ministry yearbooks and portals (~5,000: some eight
# pages a yearbook). A new kind of template is one more line here.
KINDS = (
    Kind("plans", RAW_DIR, "*.txt", 0.55, tables=True),
    Kind("statistics", STATISTICS_DIR, "*.txt", 0.45),
)


def _perturb(fig: Figure, rng: random.Random, number: NumberFormat = VIETNAMESE) -> str:
    old = number.parse(fig.printed) or 0.0
    new = min(max(old * (1 + rng.uniform(-PERTURB, PERTURB)), fig.low), fig.high)
    text = number.format_like(fig.printed, new)
    value = number.parse(text)
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


def _variant(t: Template, province: dict, shift: int, rename: bool) -> tuple[str, dict]:
    """The template's lines and sidecar with years shifted by ``shift``, moved to ``province``
    if ``rename``."""
    text = _shift_years("\n".join(t.lines), shift)
    meta = {}
    for k, v in t.meta.items():
        if k in ("source_id", "url", "notes"):
            continue
        if isinstance(v, str):
            v = _shift_years(v, shift)
            for name in t.names if rename else ():
                v = v.replace(name, province["name_vi"])
        elif isinstance(v, dt.date):
            v = _shift_years(v.isoformat(), shift)
        elif isinstance(v, int) and k in ("issued_on", "default_year"):
            v += shift
        meta[k] = v
    if rename:
        for name in t.names:
            text = text.replace(name, province["name_vi"])
        meta["geo"] = province["name_vi"]
    return text, meta


def _write(folder: Path, stem: str, suffix: str, text: str, meta: dict) -> None:
    (folder / f"{stem}{suffix}").write_text(text, encoding="utf-8")
    (folder / f"{stem}.yaml").write_text(
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8"
    )


def _reorder(lines: list[str], rng: random.Random) -> int:
    """Shuffle each block of tab-separated numbered rows; how many rows moved."""
    reordered, i = 0, 0
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
    return reordered


def _render(t: Template, province: dict, rng: random.Random) -> tuple[str, dict, dict]:
    lines = list(t.lines)
    changed = relabelled = 0
    number = t.number or VIETNAMESE
    # figures, right to left within a line so spans stay valid
    for fig in sorted(t.figures, key=lambda f: (f.line, -f.start)):
        new = _perturb(fig, rng, number)
        if new != fig.printed:
            changed += 1
        line = lines[fig.line]
        lines[fig.line] = line[: fig.start] + new + line[fig.end :]
    # row labels (the label cell precedes every figure of a tab-separated row)
    for ln, (a, b, aliases) in t.labels.items():
        if rng.random() < RELABEL_P:
            lines[ln] = lines[ln][:a] + rng.choice(aliases) + lines[ln][b:]
            relabelled += 1
    reordered = _reorder(lines, rng) if t.reorder else 0
    shift = rng.choice(t.shifts or (0,))
    text, meta = _variant(dataclasses.replace(t, lines=lines), province, shift, t.renamable)
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
    """Write ``n`` synthetic documents (each with its ``.yaml`` sidecar) into ``out_dir``: of
    each kind its share (``KINDS``), of a kind's templates each as likely."""
    import csv

    t0 = time.perf_counter()
    templates = templates if templates is not None else load_templates()
    with (reference_dir / "provinces_before_2025_07.csv").open(encoding="utf-8") as fh:
        provinces = list(csv.DictReader(fh))
    shares = {k.name: k.share for k in KINDS}
    by_kind: dict[str, list[Template]] = {}
    for t in templates:
        by_kind.setdefault(t.kind, []).append(t)
    kinds = sorted(by_kind)
    weights = [shares.get(k, 1.0) for k in kinds]
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    docs = []
    for i in range(n):
        t = rng.choice(by_kind[rng.choices(kinds, weights)[0]])
        prov = rng.choice(provinces)
        text, meta, st = _render(t, prov, rng)
        year = 0
        m = re.search(r"\d{4}", str(meta.get("issued_on", "")))
        if m:
            year = int(m.group())
        place = prov["name_en"] if t.renamable else t.place
        sid = f"{_slug(place)}-{year}-{t.key}-{i:05d}"
        _write(out_dir, sid, t.suffix, text, meta)
        code = prov["code"] if t.renamable else ""
        docs.append(
            SyntheticDoc(
                sid, t.key, code, st["shift"], st["changed"], st["relabelled"], st["reordered"]
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
