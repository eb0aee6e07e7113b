"""Charts for the notebooks, in English or Vietnamese: shared helpers, style and export
(``base``), the `gap` charts (``gaps``), the national yardstick's (``national``) and the audit
charts (``audit``)."""

from pipeline.analysis.charts.audit import coverage_heatmap, flags_heatmap, indicator_across_places
from pipeline.analysis.charts.base import (
    FONT,
    PROGRESS_COLORS,
    STATUS_COLORS,
    STATUS_ORDER,
    figure_value,
    fmt,
    nfc,
    save,
    source_note,
    style,
)
from pipeline.analysis.charts.gaps import largest_gaps_chart, status_heatmap, trajectories
from pipeline.analysis.charts.national import series_with_targets, targets_beside_national
from pipeline.analysis.labels import TEXT, t

__all__ = [
    "FONT",
    "PROGRESS_COLORS",
    "STATUS_COLORS",
    "STATUS_ORDER",
    "TEXT",
    "coverage_heatmap",
    "figure_value",
    "flags_heatmap",
    "fmt",
    "indicator_across_places",
    "largest_gaps_chart",
    "nfc",
    "save",
    "series_with_targets",
    "source_note",
    "status_heatmap",
    "style",
    "t",
    "targets_beside_national",
    "trajectories",
]
