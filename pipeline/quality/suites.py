"""The suites: one JSON file per table in ``expectations/``, each expectation with a severity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.settings import EXPECTATIONS_DIR

SUITES = ("geo", "unit", "indicator", "source_document", "observation", "unmapped")
SEVERITIES = ("error", "warning")


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
