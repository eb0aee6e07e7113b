"""Quality gate: the Great Expectations suites in ``expectations/``, run on the staged warehouse.

One suite per table (``expectations/<table>.json``), declarative and generic: nothing in them is
specific to a document or an indicator. What a suite cannot express on one table alone is first
computed here, from the staged tables, as helper columns named in the suite's
``meta.derived_columns`` (the indicator's plausible range joined onto each observation, "the quote
is verbatim in its raw file", ...). Keys of referenced tables are passed as suite parameters
(``{"$PARAMETER": "geo_codes"}``), so foreign keys stay declarative too.

Each expectation carries ``meta.severity`` (``error`` stops the build, ``warning`` is reported and
recorded) and ``meta.why``. Great Expectations is imported lazily (~2 s, see ``import_gx``) with
its usage analytics off.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
EXPECTATIONS_DIR = ROOT / "expectations"
DOCS_DIR = ROOT / "reports" / "data-docs"
SUITES = ("geo", "unit", "indicator", "source_document", "observation", "unmapped")
SEVERITIES = ("error", "warning")
MAX_ROWS_SHOWN = 5


@dataclass
class Outcome:
    results: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def warnings(self) -> list[dict]:
        return [r for r in self.results if r["severity"] == "warning" and not r["success"]]

    def summary(self) -> str:
        """Short readable text: each failed error-level expectation with its offending rows."""
        if not self.errors:
            return f"{len(self.results)} expectations, no errors, {len(self.warnings)} warnings"
        lines = [f"{len(self.errors)} of {len(self.results)} expectations failed:"]
        for e in self.errors:
            n = e["n_unexpected"]
            lines.append(
                f"- {e['suite']}: {e['expectation']}: {n} row{'s' * (n != 1)} ({e['why']})"
            )
            lines.extend(f"    {row}" for row in e["rows"])
            if n > len(e["rows"]):
                lines.append(f"    ... and {n - len(e['rows'])} more")
            if e.get("exception"):
                lines.append(f"    the expectation raised: {e['exception']}")
        if self.warnings:
            lines.append(
                f"also {len(self.warnings)} warnings: "
                + "; ".join(f"{w['suite']}: {w['expectation']}" for w in self.warnings)
            )
        return "\n".join(lines)


# ---------------------------------------------------------------------------- suites


def load_suite_specs(directory: Path | None = None) -> dict[str, dict]:
    """The suites as JSON dicts, one per table, checked for the keys the gate relies on."""
    directory = directory or EXPECTATIONS_DIR
    specs = {}
    for name in SUITES:
        path = directory / f"{name}.json"
        spec = json.loads(path.read_text(encoding="utf-8"))
        if spec.get("name") != name or spec.get("meta", {}).get("table") != name:
            raise ValueError(f"{path}: name and meta.table must both be {name!r}")
        for i, exp in enumerate(spec["expectations"]):
            severity = exp.get("meta", {}).get("severity", "error")
            if severity not in SEVERITIES:
                raise ValueError(
                    f"{path}: expectation {i}: severity {severity!r} not in {SEVERITIES}"
                )
        specs[name] = spec
    return specs


def _gx_suite(gx: Any, spec: dict) -> Any:
    """An ExpectationSuite from its JSON; severity mirrored into GX's own field for Data Docs.

    Each expectation is built here rather than by ``ExpectationSuite``, which logs and drops one
    it cannot build: a gate must not silently lose a check, so a typo in a suite stops the build.
    """
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    expectations = []
    for i, exp in enumerate(spec["expectations"]):
        meta = exp.get("meta", {})
        try:
            config = ExpectationConfiguration(
                type=exp["type"],
                kwargs=exp["kwargs"],
                meta=meta,
                notes=meta.get("why"),
                severity="warning" if meta.get("severity") == "warning" else "critical",
            )
            expectations.append(config.to_domain_obj())
        except Exception as e:  # GX raises several types for a bad configuration
            raise ValueError(
                f"expectations/{spec['name']}.json: expectation {i} ({exp.get('type')}): {e}"
            ) from e
    return gx.ExpectationSuite(
        name=spec["name"],
        expectations=expectations,
        meta=spec["meta"],
        notes=spec["meta"].get("notes"),
    )


# ---------------------------------------------------------------------------- frames


def _as_list(v: Any) -> list:
    return [] if v is None or isinstance(v, float) else list(v)


def _first_by(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per key (the first) to look attributes up by key; duplicates fail elsewhere."""
    return df.dropna(subset=[key]).drop_duplicates(key).set_index(key)


class _Raw:
    """Raw documents by file name: bytes and text (UTF-8, decoded exactly as the extractor does)."""

    def __init__(self, raw_dir: Path) -> None:
        self.raw_dir = raw_dir
        self._cache: dict[str, tuple[bytes | None, str | None]] = {}
        self._line_starts: dict[str, list[int]] = {}

    def get(self, file_name: Any) -> tuple[bytes | None, str | None]:
        if not isinstance(file_name, str):
            return None, None
        if file_name not in self._cache:
            path = self.raw_dir / file_name
            data = path.read_bytes() if path.is_file() else None
            try:
                text = data.decode("utf-8") if data is not None else None
            except UnicodeDecodeError:
                text = None
            self._cache[file_name] = (data, text)
        return self._cache[file_name]

    def contains(self, file_name: Any, quote: Any) -> bool:
        text = self.get(file_name)[1]
        return isinstance(quote, str) and text is not None and quote in text

    def contains_at(self, file_name: Any, quote: Any, start: Any, end: Any) -> bool:
        text = self.get(file_name)[1]
        if not isinstance(quote, str) or text is None or pd.isna(start) or pd.isna(end):
            return False
        starts = self._line_starts.get(file_name)
        if starts is None:  # where each line begins: text.split("\n") without the copies
            starts = [0]
            for line in text.split("\n")[:-1]:
                starts.append(starts[-1] + len(line) + 1)
            self._line_starts[file_name] = starts
        a, b = int(start), int(end)
        if a < 1:
            return False
        n = len(starts)
        # the cited lines with their line breaks (a quote may end with the last one's)
        lo = starts[a - 1] if a <= n else len(text)
        hi = starts[b] if b < n else len(text)
        cited = text[lo:hi] if a <= b else ("\n" if b < n else "")
        return quote in cited


def prepare(path: Path, raw_dir: Path) -> tuple[dict[str, pd.DataFrame], dict[str, list]]:
    """DataFrames to validate (tables plus helper columns) and the suite parameters."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        t = {name: con.execute(f"SELECT * FROM {name}").df() for name in (*SUITES, "geo_2025")}
    finally:
        con.close()
    raw = _Raw(raw_dir)
    geo, unit, ind, src = t["geo"], t["unit"], t["indicator"], t["source_document"]
    obs, unm = t["observation"], t["unmapped"]

    def keys(df: pd.DataFrame, col: str) -> list:
        return sorted(df[col].dropna().unique().tolist())

    params = {
        "geo_codes": keys(geo, "geo_code"),
        "geo_2025_codes": keys(t["geo_2025"], "code"),
        "unit_codes": keys(unit, "unit_code"),
        "indicator_codes": keys(ind, "indicator_code"),
        "source_ids": keys(src, "source_id"),
    }

    # geo: the hierarchy country > province > district
    level = _first_by(geo, "geo_code")["level"]
    parent_level = geo["parent_code"].map(level)
    expected_parent = geo["level"].map({"province": "country", "district": "province"})
    geo["parent_level_consistent"] = [
        (pd.isna(p) if pd.isna(e) else p == e)
        for p, e in zip(parent_level, expected_parent, strict=True)
    ]

    unit["rate_has_per"] = (unit["kind"] != "rate") | unit["per"].notna()

    src["file_in_raw_dir"] = [raw.get(f)[0] is not None for f in src["file_name"]]
    src["sha256_matches_file"] = [
        (data := raw.get(f)[0]) is not None and hashlib.sha256(data).hexdigest() == h
        for f, h in zip(src["file_name"], src["sha256"], strict=True)
    ]
    src["layouts"] = src["layouts"].map(lambda v: ",".join(_as_list(v)))

    by_ind, by_src = _first_by(ind, "indicator_code"), _first_by(src, "source_id")
    obs["min_plausible"] = obs["indicator_code"].map(by_ind["min_plausible"])
    obs["max_plausible"] = obs["indicator_code"].map(by_ind["max_plausible"])
    obs["indicator_unit_code"] = obs["indicator_code"].map(by_ind["unit_code"])
    obs["indicator_direction"] = obs["indicator_code"].map(by_ind["direction"])
    obs["source_n_lines"] = obs["source_id"].map(by_src["n_lines"])
    obs["source_geo_code"] = obs["source_id"].map(by_src["geo_code"])
    # plain lists for the per-row checks: iterating Arrow-backed columns is ten times slower
    file_name = obs["source_id"].map(by_src["file_name"]).tolist()
    flags = [_as_list(v) for v in obs["flags"].tolist()]
    detail = obs["flag_detail"].fillna("").astype(str).tolist()
    quote = obs["quote"].tolist()
    qualitative = pd.Series(["qualitative" in f for f in flags], index=obs.index)
    obs["comparator_present_unless_qualitative"] = obs["comparator"].notna() | qualitative
    obs["value_present_unless_qualitative"] = obs["value"].notna() | qualitative
    obs["quote_in_source"] = [raw.contains(f, q) for f, q in zip(file_name, quote, strict=True)]
    obs["quote_at_cited_lines"] = [
        raw.contains_at(f, q, a, b)
        for f, q, a, b in zip(
            file_name, quote, obs["line_start"].tolist(), obs["line_end"].tolist(), strict=True
        )
    ]
    for flag in ("unit_corrected", "conflict"):
        obs[f"{flag}_explained"] = [
            flag not in f or f"{flag}:" in d for f, d in zip(flags, detail, strict=True)
        ]
    obs["flags_explained"] = [all(x in d for x in f) for f, d in zip(flags, detail, strict=True)]
    against = {"higher_is_better": {"<", "<="}, "lower_is_better": {">", ">="}}
    obs["comparator_agrees_with_direction"] = [
        not (k == "target" and c in against.get(d, ()))
        for k, c, d in zip(
            obs["kind"].tolist(),
            obs["comparator"].tolist(),
            obs["indicator_direction"].tolist(),
            strict=True,
        )
    ]
    obs["geo_matches_source"] = obs["geo_code"] == obs["source_geo_code"]
    obs["flags"] = [",".join(f) for f in flags]
    obs["correction_ids"] = obs["correction_ids"].map(lambda v: ",".join(_as_list(v)))

    unm["source_n_lines"] = unm["source_id"].map(by_src["n_lines"])
    unm["text_in_source"] = [
        raw.contains(f, q)
        for f, q in zip(
            unm["source_id"].map(by_src["file_name"]).tolist(), unm["text"].tolist(), strict=True
        )
    ]
    frames = {name: t[name].reset_index(drop=True) for name in SUITES}
    return frames, params


# ---------------------------------------------------------------------------- results


def _columns(kwargs: dict) -> list[str]:
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_A" in kwargs:
        return [kwargs["column_A"], kwargs["column_B"]]
    return list(kwargs.get("column_list", []))


def _fmt(v: Any, width: int = 70) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "NULL"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str):
        s = " ".join(v.split())
        return repr(s if len(s) <= width else s[: width - 1] + "…")
    return str(v)


def _row_text(row: Any, columns: list[str]) -> str:
    """One offending row: GX returns it as {column: value} for the label and tested columns."""
    if not isinstance(row, dict):
        return f"row {row}"
    return " ".join(f"{c}={_fmt(row[c])}" for c in columns if c in row)


def _exception(info: Any) -> str | None:
    """The message of an exception an expectation raised (GX nests them by metric), or None."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    return next((m for v in info.values() if (m := _exception(v))), None)


def _collect(suite: str, spec: dict, validation: Any) -> list[dict]:
    label = spec["meta"]["row_label"]
    out = []
    for r in validation.results:
        cfg = r.expectation_config
        meta = cfg.meta or {}
        cols = _columns(cfg.kwargs)
        res = r.result or {}
        exc = None if r.success else _exception(r.exception_info)
        indices = res.get("unexpected_index_list") or []
        n = int(res.get("unexpected_count") or 0)
        if not r.success and not n and not exc:
            n = 1  # a table-level expectation (row count): the table is the offending "row"
        shown = label + [c for c in cols if c not in label]
        rows = [_row_text(i, shown) for i in indices[:MAX_ROWS_SHOWN]]
        why = meta.get("why", "")
        if r.success:
            details = why
        elif exc:
            details = f"raised {exc} — {why}"
        else:
            observed = res.get("observed_value")
            rows = rows or ([f"observed {observed!r}"] if observed is not None else [])
            details = " | ".join(rows) + f" — {why}"
        out.append(
            {
                "suite": suite,
                "expectation": f"{cfg.type}({', '.join(cols)})",
                "severity": meta.get("severity", "error"),
                "success": bool(r.success),
                "n_unexpected": n,
                "details": details,
                # beyond the validation_result columns, for the summary and for tests
                "why": why,
                "rows": rows,
                "exception": exc,
            }
        )
    return out


# ---------------------------------------------------------------------------- GX


def _context(gx: Any, docs_dir: Path | None = None) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites["local_site"] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


# Imported by GX (through altair and jsonschema) only to check IRIs, which no suite does, yet
# it compiles 38 Lark grammars at import: a third of GX's import time.
_UNUSED_BY_GX = ("rfc3987_syntax",)


def import_gx() -> Any:
    """Great Expectations, imported on first use (2 s): only validation and Data Docs need it.

    One lasting effect in this process, if jsonschema was not loaded before: its FormatChecker
    has no ``iri``/``iri-reference`` checks (they need ``rfc3987_syntax``). Nothing here checks
    IRIs; a notebook kernel that does should import jsonschema before building.
    """
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    if "great_expectations" in sys.modules:
        return sys.modules["great_expectations"]
    hidden = [m for m in _UNUSED_BY_GX if m not in sys.modules and "jsonschema" not in sys.modules]
    for m in hidden:
        sys.modules[m] = None  # type: ignore[assignment]  # makes `import m` raise ImportError
    try:
        import great_expectations as gx
    finally:
        for m in hidden:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]
    return gx


def _run(path: Path, raw_dir: Path, docs_dir: Path | None = None) -> Outcome:
    t0 = time.perf_counter()
    specs = load_suite_specs()
    frames, params = prepare(path, raw_dir)
    gx = import_gx()
    context = _context(gx, docs_dir)
    source = context.data_sources.add_pandas("staged_warehouse")
    results: list[dict] = []
    for name in SUITES:
        df, spec = frames[name], specs[name]
        needed = set(spec["meta"].get("derived_columns", {})) | set(spec["meta"]["row_label"])
        if needed - set(df.columns):
            raise ValueError(
                f"expectations/{name}.json: no columns {sorted(needed - set(df.columns))}"
            )
        # offending rows come back named by the suite's row_label columns (also in Data Docs)
        result_format = {
            "result_format": "COMPLETE",
            "unexpected_index_column_names": spec["meta"]["row_label"],
        }
        suite = context.suites.add(_gx_suite(gx, spec))
        batch_definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(
            name
        )
        if docs_dir is None:
            batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
            validation = batch.validate(
                suite, result_format=result_format, expectation_parameters=params
            )
        else:
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
            )
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(
                    name=name,
                    validation_definitions=[definition],
                    actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
                    result_format=result_format,
                )
            )
            run = checkpoint.run(batch_parameters={"dataframe": df}, expectation_parameters=params)
            (validation,) = run.run_results.values()
        results.extend(_collect(name, spec, validation))
    errors = [r for r in results if r["severity"] == "error" and not r["success"]]
    return Outcome(results, errors, time.perf_counter() - t0)


def validate_warehouse(path: Path, raw_dir: Path) -> Outcome:
    """Run every suite against the staged DuckDB file ``path``; raw documents in ``raw_dir``."""
    return _run(Path(path), Path(raw_dir))


_SITE_ENTRIES = {"index.html", "static", "expectations", "validations", ".gitkeep"}


def build_data_docs(
    warehouse: Path | None = None, raw_dir: Path | None = None, docs_dir: Path = DOCS_DIR
) -> Path:
    """Render GX Data Docs (suites and their results on the built warehouse); index.html path."""
    from pipeline.raw import RAW_DIR
    from pipeline.warehouse import CURATED_DIR, WAREHOUSE_NAME

    warehouse = warehouse or CURATED_DIR / WAREHOUSE_NAME
    if not warehouse.exists():
        raise FileNotFoundError(f"{warehouse} does not exist yet: run `make build`")
    # the site is generated: start afresh, or pages of earlier runs would linger
    if docs_dir.exists():
        foreign = {p.name for p in docs_dir.iterdir()} - _SITE_ENTRIES
        if foreign:
            raise FileExistsError(f"{docs_dir} holds more than Data Docs: {sorted(foreign)}")
        shutil.rmtree(docs_dir)
    docs_dir.mkdir(parents=True)
    _run(warehouse, raw_dir or RAW_DIR, docs_dir)
    return docs_dir / "index.html"
