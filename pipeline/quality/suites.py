"""The suites: one JSON file per table and view in ``expectations/``, each expectation with a
severity. The gate runs ``SUITES`` on the staged warehouse; ``build_info`` and
``validation_result`` are written after it (by ``record`` and by the gate itself), so their
suites (``PUBLISHED_SUITES``) run on a published warehouse: ``make docs`` and the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.settings import EXPECTATIONS_DIR

# the gate's suites, in the order it runs them: reference data and documents, then what was
# read from them, then the view
SUITES = ("geo", "geo_2025", "unit", "indicator", "source_document")
SUITES += ("observation", "unmapped", "correction", "gap", "yardstick")
PUBLISHED_SUITES = ("build_info", "validation_result")
ALL_SUITES = SUITES + PUBLISHED_SUITES
SEVERITIES = ("error", "warning")


def load_suite_specs(
    directory: Path | None = None, names: tuple[str, ...] = SUITES
) -> dict[str, dict]:
    """The suites ``names`` as JSON dicts, checked for the keys the gate relies on."""
    directory = directory or EXPECTATIONS_DIR
    specs = {}
    for name in names:
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


def gx_suite(gx: Any, spec: dict) -> Any:
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
