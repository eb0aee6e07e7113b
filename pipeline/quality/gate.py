"""Quality gate: the Great Expectations suites in ``expectations/``, run on the staged warehouse.

One suite per table and view (``expectations/<table>.json``), declarative and generic: nothing
in them is specific to a document or an indicator. What a suite cannot express on one table
alone is first computed, from the staged tables, as helper columns named in the suite's
``meta.derived_columns`` (the indicator's plausible range joined onto each observation, "the quote
is verbatim in its raw file", ...). Keys of referenced tables are passed as suite parameters
(``{"$PARAMETER": "geo_codes"}``), so foreign keys stay declarative too.

The large tables are validated a chunk of rows at a time (memory holds one chunk, never a
table), and their key expectations on the rows DuckDB finds sharing a key; a build that reuses
the previous build's validated rows validates only the rows new to it (``pipeline.quality.plan``).
The results are those one validation of every row would give. Where there are two cores, the
chunks are shared with a helper process forked before the file is opened (each process takes the
next chunk when it is free; ``pipeline.extract.workers.SharedJobs``); their results are merged
in table order, as one process gives them.

Each expectation carries ``meta.severity`` (``error`` stops the build, ``warning`` is reported and
recorded) and ``meta.why``. Great Expectations is imported lazily (~2 s, see ``import_gx``; a
build starts the import in the background while it loads) with its usage analytics off.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipeline.extract.workers import SharedJobs
from pipeline.quality.derived import (
    PARTITIONED_SUITES,
    REFERENCE_TABLES,
    WHOLE_SUITES,
    Raw,
    chunk_frame,
    parameters,
    whole_frames,
)
from pipeline.quality.docs import Docs
from pipeline.quality.gx import context, import_gx
from pipeline.quality.plan import (
    IDENTITY,
    PREVIOUS,
    Reuse,
    attach_previous,
    candidates,
    check_partitioned,
    kind_of,
    previous_results,
    select,
)
from pipeline.quality.results import Outcome, collect, merge, replace
from pipeline.quality.suites import ALL_SUITES, SUITES, gx_suite, load_suite_specs
from pipeline.settings import GATE_SHARE_ROWS, RAW_DIR


def _restricted(spec: dict, df: pd.DataFrame, params: dict[str, list]) -> dict[str, list]:
    """The parameters as far as the frame's rows can meet them: a key set of 10,000 documents
    costs Great Expectations seconds per expectation, and ``x in S`` is ``x in S ∩ values``
    for the values ``x`` of the frame."""
    present: dict[str, set] = {p: set() for p in params}
    for e in spec["expectations"]:
        value_set = e["kwargs"].get("value_set")
        if isinstance(value_set, dict) and "$PARAMETER" in value_set:
            column = e["kwargs"]["column"]
            present[value_set["$PARAMETER"]].update(df[column].dropna().tolist())
    return {p: sorted(set(values) & present[p]) for p, values in params.items()}


# The contexts of the last validations without Data Docs, by their suites: a process that runs
# the gate again (the next build of a long-lived process, the tests) reuses the context and
# the suites already added to it, as one validation does from chunk to chunk.
_KEPT: dict[str, tuple[Any, Any, dict[str, Any]]] = {}
_KEEP = 4


class Validator:
    """Great Expectations on frames: one context; each suite (and its key expectations alone,
    for the rows that share a key) added once (and kept for the next validation with the same
    suites, unless it renders Data Docs)."""

    def __init__(self, specs: dict[str, dict], params: dict[str, list], docs: Docs | None):
        self.gx = import_gx()
        self.specs, self.params, self.docs = specs, params, docs
        key = json.dumps(specs, sort_keys=True)
        if docs is None and key in _KEPT:
            self.ctx, self.source, self._added = _KEPT.pop(key)
        else:
            self.ctx = context(self.gx, docs.folder if docs else None)
            self.source = self.ctx.data_sources.add_pandas("staged_warehouse")
            self._added: dict[str, Any] = {}
        if docs is not None:
            docs.ctx = self.ctx
        else:
            _KEPT[key] = (self.ctx, self.source, self._added)  # the most recent last
            while len(_KEPT) > _KEEP:
                del _KEPT[next(iter(_KEPT))]

    def _suite(self, name: str, keys_only: bool) -> tuple[Any, Any]:
        asset = f"{name}.keys" if keys_only else name
        if asset not in self._added:
            spec = self.specs[name]
            if keys_only:
                kept = [e for e in spec["expectations"] if kind_of(e) == "key"]
                spec = {**spec, "name": asset, "expectations": kept}
            suite = self.ctx.suites.add(gx_suite(self.gx, spec))
            batches = self.source.add_dataframe_asset(asset).add_batch_definition_whole_dataframe(
                asset
            )
            self._added[asset] = (suite, batches)
        return self._added[asset]

    def run(self, name: str, df: pd.DataFrame, keys_only: bool = False) -> tuple[list[dict], Any]:
        """The suite's results on ``df``, and Great Expectations' own result object."""
        spec = self.specs[name]
        needed = set(spec["meta"].get("derived_columns", {})) | set(spec["meta"]["row_label"])
        if df.empty:  # no row to derive a helper column from (a corpus without targets)
            df = df.assign(**{c: pd.Series(dtype=object) for c in needed - set(df.columns)})
        if needed - set(df.columns):
            raise ValueError(
                f"expectations/{name}.json: no columns {sorted(needed - set(df.columns))}"
            )
        suite, batches = self._suite(name, keys_only)
        batch = batches.get_batch(batch_parameters={"dataframe": df})
        label = spec["meta"]["row_label"]
        if self.docs is not None:  # Data Docs show every offending row and the full key sets
            fmt = {"result_format": "COMPLETE", "unexpected_index_column_names": label}
            validation = batch.validate(
                suite, result_format=fmt, expectation_parameters=self.params
            )
            return collect(name, spec, validation), validation
        params = _restricted(spec, df, self.params)
        quick = batch.validate(
            suite, result_format={"result_format": "BOOLEAN_ONLY"}, expectation_parameters=params
        )
        if quick.success:  # all passed: no row to name, nothing more to compute
            return collect(name, spec, quick), quick
        # offending rows are named by the suite's row_label columns (and found by _rowid)
        named = [*label, "_rowid"] if "_rowid" in df.columns else label
        fmt = {"result_format": "COMPLETE", "unexpected_index_column_names": named}
        validation = batch.validate(suite, result_format=fmt, expectation_parameters=params)
        return collect(name, spec, validation), validation


def _identities(name: str, df: pd.DataFrame, results: list[dict]) -> set:
    """What names the rows of ``df`` the results flag, across builds (see plan.IDENTITY)."""
    rowids = {i for r in results if not r["success"] for i in r["rowids"]}
    if not rowids:
        return set()
    column = IDENTITY.get(name, "source_id")
    return set(df.loc[df["_rowid"].isin(rowids), column].dropna().tolist())


class _Run:
    """One validation of a warehouse: its connection, its lookups, the validator on demand."""

    def __init__(self, con, raw_dir: Path, specs: dict, reuse: Reuse | None, docs: Docs | None):
        self.con, self.specs, self.reuse, self.docs = con, specs, reuse, docs
        self.raw = Raw(raw_dir)
        self.params = parameters(con)
        self.previous = previous_results(con) if reuse is not None else {}
        self._validator: Validator | None = None

    @property
    def validator(self) -> Validator:
        if self._validator is None:
            self._validator = Validator(self.specs, self.params, self.docs)
        return self._validator

    def whole(self, names: tuple[str, ...]) -> dict[str, list[dict]]:
        """The suites of the small tables; those of the reference tables reused when the
        tables are those the previous build validated, row for row."""
        out = {}
        if self.reuse is not None and _same_reference(self.con):
            out = {n: self.previous[n] for n in names if n in REFERENCE_TABLES}
        rest = tuple(n for n in names if n not in out)
        frames = whole_frames(self.con, rest) if rest else {}
        for name in rest:
            results, validation = self.validator.run(name, frames[name])
            if self.docs is not None:
                self.docs.add(name, [validation])
            out[name] = results
        return out

    def plan(self, name: str) -> _Plan:
        """What a large table's suite validates: its chunks of rows, the rows sharing a key."""
        spec = self.specs[name]
        check_partitioned(spec)
        selection = select(self.con, name, self.reuse)
        shared = candidates(self.con, name, spec)
        if selection.empty and not shared and name in self.previous:
            return _Plan(name, [], shared, 0, self.previous[name])  # no row new, keys unique
        chunks = selection.chunks() or [("FALSE", {})]
        return _Plan(name, chunks, shared, selection.n_selected)

    def chunk(self, job: tuple[str, tuple[str, dict]]) -> tuple[list[dict], Any, set]:
        return _validated_chunk(self.con, self.raw, self.validator, job)

    def finish(self, plan: _Plan, parts: list[tuple[list[dict], Any, set]]) -> tuple[list, set]:
        """A large table's suite: its chunks' results merged, its keys on the rows sharing one."""
        if plan.reused is not None:
            return plan.reused, set()
        merged, keys = merge([p[0] for p in parts]), None
        flagged = set().union(*(p[2] for p in parts))
        if plan.shared:
            where = ("t.rowid IN (SELECT unnest($rows::BIGINT[]))", {"rows": plan.shared})
            df = chunk_frame(self.con, plan.name, where, self.raw)
            results, keys = self.validator.run(plan.name, df, keys_only=True)
            merged = replace(merged, results)
            flagged |= _identities(plan.name, df, results)
        if self.docs is not None:
            self.docs.add(plan.name, [p[1] for p in parts], keys)
        return merged, flagged


def _validated_chunk(
    con: duckdb.DuckDBPyConnection, raw: Raw, validator: Validator, job: tuple[str, tuple]
) -> tuple[list[dict], Any, set]:
    """A chunk's results, Great Expectations' result object, the identities it flagged (in
    the build process and in the gate's helper alike)."""
    name, where = job
    df = chunk_frame(con, name, where, raw)
    results, validation = validator.run(name, df)
    return results, validation, _identities(name, df, results)


@dataclass
class _Plan:
    """A large table's suite: its chunks (conditions on its rows), the rows whose key is not
    unique, the rows it validates, or the previous build's results (nothing new to it)."""

    name: str
    chunks: list[tuple[str, dict]]
    shared: list[int]
    n_rows: int
    reused: list[dict] | None = None


def _helper_setup(path: Path, raw_dir: Path, specs: dict) -> Callable:
    """What the gate's helper process does with the chunks it takes (see ``_run``)."""

    def setup(params: dict[str, list]) -> Callable:
        # Its own instance, one thread (the build process uses the other core). DuckDB is not
        # fork-safe: an instance of this file the build process had open came across the fork
        # without its threads, and a configuration of the helper's own makes DuckDB refuse to
        # reuse it (the helper then takes no chunk: the build process validates them all).
        config = {"threads": 1, "custom_user_agent": "chitieu-gate-helper"}
        con = duckdb.connect(str(path), read_only=True, config=config)
        raw, validator = Raw(raw_dir), Validator(specs, params, None)

        def chunk(job: tuple[str, tuple[str, dict]]) -> tuple[list[dict], None, set]:
            results, _validation, flagged = _validated_chunk(con, raw, validator, job)
            return results, None, flagged  # GX's result object stays here: Data Docs only

        return chunk

    return setup


def _same_reference(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the reference tables hold the previous warehouse's rows, in its order."""
    for table in REFERENCE_TABLES:
        sql = "SELECT count(*), bit_xor(hash(t, t.rowid)) FROM {}" + table + " t"
        ours, theirs = (con.execute(sql.format(s)).fetchall()[0] for s in ("", f"{PREVIOUS}."))
        if ours != theirs:
            return False
    return True


def _run(
    path: Path,
    raw_dir: Path,
    docs: Docs | None = None,
    names: tuple[str, ...] = SUITES,
    reuse: Reuse | None = None,
    workers: int | None = None,
) -> Outcome:
    t0 = time.perf_counter()
    specs = load_suite_specs(names=names)
    helper = None
    if docs is None and SharedJobs.available(workers):  # Data Docs keep GX's result objects
        import_gx()  # in this process before the fork: the helper has it too
        helper = SharedJobs(_helper_setup(path, raw_dir, specs))  # before the file is opened
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            if reuse is not None:
                attach_previous(con, reuse)
            run = _Run(con, raw_dir, specs, reuse, docs)
            plans = [run.plan(n) for n in names if n in PARTITIONED_SUITES]
            jobs = [(p.name, where) for p in plans for where in p.chunks]
            if helper is not None:  # few rows: quick here, and a helper would only add memory
                many = sum(p.n_rows for p in plans) >= GATE_SHARE_ROWS
                helper.share(jobs, run.params, helped=many)
            by_suite = run.whole(tuple(n for n in names if n in WHOLE_SUITES))
            done = helper.results(run.chunk) if helper else [run.chunk(j) for j in jobs]
            unexpected: dict[str, list] = {}
            at = 0
            for plan in plans:
                parts, at = done[at : at + len(plan.chunks)], at + len(plan.chunks)
                by_suite[plan.name], flagged = run.finish(plan, parts)
                unexpected[plan.name] = sorted(flagged)
        finally:
            con.close()
    finally:
        if helper is not None:
            helper.close()
    results = [r for name in names for r in by_suite[name]]
    errors = [r for r in results if r["severity"] == "error" and not r["success"]]
    peak = helper.peak_rss_kb if helper is not None else 0
    return Outcome(results, errors, time.perf_counter() - t0, unexpected, peak)


def validate_warehouse(
    path: Path, raw_dir: Path, reuse: Reuse | None = None, workers: int | None = None
) -> Outcome:
    """Run the gate's suites against the staged DuckDB file ``path``; raw documents in
    ``raw_dir``. With ``reuse``, only the rows new since the previous build are validated row
    by row (see ``pipeline.quality.plan``). ``workers`` (default: two where there are two
    cores): 1 validates in this process alone, more shares the chunks with a helper process."""
    return _run(Path(path), Path(raw_dir), reuse=reuse, workers=workers)


def validate_published(path: Path, raw_dir: Path = RAW_DIR) -> Outcome:
    """Run every suite, those of ``build_info`` and ``validation_result`` included, against a
    published warehouse (a copy a colleague sent, say)."""
    return _run(Path(path), Path(raw_dir), names=ALL_SUITES)


def build_data_docs(
    warehouse: Path | None = None, raw_dir: Path | None = None, docs_dir: Path | None = None
) -> Path:
    """Render GX Data Docs (suites and their results on the built warehouse); index.html path."""
    docs = Docs.start(warehouse, docs_dir)
    _run(docs.warehouse, raw_dir or RAW_DIR, docs, names=ALL_SUITES)
    return docs.finish()
