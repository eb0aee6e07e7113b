"""Quality gate: the Great Expectations suites in ``expectations/``, run on the staged warehouse.

One suite per table and view (``expectations/<table>.json``), declarative and generic: nothing
in them is specific to a document or an indicator. What a suite cannot express on one table
alone is first computed here, from the staged tables, as helper columns named in the suite's
``meta.derived_columns`` (the indicator's plausible range joined onto each observation, "the quote
is verbatim in its raw file", ...). Keys of referenced tables are passed as suite parameters
(``{"$PARAMETER": "geo_codes"}``), so foreign keys stay declarative too.

Each expectation carries ``meta.severity`` (``error`` stops the build, ``warning`` is reported and
recorded) and ``meta.why``. Great Expectations is imported lazily (~2 s, see ``import_gx``) with
its usage analytics off.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pandas as pd

from pipeline.quality.derived import prepare
from pipeline.quality.gx import context, import_gx
from pipeline.quality.results import Outcome, collect
from pipeline.quality.suites import ALL_SUITES, SUITES, gx_suite, load_suite_specs
from pipeline.settings import DATA_DOCS_DIR, RAW_DIR, warehouse_path


def _run(
    path: Path, raw_dir: Path, docs_dir: Path | None = None, names: tuple[str, ...] = SUITES
) -> Outcome:
    t0 = time.perf_counter()
    specs = load_suite_specs(names=names)
    frames, params = prepare(path, raw_dir, names)
    gx = import_gx()
    ctx = context(gx, docs_dir)
    source = ctx.data_sources.add_pandas("staged_warehouse")
    results: list[dict] = []
    for name in names:
        df, spec = frames[name], specs[name]
        needed = set(spec["meta"].get("derived_columns", {})) | set(spec["meta"]["row_label"])
        if df.empty:  # no row to derive a helper column from (a corpus without targets)
            df = df.assign(**{c: pd.Series(dtype=object) for c in needed - set(df.columns)})
        if needed - set(df.columns):
            raise ValueError(
                f"expectations/{name}.json: no columns {sorted(needed - set(df.columns))}"
            )
        # offending rows come back named by the suite's row_label columns (also in Data Docs)
        result_format = {
            "result_format": "COMPLETE",
            "unexpected_index_column_names": spec["meta"]["row_label"],
        }
        suite = ctx.suites.add(gx_suite(gx, spec))
        batch_definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(
            name
        )
        if docs_dir is None:
            batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
            validation = batch.validate(
                suite, result_format=result_format, expectation_parameters=params
            )
        else:
            definition = ctx.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
            )
            checkpoint = ctx.checkpoints.add(
                gx.Checkpoint(
                    name=name,
                    validation_definitions=[definition],
                    actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
                    result_format=result_format,
                )
            )
            run = checkpoint.run(batch_parameters={"dataframe": df}, expectation_parameters=params)
            (validation,) = run.run_results.values()
        results.extend(collect(name, spec, validation))
    errors = [r for r in results if r["severity"] == "error" and not r["success"]]
    return Outcome(results, errors, time.perf_counter() - t0)


def validate_warehouse(path: Path, raw_dir: Path) -> Outcome:
    """Run the gate's suites against the staged DuckDB file ``path``; raw documents in
    ``raw_dir``."""
    return _run(Path(path), Path(raw_dir))


def validate_published(path: Path, raw_dir: Path = RAW_DIR) -> Outcome:
    """Run every suite, those of ``build_info`` and ``validation_result`` included, against a
    published warehouse (a copy a colleague sent, say)."""
    return _run(Path(path), Path(raw_dir), names=ALL_SUITES)


_SITE_ENTRIES = {"index.html", "static", "expectations", "validations", ".gitkeep"}


def build_data_docs(
    warehouse: Path | None = None, raw_dir: Path | None = None, docs_dir: Path = DATA_DOCS_DIR
) -> Path:
    """Render GX Data Docs (suites and their results on the built warehouse); index.html path."""
    warehouse = warehouse or warehouse_path()
    if not warehouse.exists():
        raise FileNotFoundError(f"{warehouse} does not exist yet: run `make build`")
    # the site is generated: start afresh, or pages of earlier runs would linger
    if docs_dir.exists():
        foreign = {p.name for p in docs_dir.iterdir()} - _SITE_ENTRIES
        if foreign:
            raise FileExistsError(f"{docs_dir} holds more than Data Docs: {sorted(foreign)}")
        shutil.rmtree(docs_dir)
    docs_dir.mkdir(parents=True)
    _run(warehouse, raw_dir or RAW_DIR, docs_dir, names=ALL_SUITES)
    return docs_dir / "index.html"
