"""Great Expectations Data Docs: every suite with its results on a built warehouse.

A suite validated in chunks of rows (and its keys on the rows sharing one) is shown as one
validation of the whole table: the chunks' results are added up (counts, offending rows in
table order), the key expectations' taken from the rows sharing a key.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.settings import DATA_DOCS_DIR, warehouse_path

_SITE_ENTRIES = {"index.html", "static", "expectations", "validations", ".gitkeep"}
PARTIAL = 20  # GX's partial lists hold this many


def _merge_result(parts: list[dict]) -> dict:
    """One map expectation's result dicts of several chunks, as one run would give."""
    out = dict(parts[0])
    for k in ("element_count", "unexpected_count", "missing_count"):
        if k in out:
            out[k] = sum(p.get(k) or 0 for p in parts)
    for k in ("unexpected_list", "unexpected_index_list"):
        if k in out:
            out[k] = [x for p in parts for x in p.get(k) or []]
    for k in ("partial_unexpected_list", "partial_unexpected_index_list"):
        if k in out:
            out[k] = [x for p in parts for x in p.get(k) or []][:PARTIAL]
    n, total = out.get("unexpected_count") or 0, out.get("element_count") or 0
    present = total - (out.get("missing_count") or 0)
    for k, base in (("unexpected_percent", present), ("unexpected_percent_total", total)):
        if k in out:
            out[k] = 100 * n / base if base else None
    if "unexpected_percent_nonmissing" in out:
        out["unexpected_percent_nonmissing"] = 100 * n / present if present else None
    if "missing_percent" in out:
        out["missing_percent"] = 100 * (total - present) / total if total else None
    if "partial_unexpected_counts" in out:
        counts = Counter(repr(v) for v in out.get("unexpected_list") or [])
        values = {repr(v): v for v in out.get("unexpected_list") or []}
        out["partial_unexpected_counts"] = [
            {"value": values[k], "count": c} for k, c in counts.most_common(PARTIAL)
        ]
    out.pop("unexpected_index_query", None)
    return out


def merge_validations(parts: list[Any], keys: Any | None = None) -> Any:
    """Several validations of one suite (chunks in table order) as one; ``keys``: the key
    expectations' validation on the rows sharing a key, which replaces theirs."""
    if len(parts) == 1 and keys is None:
        return parts[0]
    merged = copy.deepcopy(parts[0])
    by_type = {}
    if keys is not None:
        by_type = {
            (r.expectation_config.type, str(r.expectation_config.kwargs)): r for r in keys.results
        }
    for i, r in enumerate(merged.results):
        same = [p.results[i] for p in parts]
        key = (r.expectation_config.type, str(r.expectation_config.kwargs))
        if key in by_type:
            merged.results[i] = copy.deepcopy(by_type[key])
            continue
        r.success = all(x.success for x in same)
        r.result = _merge_result([x.result or {} for x in same])
    n_ok = sum(bool(r.success) for r in merged.results)
    merged.success = n_ok == len(merged.results)
    merged.statistics.update(
        evaluated_expectations=len(merged.results),
        successful_expectations=n_ok,
        unsuccessful_expectations=len(merged.results) - n_ok,
        success_percent=100 * n_ok / len(merged.results) if merged.results else None,
    )
    return merged


@dataclass
class Docs:
    """A Data Docs site being written: validations are added suite by suite, then rendered."""

    folder: Path
    warehouse: Path
    validations: dict[str, Any] = field(default_factory=dict)
    ctx: Any = None  # the Great Expectations context that validated (set by the validator)

    @classmethod
    def start(cls, warehouse: Path | None, docs_dir: Path | None) -> Docs:
        warehouse = warehouse or warehouse_path()
        docs_dir = docs_dir or DATA_DOCS_DIR
        if not warehouse.exists():
            raise FileNotFoundError(f"{warehouse} does not exist yet: run `make build`")
        # the site is generated: start afresh, or pages of earlier runs would linger
        if docs_dir.exists():
            foreign = {p.name for p in docs_dir.iterdir()} - _SITE_ENTRIES
            if foreign:
                raise FileExistsError(f"{docs_dir} holds more than Data Docs: {sorted(foreign)}")
            shutil.rmtree(docs_dir)
        docs_dir.mkdir(parents=True)
        return cls(docs_dir, warehouse)

    def add(self, name: str, parts: list[Any], keys: Any | None = None) -> None:
        self.validations[name] = merge_validations(parts, keys)

    def finish(self) -> Path:
        """Store every validation and render the site; its index page."""
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        run_id = RunIdentifier(run_time=dt.datetime.now(dt.UTC))
        for name, validation in self.validations.items():
            suite = ExpectationSuiteIdentifier(name=name)
            key = ValidationResultIdentifier(
                expectation_suite_identifier=suite, run_id=run_id, batch_identifier=name
            )
            self.ctx.validation_results_store.store_validation_results(validation, key, suite)
        self.ctx.build_data_docs()
        return self.folder / "index.html"
