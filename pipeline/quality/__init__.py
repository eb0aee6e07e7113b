"""Quality gate: the Great Expectations suites in ``expectations/`` (``suites``) run on the staged
warehouse (``gate``), with helper columns computed from the staged tables (``derived``), results
as rows and a summary (``results``), and Great Expectations itself imported on demand (``gx``)."""

from pipeline.quality.gate import build_data_docs, validate_published, validate_warehouse
from pipeline.quality.results import Outcome

__all__ = ["Outcome", "build_data_docs", "validate_published", "validate_warehouse"]
