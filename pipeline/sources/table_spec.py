"""The sidecar of a tabular source: its ``table:`` mapping (shape, columns, ...) and its
``official_statistics`` mark, checked; and which files of ``data/raw`` are documents. The rows
themselves are read by ``pipeline.sources.tabular``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputError, did_you_mean
from pipeline.settings import relative as _rel

SUFFIXES = (".txt", ".csv")  # a document is its text, or a table
SHAPES = ("long", "wide")
ROWS = ("places", "indicators")
KINDS = ("actual", "target")
DELIMITERS = (",", ";", "\t")
TRUE, FALSE = ("true", "yes", "1"), ("false", "no", "0", "")
# a long table's roles: the header each is read from by default, and whether it is required
# fmt: off
LONG_COLUMNS = {
    "geo": ("geo", True), "label": ("label_vi", True), "year": ("year", True),
    "kind": ("kind", True), "comparator": ("comparator", False), "value": ("value", True),
    "unit": ("unit", True), "preliminary": ("preliminary", False),
    "instrument": ("instrument", True), "published_as": ("published_as", False),
    "url": ("url", True), "condition": ("condition", False),
}
# fmt: on
TABLE_KEYS = {
    "shape": "long or wide",
    "columns": "long: {role: header} for headers other than the defaults",
    "delimiter": "',' ';' or a tab (found from the header when not given)",
    "decimal": "'.' or ',' (default: ',' with ';' between fields, '.' otherwise)",
    "official_instruments": "long: words whose presence in a row's instrument makes it official",
    "rows": "wide: places or indicators (what the first column names)",
    "label": "wide, rows: places: the indicator every figure is of (default: the title line)",
    "unit": "wide: the unit of every figure",
    "unit_column": "wide, rows: indicators: the header of the column giving each row's unit",
    "kind": "wide: actual or target, for year columns whose header does not say (default actual)",
    "aggregates": "wide, rows: places: row names that are groups of places (regions), not places",
}


@dataclass(frozen=True)
class TableSpec:
    """The sidecar's ``table:`` mapping, checked."""

    shape: str
    columns: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    decimal: str | None = None
    official_instruments: tuple[str, ...] = ()
    rows: str = "places"
    label: str | None = None
    unit: str | None = None
    unit_column: str | None = None
    kind: str = "actual"
    aggregates: tuple[str, ...] = ()

    def to_record(self) -> dict:
        """The spec as JSON values (a build's record keeps it: ``warehouse.inputs``)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> TableSpec:
        """The spec :meth:`to_record` wrote, without checking it again."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in record.items()})


# ---------------------------------------------------------------------------- the sidecar


def _flag(path: Path, key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise InputError(f"{_rel(path)}: key {key!r} must be true or false, got {value!r}")


def _words(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f"{_rel(path)}: key {key!r} must be a list of words")
    return tuple(value)


def _one_of(path: Path, key: str, value: object, choices: tuple[str, ...]) -> str:
    if str(value) not in choices:
        raise InputError(f"{_rel(path)}: key {key!r} must be one of {list(choices)}, got {value!r}")
    return str(value)


def _table_spec(path: Path, raw: object) -> TableSpec:
    if not isinstance(raw, dict):
        raise InputError(f"{_rel(path)}: key 'table' must be a mapping (shape: long or wide, ...)")
    for key in raw:
        if key not in TABLE_KEYS:
            raise InputError(
                f"{_rel(path)}: unknown key 'table.{key}'{did_you_mean(key, TABLE_KEYS)}"
            )
    spec: dict[str, object] = {"shape": _one_of(path, "table.shape", raw.get("shape"), SHAPES)}
    columns = raw.get("columns") or {}
    if not isinstance(columns, dict):
        raise InputError(f"{_rel(path)}: key 'table.columns' must map roles to headers")
    for role in columns:
        if role not in LONG_COLUMNS:
            hint = did_you_mean(role, LONG_COLUMNS)
            raise InputError(f"{_rel(path)}: unknown role 'table.columns.{role}'{hint}")
    spec["columns"] = {r: str(h) for r, h in columns.items()}
    for key, choices in (("delimiter", DELIMITERS), ("decimal", (".", ","))):
        if raw.get(key) is not None:
            spec[key] = _one_of(path, f"table.{key}", raw[key], choices)
    for key in ("official_instruments", "aggregates"):
        if raw.get(key) is not None:
            spec[key] = _words(path, f"table.{key}", raw[key])
    spec["rows"] = _one_of(path, "table.rows", raw.get("rows", "places"), ROWS)
    spec["kind"] = _one_of(path, "table.kind", raw.get("kind", "actual"), KINDS)
    for key in ("label", "unit", "unit_column"):
        if raw.get(key) not in (None, ""):
            spec[key] = str(raw[key])
    return TableSpec(**spec)


def check_table_sidecar(path: Path, meta: dict, document: Path) -> None:
    """Check a sidecar's ``table`` and ``official_statistics`` keys and put them in ``meta``
    checked: ``meta['table']`` a :class:`TableSpec` (None for a text document),
    ``meta['official_statistics']`` true or false."""
    meta["official_statistics"] = _flag(
        path, "official_statistics", meta.get("official_statistics", False)
    )
    is_table = document.suffix == ".csv"
    if not is_table:
        if meta.get("table") is not None:
            raise InputError(f"{_rel(path)}: key 'table' describes a .csv; {document.name} is text")
        meta["table"] = None
        return
    if meta.get("table") is None:
        raise InputError(
            f"{_rel(path)}: a table needs key 'table' with its shape (table: {{shape: long}} "
            "or {shape: wide, rows: places})"
        )
    meta["table"] = spec = _table_spec(path, meta["table"])
    if spec.shape == "wide" and not meta.get("url"):
        raise InputError(
            f"{_rel(path)}: required key 'url' is missing: every figure of a wide table cites "
            "the sidecar's title and url"
        )
