"""The reader registry: explicit order, new readers join without other changes, and what no
reader recognises is left to prose."""

from __future__ import annotations

import pytest

from pipeline.staging import Context, LayoutReader, extract, readers, register, unregister
from pipeline.staging.cells import cell_at
from pipeline.staging.columns import Column
from pipeline.staging.layout import Block, BlockRead
from pipeline.staging.rows import LabelledRow, RowLabel, RowUnit, emit_row
from pipeline.text import normalise

TEXT = (
    "=> Tỷ lệ tham gia bảo hiểm y tế | trên 95%\n"
    "- Tỷ lệ hài lòng của người dân với dịch vụ y tế đạt trên 90% năm 2025.\n"
)


class ArrowLines(LayoutReader[Block]):
    """A made-up layout: '=> label | figure' lines, each a row with one 2025 target column."""

    name = "arrow_lines"
    rank = 50

    def find(self, start: int) -> Block | None:
        for line in self.state.lines[start:]:
            if line.text.startswith("=> "):
                return Block(line.no)
        return None

    def read(self, block: Block) -> BlockRead:
        state = self.state
        line = state.lines[block.start]
        bar = line.start + line.text.index("|")
        label = RowLabel(state.doc.text[line.start + 3 : bar].strip(), line.start + 3, bar)
        cells = [(Column(2025, "target", False, ""), cell_at(state, bar + 1, line.end))]
        emit_row(state, LabelledRow(label, RowUnit(), cells, line.start, line.end, self.name))
        state.consumed[block.start] = 1
        return BlockRead(block.start + 1, True)


class Nothing(LayoutReader[Block]):
    """Recognises nothing."""

    name = "nothing"
    rank = 15

    def find(self, start: int) -> Block | None:
        return None

    def read(self, block: Block) -> BlockRead:
        raise AssertionError("never called: find found nothing")


class EveryLineNoRows(LayoutReader[Block]):
    """Recognises every line, reads none of it (like a header with no rows under it)."""

    name = "every_line"
    rank = 25

    def find(self, start: int) -> Block | None:
        return Block(start) if start < len(self.state.lines) else None

    def read(self, block: Block) -> BlockRead:
        return BlockRead(block.start + 1, False)


@pytest.fixture()
def registered():
    """register() for the test's duration."""
    added: list[str] = []

    def add(reader):
        register(reader)
        added.append(reader.name)
        return reader

    yield add
    for name in added:
        unregister(name)


STATISTICS = [
    "target_table",
    "year_table",
    "year_rows",
    "category_table",
]  # before the plan readers


def test_tables_are_read_before_prose_in_rank_order():
    assert [r.name for r in readers()] == [*STATISTICS, "tsv_table", "pdf_table", "prose"]
    ranks = [r.rank for r in readers()]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def test_a_new_reader_registered_in_a_test_is_called_in_its_rank(registered, catalog):
    before = extract(normalise(TEXT), catalog, Context(None, None))
    assert "health_insurance_coverage" not in {f.indicator_code for f in before.figures}
    registered(ArrowLines)
    assert [r.name for r in readers()] == [
        *STATISTICS,
        "tsv_table",
        "pdf_table",
        "arrow_lines",
        "prose",
    ]
    ex = extract(normalise(TEXT), catalog, Context(None, None))
    assert ex.layouts == ["arrow_lines", "prose"]
    (hic,) = [f for f in ex.figures if f.indicator_code == "health_insurance_coverage"]
    assert (hic.year, hic.kind, hic.comparator, hic.value) == (2025, "target", ">", 95)
    assert hic.reader == "arrow_lines" and hic.label_reported == "Tỷ lệ tham gia bảo hiểm y tế"
    # prose reads what the new reader did not consume, and nothing twice
    assert [f.reader for f in ex.figures] == ["arrow_lines", "prose"]
    assert not ex.unmapped


MIXED = (
    "STT\tChỉ số\tĐơn vị tính\tKế hoạch 2024\n01\tBác sĩ/ vạn dân\tBác sĩ\t9,8\n\n"
    "TT Chỉ tiêu Đơn vị Kế hoạch năm 2025\n1 Tỷ lệ tham gia bảo hiểm y tế % 95\n\n"
    "II. MỤC TIÊU\n- Tỷ lệ hài lòng của người dân với dịch vụ y tế đạt trên 90% năm 2025.\n"
)


@pytest.mark.parametrize("reader", [Nothing, EveryLineNoRows])
def test_a_reader_that_recognises_nothing_leaves_the_lines_to_prose(registered, catalog, reader):
    before = extract(normalise(MIXED), catalog, Context(None, None))
    assert before.layouts == ["tsv_table", "pdf_table", "prose"]
    assert len(before.figures) == 3
    registered(reader)
    assert extract(normalise(MIXED), catalog, Context(None, None)) == before


class Stuck(EveryLineNoRows):
    name = "stuck"
    rank = 26

    def read(self, block: Block) -> BlockRead:
        return BlockRead(block.start, False)


def test_a_reader_that_does_not_move_on_is_an_error(registered, catalog):
    registered(Stuck)
    with pytest.raises(RuntimeError, match="stuck read no further than line 0"):
        extract(normalise(MIXED), catalog, Context(None, None))


def test_names_and_ranks_are_unique_and_required():
    class SameRank(Nothing):
        name = "same_rank"
        rank = 20  # pdf_table's

    class SameName(Nothing):
        name = "prose"
        rank = 91

    class Unranked(LayoutReader[Block]):
        name = "unranked"

    for reader in (SameRank, SameName):
        with pytest.raises(ValueError, match="clashes with"):
            register(reader)
    with pytest.raises(TypeError, match="rank"):
        register(Unranked)
    assert [r.name for r in readers()] == [*STATISTICS, "tsv_table", "pdf_table", "prose"]
