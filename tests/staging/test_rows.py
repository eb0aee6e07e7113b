"""Rows to figures: what every table reader hands over, and what it gets back."""

from __future__ import annotations

from pipeline.reference import Match
from pipeline.staging import Context
from pipeline.staging.cells import cell_at
from pipeline.staging.columns import Column
from pipeline.staging.rows import LabelledRow, RowLabel, RowUnit, choose, emit_row
from pipeline.staging.state import DocumentState
from pipeline.text import normalise

TEXT = "Số bác sĩ/vạn dân | 9,5 (Ước) | 10\nKhông một chỉ tiêu nào | 5 | 6\n"
COLUMNS = [Column(2023, "actual", False, "TH 2023"), Column(None, "", False, "2026")]


def _row(state: DocumentState, line_no: int) -> LabelledRow:
    """A row of TEXT split at ' | ', as a table reader would hand it over."""
    line = state.lines[line_no]
    cuts = [line.start + i for i, ch in enumerate(line.text) if ch == "|"]
    label = RowLabel(state.doc.text[line.start : cuts[0]].strip(), line.start, cuts[0] - 1)
    spans = [(cuts[0] + 1, cuts[1]), (cuts[1] + 1, line.end)]
    cells = [(col, cell_at(state, a, b)) for col, (a, b) in zip(COLUMNS, spans, strict=True)]
    return LabelledRow(label, RowUnit(), cells, line.start, line.end, "test_table")


def test_a_labelled_row_gives_a_figure_per_column(catalog):
    state = DocumentState(normalise(TEXT), catalog, Context(2025, None))
    emit_row(state, _row(state, 0))
    actual, target = state.figures
    assert (actual.indicator_code, actual.year, actual.kind) == (
        "doctors_per_10000",
        2023,
        "actual",
    )
    assert actual.value == 9.5 and actual.is_estimate and actual.condition is None
    assert (target.year, target.kind, target.value) == (2025, "target", 10)  # context's year
    assert {f.start for f in state.figures} == {0}  # quotes start at the row
    assert {f.reader for f in state.figures} == {"test_table"}
    assert state.doc.quote(actual.start, actual.end) == "Số bác sĩ/vạn dân | 9,5 (Ước)"


def test_a_label_naming_no_indicator_gives_unmapped_text(catalog):
    state = DocumentState(normalise(TEXT), catalog, Context(2025, None))
    emit_row(state, _row(state, 1))
    assert not state.figures
    (u,) = state.unmapped
    assert u.reason_code == "no_indicator" and "Không một chỉ tiêu nào" in u.reason
    assert (u.start, u.end) == (state.lines[1].start, state.lines[1].end)


def test_choose_breaks_a_tie_by_the_printed_unit(catalog):
    tie = [Match("hospital_beds_total", 9), Match("hospital_beds_per_10000", 9), Match("x", 1)]
    assert choose(catalog, [], None).startswith("no indicator")
    assert choose(catalog, tie, None).startswith("ambiguous label, matches hospital_beds_total")
    assert choose(catalog, tie, "per_10000").code == "hospital_beds_per_10000"
    assert choose(catalog, tie, "percent").startswith("ambiguous")  # the unit decides nothing
    assert choose(catalog, tie[1:], None).code == "hospital_beds_per_10000"
