"""Quality gate: the Great Expectations suites in ``expectations/`` (``suites``) run on the staged
warehouse (``gate``), a chunk of rows at a time and, in a rebuild, on the rows new since the
previous build (``plan``), with helper columns computed from the staged tables (``derived``,
``gap_checks``), results as rows and a summary (``results``), Data Docs (``docs``) and Great
Expectations itself imported on demand (``gx``)."""

from pipeline.quality.gate import build_data_docs, validate_published, validate_warehouse
from pipeline.quality.gx import preload_gx
from pipeline.quality.plan import Reuse
from pipeline.quality.results import Outcome

__all__ = [
    "Outcome",
    "Reuse",
    "build_data_docs",
    "preload_gx",
    "validate_published",
    "validate_warehouse",
]
