"""Column headers: years, kinds and estimates; headers of names are no figure columns."""

from __future__ import annotations

import shutil

import pytest
import yaml

from pipeline.settings import REFERENCE_DIR
from pipeline.staging.columns import parse_columns
from pipeline.text import fold
from pipeline.text.grammar import Grammar


def columns(grammar, header: str) -> list[tuple]:
    return [(c.year, c.kind, c.is_estimate) for c in parse_columns(grammar, fold(header))]


def test_year_columns_kinds_and_estimates(catalog):
    g = catalog.grammar
    assert columns(g, "Thực hiện năm 2023 Kế hoạch đến năm 2025") == [
        (2023, "actual", False),
        (2025, "target", False),
    ]
    assert columns(g, "Ước thực hiện 2023") == [(2023, "actual", True)]
    # a period is one column, named by its last year; a bare year's kind is left to the context
    assert columns(g, "Giai đoạn 2026-2030") == [(2030, "", False)]


def test_a_preliminary_column_is_marked(catalog):
    """'Sơ bộ 2022' (a statistics office's preliminary result) is a bare year, marked."""
    found = parse_columns(catalog.grammar, fold("Sơ bộ 2022"))
    assert [(c.year, c.kind, c.preliminary) for c in found] == [(2022, "", True)]
    assert not parse_columns(catalog.grammar, fold("Thực hiện 2022"))[0].preliminary


def test_headers_without_years_are_columns_only_if_made_of_kind_and_filler_words(catalog):
    g = catalog.grammar
    assert columns(g, "Kế hoạch của năm Thực hiện") == [
        (None, "target", False),
        (None, "actual", False),
    ]
    assert columns(g, "Đơn vị chủ trì thực hiện") == []  # a column of names


@pytest.fixture()
def edited_grammar(tmp_path):
    """A Grammar compiled from a copy of data/reference whose lexicon the test edits."""

    def build(**entries) -> Grammar:
        ref = tmp_path / "reference"
        shutil.copytree(REFERENCE_DIR, ref, dirs_exist_ok=True)
        path = ref / "lexicon.yaml"
        lex = yaml.safe_load(path.read_text(encoding="utf-8"))
        lex.update(entries)
        path.write_text(yaml.safe_dump(lex, allow_unicode=True), encoding="utf-8")
        return Grammar(ref)

    return build


def test_filler_and_heading_words_come_from_the_lexicon(catalog, edited_grammar):
    header = "Kế hoạch của năm Thực hiện"
    g = edited_grammar(column_filler_words=["năm"])  # 'của' is no filler any more
    assert columns(g, header) == []
    assert g.column_filler.pattern != catalog.grammar.column_filler.pattern
    g = edited_grammar(heading_words=["biểu"], column_filler_words=[])
    assert g.heading_words.match("bieu 2") and not g.heading_words.match("phu luc 2")
    assert columns(g, "Kế hoạch Thực hiện") == [(None, "target", False), (None, "actual", False)]
