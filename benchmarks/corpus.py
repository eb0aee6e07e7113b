"""Synthetic corpora for the benchmark, made from every layout the project reads as templates.

The templates are of four kinds (``KINDS``), drawn in the proportions of a national corpus:

- ``plans``: the seed plans in ``data/raw`` (PDF-flattened tables, tab-separated tables, prose;
  provincial and district plans);
- ``statistics``: the statistics pages of ``tests/staging/statistics`` (and ``review/``):
  provincial and national yearbook pages, the Ministry of Health's target tables, portal pages
  (indicators or places by year, years by row, one-year tables by kind of facility);
- ``tables``: CSV sources, the long table of cited figures in ``data/raw`` and the wide exports
  in ``benchmarks/templates``;
- ``national``: the country's own documents among those (the Ministry's target tables, the
  national yearbook's pages, national CSV tables): a fixed few per edition, not one per place.

A synthetic document is a template with its figures perturbed within the indicator's plausible
range (printed in the template's number format), for plans the rows of its tab-separated tables
reordered and some row labels replaced by other names of the same indicator from the catalog,
its years shifted by a few years and its place renamed to another of the reference geography
(a province's document to a province, a district's to a district; a page whose rows name places
within its province, or the country's, keeps its place); a sidecar goes with it. Each template's
year shifts and renaming are verified by extracting the variants once: a synthetic document
yields exactly its template's observations. Each document's layout is the reader that reads
most of its template's figures (``Template.layout``); ``Corpus.mix`` counts them. A fixed random
seed makes the corpus reproducible.

A new kind of template is one more ``Kind`` in ``KINDS``: the folders and globs of its documents
(each beside its ``.yaml`` sidecar) and its share of the corpus.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.reference import Catalog, GeoResolver, geo_table, load_catalog
from pipeline.settings import RAW_DIR, REFERENCE_DIR, ROOT
from pipeline.sources import Source, discover
from pipeline.sources.tabular import parse_value, sniff_delimiter
from pipeline.text import fold, fold_phrase
from pipeline.text.grammar import NUMBER, parse_number

SEED = 20240601
PERTURB = 0.15  # figures move by at most ±15 % (then clamped to the plausible range)
YEAR_SHIFTS = (-4, -3, -2, -1, 0, 1, 2)  # whole documents move by a few years
RELABEL_P = 0.5  # chance that a table row with a verified alternative name is renamed
RENAME_CHECKS = 3  # places a template is moved to, to verify that a move reads the same

STATISTICS_DIR = ROOT / "tests" / "staging" / "statistics"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

_NUMBER_RE = re.compile(NUMBER)
_YEAR = re.compile(r"(?<![\d.,])(?:19[89]\d|20[0-5]\d)(?!\d|[.,]\d)")
_TSV_ROW = re.compile(r"^\s*\d{1,3}\t")


@dataclass(frozen=True)
class Kind:
    """A family of templates: where its documents are, and its share of the corpus.

    ``tables``: whether a copy has its tab-separated numbered rows reordered and relabelled
    (plans). Whether a copy may move to another place is verified per template.
    """

    name: str
    sources: tuple[tuple[Path, str], ...]  # (folder, glob of documents), each with a sidecar
    share: float  # of the corpus's documents
    tables: bool = False
    levels: tuple[str, ...] = ("country", "province", "district")  # of the templates' places


def default_kinds(raw_dir: Path = RAW_DIR) -> tuple[Kind, ...]:
    """A national corpus over ten years: each province's and district's plans (55 %: a
    province's annual plan, sector action plans and resolutions, a district's plan), the health
    pages of the provincial yearbooks and portals (41 %: some eight pages an edition), a few
    provincial CSV tables (3 %), and the country's own documents (1 %, about a hundred in
    10,000: the Ministry's target tables and the national yearbook's pages, one set an edition,
    and national CSV compilations and online-database exports)."""
    stats = ((STATISTICS_DIR, "*.txt"), (STATISTICS_DIR / "review", "*.txt"))
    csv = ((raw_dir, "*.csv"), (TEMPLATES_DIR, "*.csv"))
    local = ("province", "district")
    return (
        Kind("plans", ((raw_dir, "*.txt"),), 0.55, tables=True),
        Kind("statistics", stats, 0.41, levels=local),
        Kind("tables", csv, 0.03, levels=local),
        Kind("national", stats + csv, 0.01, levels=("country",)),
    )


KINDS = default_kinds()


# ------------------------------------------------------------------------------ numbers


@dataclass(frozen=True)
class NumberFormat:
    """How a document prints numbers: read one, write a value the same way, and what may stand
    around a printed number (lookbehind, lookahead)."""

    parse: Callable[[str], float | None]
    format_like: Callable[[str, float], str]
    left: str = r"(?<![\w.,/])"
    right: str = r"(?!\w|[.,]\d)"
    years: re.Pattern[str] = _YEAR  # the years it prints (shifted with the document)


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


def _point_format_like(printed: str, value: float) -> str:
    """``value`` as ``printed`` is, with a decimal point (no thousands separator)."""
    dec = len(printed.split(".")[1]) if "." in printed else 0
    return f"{value:.{dec}f}"


def _comma_value(cell: str) -> float | None:
    return parse_value(cell, ",")


def _point_value(cell: str) -> float | None:
    return parse_value(cell, ".")


VIETNAMESE = NumberFormat(parse_number, _format_like)  # 5.130 is 5130, 9,5 is 9.5
# CSV cells, as the sidecar's decimal mark says: ``73,6`` between semicolons, ``73.6`` between
# commas (a comma before a number or a year is then the field separator)
CSV_COMMA = NumberFormat(_comma_value, _format_like)
CSV_POINT = NumberFormat(
    _point_value,
    _point_format_like,
    left=r"(?<![\w.])",
    right=r"(?!\w|\.\d)",
    years=re.compile(r"(?<![\d.])(?:19[89]\d|20[0-5]\d)(?!\d|\.\d)"),
)


def _number_format(s: Source) -> NumberFormat:
    """A text's numbers are Vietnamese; a table's as its sidecar (or separator) says."""
    table = s.meta.get("table")
    if table is None:
        return VIETNAMESE
    decimal = getattr(table, "decimal", None)
    if decimal is None and isinstance(table, dict):
        decimal = table.get("decimal")
    if decimal is None:
        decimal = "," if sniff_delimiter(s.text) == ";" else "."
    return CSV_COMMA if decimal == "," else CSV_POINT


def _parse(printed: str) -> float | None:
    return parse_number(printed)


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


@dataclass(frozen=True)
class Place:
    """A place a copy may move to: its code, its name as printed and its sidecar ``geo``."""

    code: str
    name_vi: str
    name_en: str
    geo: str


@dataclass
class Template:
    key: str  # short name, used in synthetic file names
    source_id: str
    lines: list[str]
    meta: dict
    names: list[str]  # spellings of the template's place, replaced by the new place's name
    figures: list[Figure]
    labels: dict[int, tuple[int, int, list[str]]]  # tsv line -> label span, verified aliases
    n_observations: int
    kind: str = "plans"
    readers: dict[str, int] = field(default_factory=dict)  # layout reader -> observations
    level: str = "province"  # of its place: country, province or district
    suffix: str = ".txt"
    shifts: tuple[int, ...] = ()  # year shifts that read the same (verified)
    renamable: bool = False  # may move to another place of its level (verified)
    number: NumberFormat = VIETNAMESE
    reorder: bool = False  # its tab-separated numbered rows may be reordered
    place: str = ""  # its place's English name (file names of copies that keep it)
    signature: list = field(default_factory=list)  # what it reads, for _verify

    @property
    def layout(self) -> str:
        """The reader of most of its figures (``none`` for a page without any)."""
        if not self.readers:
            return "none"
        return max(sorted(self.readers), key=lambda r: self.readers[r])


def _key(source_id: str) -> str:
    return "-".join(source_id.split("-")[:2])


def _occurrences(line: str, number: str, fmt: NumberFormat = VIETNAMESE) -> list[tuple[int, int]]:
    rx = re.compile(fmt.left + re.escape(number) + fmt.right)
    return [m.span() for m in rx.finditer(line)]


def _figures(lines: list[str], obs, catalog: Catalog, fmt: NumberFormat) -> list[Figure]:
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
        scale = fmt.parse(printed)
        if not scale or not r.value:
            continue
        k = float(r.value) / scale  # value in the canonical unit per printed unit
        low, high = catalog.indicators[r.indicator_code].range
        for ln in range(int(r.line_end) - 1, int(r.line_start) - 2, -1):
            spans = [s for s in _occurrences(lines[ln], printed, fmt) if (ln, s[0]) not in taken]
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


def _copy_pairs(kind: Kind, into: Path) -> None:
    """Copy the kind's documents with their sidecars (and corrections) into ``into``."""
    for folder, pattern in kind.sources:
        for doc in sorted(folder.glob(pattern)):
            stem = doc.name[: -len(doc.suffix)]
            for f in (doc, folder / f"{stem}.yaml", folder / f"{stem}.corrections.yaml"):
                if f.is_file():
                    shutil.copy2(f, into / f.name)


def _template(s: Source, kind: Kind, catalog: Catalog, geo, reference_dir: Path, key: str):
    from pipeline.extract import extract_one

    res = extract_one(s, reference_dir, catalog)
    obs = res.observations
    lines = s.text.split("\n")
    fmt = _number_format(s)
    row = geo.loc[geo["geo_code"] == s.geo_code].iloc[0]
    return Template(
        key=key,
        source_id=s.source_id,
        lines=lines,
        meta=yaml.safe_load(s.sidecar.read_text(encoding="utf-8")),
        names=_place_names(s, geo),
        figures=_figures(lines, obs, catalog, fmt),
        labels=_tsv_labels(lines, obs, catalog, s, reference_dir) if kind.tables else {},
        n_observations=len(obs),
        kind=kind.name,
        readers=dict(Counter(obs["reader"])) if len(obs) else {},
        level=str(row["level"]),
        suffix=s.path.suffix,
        number=fmt,
        reorder=kind.tables,
        place=str(row["name_en"]),
        signature=_signature(res.observation_records, 0),
    )


def load_templates(
    raw_dir: Path = RAW_DIR,
    reference_dir: Path = REFERENCE_DIR,
    kinds: tuple[Kind, ...] | None = None,
) -> list[Template]:
    """Every kind's documents, analysed: where their figures and renamable labels are, which
    year shifts and whether a move to another place read the same (``kinds``: the default
    kinds, with the plans and the long table taken from ``raw_dir``)."""
    catalog = load_catalog(reference_dir)
    geo = geo_table(reference_dir)
    resolver = GeoResolver(geo)
    kinds = kinds or default_kinds(raw_dir)
    pools = places(reference_dir)
    out: list[Template] = []
    keys: set[str] = set()
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            _copy_pairs(kind, Path(tmp))
            level = dict(zip(geo["geo_code"], geo["level"], strict=True))
            found = [
                _template(s, kind, catalog, geo, reference_dir, _unique_key(s, keys))
                for s in discover(Path(tmp), resolver)
                if level[s.geo_code] in kind.levels
            ]
        _verify(found, pools, catalog, resolver, reference_dir)
        out += found
    return out


def _unique_key(s: Source, keys: set[str]) -> str:
    """The template's short name (``l4-bo``, ``l4-bo-2`` ...), added to ``keys``."""
    key, n = _key(s.source_id), 1
    while (key if n == 1 else f"{key}-{n}") in keys:
        n += 1
    keys.add(key if n == 1 else f"{key}-{n}")
    return key if n == 1 else f"{key}-{n}"


def figure_years(expectations_dir: Path = ROOT / "expectations") -> tuple[int, int]:
    """The years the quality gate accepts for a figure (the observation suite's year range)."""
    import json

    suite = json.loads((expectations_dir / "observation.json").read_text(encoding="utf-8"))
    for e in suite["expectations"]:
        kw = e["kwargs"]
        if e["type"] == "expect_column_values_to_be_between" and kw.get("column") == "year":
            return int(kw["min_value"]), int(kw["max_value"])
    return 1990, 2050


_SIGNATURE = ("indicator_code", "kind", "year", "sex", "residence")


def _signature(records: list[tuple], shift: int) -> list[tuple]:
    """What a document reads, from its observation records: (indicator, kind, year - shift,
    sex, residence), sorted."""
    from pipeline.harmonise import OBSERVATION_COLUMNS

    i, k, y, s, r = (OBSERVATION_COLUMNS.index(c) for c in _SIGNATURE)
    return sorted((t[i], t[k], int(t[y]) - shift, t[s], t[r]) for t in records)


def places(reference_dir: Path = REFERENCE_DIR) -> dict[str, list[Place]]:
    """The places a copy may move to, by level: the 63 provinces before the 2025 reform, and
    the rural districts (``Huyện``) whose ``Name, Province`` names them alone."""
    geo = geo_table(reference_dir)
    resolver = GeoResolver(geo)
    before = geo[geo["map"] == "before_2025_07"]
    prov = before[before["level"] == "province"]
    pname = dict(zip(prov["geo_code"], prov["name_vi"], strict=True))
    # the full name in the sidecar: a bare name a city shares (Bắc Giang) draws a build note
    provinces = [
        Place(r.geo_code, r.name_vi, r.name_en, r.full_name_vi)
        for r in prov.itertuples(index=False)
    ]
    assert all(resolver.resolve(p.geo) == p.code for p in provinces)
    districts = []
    for r in before[before["level"] == "district"].itertuples(index=False):
        if not str(r.full_name_vi).startswith("Huyện") or "'" in r.name_vi:
            continue
        sidecar = f"{r.name_vi}, {pname[r.parent_code]}"
        try:
            if resolver.resolve(sidecar) != r.geo_code:
                continue
        except Exception:  # an ambiguous or unknown name: not a place to move a copy to
            continue
        districts.append(Place(r.geo_code, r.name_vi, r.name_en, sidecar))
    return {"province": provinces, "district": districts}


def _verify(templates: list[Template], pools, catalog, resolver, reference_dir: Path) -> None:
    """Which year shifts, and whether a move to another place of its level, read exactly as
    the template: each variant is written, discovered and extracted once."""
    from pipeline.extract import extract_all

    variants: list[tuple[Template, int, Place | None]] = [
        (t, shift, None) for t in templates for shift in YEAR_SHIFTS
    ]
    for t in templates:
        pool = [p for p in pools.get(t.level, []) if p.name_vi not in t.names]
        if pool:  # the country's pages stay the country's
            step = max(1, len(pool) // RENAME_CHECKS)
            variants += [(t, 0, p) for p in pool[::step][:RENAME_CHECKS]]
    from pipeline.harmonise import OBSERVATION_COLUMNS

    geo = OBSERVATION_COLUMNS.index("geo_code")
    moves: dict[str, list[bool]] = {}
    low, high = figure_years()
    with tempfile.TemporaryDirectory() as tmp:
        for i, (t, shift, place) in enumerate(variants):
            text, meta = _variant(t, place, shift)
            _write(Path(tmp), f"v{i:04d}", t.suffix, text, meta)
        found = discover(Path(tmp), resolver)
        # in the build's worker pool (its cache in the folder, so never reused)
        results = extract_all(found, reference_dir, catalog, cache_dir=Path(tmp) / ".cache")
        sources = {s.source_id: (s, res) for s, res in zip(found, results, strict=True)}
        for i, (t, shift, place) in enumerate(variants):
            s, res = sources[f"v{i:04d}"]
            records = res.observation_records
            sig = _signature(records, shift)
            same = sig == t.signature and all(low <= y + shift <= high for _i, _k, y, *_ in sig)
            if place is not None:
                codes = {r[geo] for r in records}
                moved = s.geo_code == place.code and codes <= {place.code}
                moves.setdefault(t.key, []).append(same and moved)
            elif same:
                t.shifts += (shift,)
    for t in templates:
        t.renamable = bool(moves.get(t.key)) and all(moves[t.key])


# ------------------------------------------------------------------------------- generator


def _perturb(fig: Figure, rng: random.Random, fmt: NumberFormat = VIETNAMESE) -> str:
    old = fmt.parse(fig.printed) or 0.0
    new = min(max(old * (1 + rng.uniform(-PERTURB, PERTURB)), fig.low), fig.high)
    text = fmt.format_like(fig.printed, new)
    value = fmt.parse(text)
    if (
        value is None
        or not fig.low <= value <= fig.high
        or (value == 0 and old != 0)
        or _YEAR.fullmatch(text)  # a bare 4-digit figure must not read as a year
    ):
        return fig.printed
    return text


def _shift_years(text: str, shift: int, years: re.Pattern[str] = _YEAR) -> str:
    if not shift:
        return text
    return years.sub(lambda m: str(int(m.group()) + shift), text)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class SyntheticDoc:
    source_id: str
    template: str
    province_code: str  # the place it moved to ('' when it kept its template's)
    year_shift: int
    n_figures_changed: int
    n_relabelled: int
    n_rows_reordered: int
    kind: str = "plans"
    layout: str = ""


@dataclass
class Corpus:
    raw_dir: Path
    documents: list[SyntheticDoc]
    template_observations: dict[str, int]  # template key -> observations of the seed
    seconds: float = 0.0
    seed: int = SEED
    template_readers: dict[str, list[str]] = field(default_factory=dict)  # key -> its readers

    def mix(self) -> dict:
        """Documents per kind and per layout (the reader of most of its figures), and how many
        documents each reader reads figures of."""
        readers: Counter[str] = Counter()
        for d in self.documents:
            readers.update(self.template_readers.get(d.template, []))
        return {
            "kinds": dict(sorted(Counter(d.kind for d in self.documents).items())),
            "layouts": dict(sorted(Counter(d.layout for d in self.documents).items())),
            "documents_read_by": dict(sorted(readers.items())),
        }


def _variant(t: Template, place: Place | None, shift: int) -> tuple[str, dict]:
    """The template's lines and sidecar with years shifted by ``shift``, moved to ``place``
    unless None."""
    text = _shift_years("\n".join(t.lines), shift, t.number.years)
    meta = {}
    for k, v in t.meta.items():
        if k in ("source_id", "notes"):
            continue
        if isinstance(v, str) and k != "url":
            v = _shift_years(v, shift)
            for name in t.names if place else ():
                v = v.replace(name, place.name_vi)
        elif isinstance(v, dt.date):
            v = _shift_years(v.isoformat(), shift)
        elif isinstance(v, int) and not isinstance(v, bool) and k in ("issued_on", "default_year"):
            v += shift
        meta[k] = v
    if place is not None:
        for name in t.names:
            text = text.replace(name, place.name_vi)
        meta["geo"] = place.geo
    meta["geo_map"] = "before_2025_07"  # its places are those before the 2025 reform
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


def _render(t: Template, place: Place | None, rng: random.Random) -> tuple[str, dict, dict]:
    lines = list(t.lines)
    changed = relabelled = 0
    # figures, right to left within a line so spans stay valid
    for fig in sorted(t.figures, key=lambda f: (f.line, -f.start)):
        new = _perturb(fig, rng, t.number)
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
    text, meta = _variant(dataclasses.replace(t, lines=lines), place, shift)
    meta["notes"] = f"synthetic benchmark document from {t.source_id} (chitieu bench)"
    stats = {"changed": changed, "relabelled": relabelled, "reordered": reordered, "shift": shift}
    return text, meta, stats


def _quotas(n: int, by_kind: dict[str, list[Template]], shares: dict[str, float]) -> dict:
    """Documents of each kind: its share of ``n`` (largest remainders), but at least one per
    layout of the kind when ``n`` leaves room, taken from the kinds with the most to spare."""
    names = sorted(by_kind)
    total = sum(shares.get(k, 0.0) for k in names) or 1.0
    exact = {k: n * shares.get(k, 0.0) / total for k in names}
    out = {k: int(exact[k]) for k in names}
    for k in sorted(names, key=lambda k: out[k] - exact[k])[: n - sum(out.values())]:
        out[k] += 1
    need = {k: min(len({t.layout for t in by_kind[k]}), n) for k in names if shares.get(k)}
    if sum(need.values()) <= n:
        for k in need:
            while out[k] < need[k]:
                donor = max(names, key=lambda d: out[d] - need.get(d, 0))
                out[donor] -= 1
                out[k] += 1
    return out


def _draw(n: int, by_kind, shares, rng: random.Random) -> list[Template]:
    """The template of each document: each kind's quota (in a shuffled order), a kind's first
    documents one of each of its layouts, the rest any of its templates, each as likely."""
    order = [k for k, q in _quotas(n, by_kind, shares).items() for _ in range(q)]
    rng.shuffle(order)
    layouts = {
        # drawn over the layouts in a fixed order: a set's order varies between processes
        k: sorted(sorted({t.layout for t in ts}), key=lambda lay: (rng.random(), lay))
        for k, ts in by_kind.items()
    }
    seen: Counter[str] = Counter()
    out = []
    for k in order:
        ts = by_kind[k]
        if seen[k] < len(layouts[k]):
            lay = layouts[k][seen[k]]
            ts = [t for t in ts if t.layout == lay]
        seen[k] += 1
        out.append(rng.choice(ts))
    return out


def generate_corpus(
    n: int,
    out_dir: Path,
    *,
    seed: int = SEED,
    templates: list[Template] | None = None,
    reference_dir: Path = REFERENCE_DIR,
    kinds: tuple[Kind, ...] = KINDS,
) -> Corpus:
    """Write ``n`` synthetic documents (each with its ``.yaml`` sidecar) into ``out_dir``: of
    each kind its share (``kinds``), every layout at least once when ``n`` leaves room, of a
    kind's templates each as likely."""
    t0 = time.perf_counter()
    templates = templates if templates is not None else load_templates()
    pools = places(reference_dir)
    shares = {k.name: k.share for k in kinds}
    by_kind: dict[str, list[Template]] = {}
    for t in templates:
        by_kind.setdefault(t.kind, []).append(t)
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    docs = []
    for i, t in enumerate(_draw(n, by_kind, shares, rng)):
        place = rng.choice(pools[t.level]) if t.renamable else None
        text, meta, st = _render(t, place, rng)
        year = 0
        m = re.search(r"\d{4}", str(meta.get("issued_on", "")))
        if m:
            year = int(m.group())
        sid = f"{_slug(place.name_en if place else t.place)}-{year}-{t.key}-{i:05d}"
        _write(out_dir, sid, t.suffix, text, meta)
        docs.append(
            SyntheticDoc(
                sid,
                t.key,
                place.code if place else "",
                st["shift"],
                st["changed"],
                st["relabelled"],
                st["reordered"],
                t.kind,
                t.layout,
            )
        )
    return Corpus(
        out_dir,
        docs,
        {t.key: t.n_observations for t in templates},
        time.perf_counter() - t0,
        seed,
        {t.key: sorted(t.readers) for t in templates},
    )


def _summary(ratios: list[float]) -> dict[str, float]:
    if not ratios:
        return {"min": 0.0, "median": 0.0, "max": 0.0}
    return {
        "min": round(min(ratios), 3),
        "median": round(statistics.median(ratios), 3),
        "max": round(max(ratios), 3),
    }


def observation_ratios(
    corpus: Corpus, per_source: dict[str, int], kind: str | None = None
) -> dict[str, float]:
    """Observations of each synthetic document over those of its template: min/median/max
    (of the documents of ``kind`` only, if given)."""
    return _summary(
        [
            per_source.get(d.source_id, 0) / corpus.template_observations[d.template]
            for d in corpus.documents
            if corpus.template_observations[d.template] and kind in (None, d.kind)
        ]
    )


def observation_ratios_by_kind(corpus: Corpus, per_source: dict[str, int]) -> dict[str, dict]:
    """:func:`observation_ratios` for each kind of document in the corpus."""
    kinds = sorted({d.kind for d in corpus.documents})
    return {k: observation_ratios(corpus, per_source, k) for k in kinds}
