"""What a line of a statistics page holds: its cells, a year header, a year row's label, split
words, page furniture. Small lines written for each trap of the layouts."""

from __future__ import annotations

import pytest

from pipeline.reference import load_catalog
from pipeline.staging.stat_lines import (
    header_years,
    is_noise,
    is_page_strip,
    split_words,
    stat_doc,
    year_label,
)
from pipeline.staging.state import Context, DocumentState
from pipeline.text import normalise

CAT = load_catalog()


def lines(text: str):
    state = DocumentState(normalise(text), CAT, Context(None, None))
    return stat_doc(state), state


def cells_of(text: str) -> tuple[list[str], str, bool]:
    """The printed cells of a one-line text, the words before them, and whether it is all
    cells."""
    sd, state = lines(text)
    found = sd.cells(state.lines[0])
    printed = [state.doc.text[a:b] for a, b in found.spans]
    return printed, state.doc.text[: found.label_end].strip(), found.value_only


@pytest.mark.parametrize(
    ("text", "cells", "label", "value_only"),
    [
        (
            "Huyện Đà Bắc - Da Bac district 3,85 4,02 4,10",
            ["3,85", "4,02", "4,10"],
            "Huyện Đà Bắc - Da Bac district",
            False,
        ),
        ("3 - - 1 -", ["3", "-", "-", "1", "-"], "", True),
        ("… … … … …", ["…"] * 5, "", True),
        ("TỔNG SỐ -", [], "TỔNG SỐ -", False),  # the dash belongs to the label
        ("Tỷ lệ trẻ em dưới 5 tuổi bị suy dinh dưỡng (%) -", [], None, False),
        ("≥ 95", ["≥ 95"], "", True),  # a comparator before a figure joins it
        (">90", [">90"], "", True),
        ("Hà Nội | 1.234 | 1.290 |", ["1.234", "1.290"], "Hà Nội", False),
        ("Giường bệnh tính bình quân 1 vạn dân số 49,85 52,10", ["49,85", "52,10"], None, False),
        ("Tỷ lệ trẻ sơ sinh có trọng lượng dưới 2500 gram", [], None, False),
        ("Bác sĩ bình quân 1 vạn dân (Người)", [], None, False),
        # a district named by a number: the number is the name's ('Quận 1 - District 1')
        ("Quận 1 - District 1   6.240   6.310", ["6.240", "6.310"], "Quận 1 - District 1", False),
        ("Quận 10", [], "Quận 10", False),
        ("3. Q. 3   3.120", ["3.120"], "3. Q. 3", False),
        # after a name, 'district' closes it: the number is a cell
        ("Quận Gò Vấp - Go Vap district 780 815", ["780", "815"], None, False),
    ],
)
def test_the_cells_that_end_a_line(text: str, cells: list[str], label, value_only: bool) -> None:
    got, words, only = cells_of(text)
    assert got == cells
    assert only is value_only
    if label is not None:
        assert words == label


def test_a_number_whose_label_mask_runs_on_into_the_next_line_is_a_cell() -> None:
    """'127' above 'Bệnh viện' is masked as '127 bệnh viện' across the break: it is a cell."""
    sd, state = lines("Cơ sở y tế\n127\nBệnh viện\n")
    assert sd.cells(state.lines[1]).value_only


@pytest.mark.parametrize(
    ("text", "years", "prelim"),
    [
        ("2015 2018 2019 2020", [2015, 2018, 2019, 2020], False),
        ("Sơ bộ", [], True),
        ("    2019         2020         Prel.", [2019, 2020], True),
        ("Prel. 2022", [2022], True),
        ("  2016 2018 2020 2021 Sơ bộ 2022", [2016, 2018, 2020, 2021, 2022], True),
        ("2021      2022     Sơ bộ - Prel. 2023", [2021, 2022, 2023], True),
        ("2019 |", [2019], False),
        # the head of a unit column before the years (a yearbook's overview table)
        ("   Đơn vị tính     2019    2020    2021    Sơ bộ", [2019, 2020, 2021], True),
        ("   Unit                                    Prel. 2022", [2022], True),
    ],
)
def test_year_header_lines(text: str, years: list[int], prelim: bool) -> None:
    sd, state = lines(text)
    assert header_years(sd.words, state.lines[0]) == (years, prelim)


@pytest.mark.parametrize(
    "text",
    [
        "2.016",
        "1985 1986",
        "Kế hoạch 2025",
        "-",
        "2019 31,2 34,0",
        "2016 - 2020",
        "Đơn vị tính - Unit: %",
        "Unit",
    ],
)
def test_lines_that_are_no_year_header(text: str) -> None:
    sd, state = lines(text)
    assert header_years(sd.words, state.lines[0]) is None


@pytest.mark.parametrize(
    ("label", "found"),
    [
        ("2019", (2019, False)),
        ("so bo - prel 2019", (2019, True)),
        ("so bo - prel . 2023", (2023, True)),
        ("so bo - prel. 2022", (2022, True)),
        ("dan so va lao dong", None),
        ("1985", None),
    ],
)
def test_year_row_labels(label: str, found) -> None:
    sd, _state = lines("x")
    assert year_label(sd.words, label) == found


@pytest.mark.parametrize(
    ("text", "splits"),
    [
        ("Nam - Male", [("sex", "male"), ("sex", "male")]),
        ("Nữ - Female", [("sex", "female"), ("sex", "female")]),
        (
            "       Total       Thành thị     Nông thôn",
            [("any", "total"), ("residence", "urban"), ("residence", "rural")],
        ),
        ("Tổng số        Chia ra - Of which", [("any", "total")]),
        ("Năm - Year", []),  # the year column is not 'Nam' (male): diacritics count
        ("Thành thị -", [("residence", "urban")]),
        ("Tỷ suất sinh thô phân theo thành thị, nông thôn", []),  # a title, not a header
    ],
)
def test_split_words_are_whole_cells(text: str, splits) -> None:
    sd, state = lines(text)
    assert split_words(sd.words, state.lines[0]) == splits


def test_page_furniture() -> None:
    sd, state = lines(
        "Page 287 - merged_files\nP. 498\nBasic HTML Version\n"
        "  282   283   284   285   286\n16 17 19 20\n286\n"
    )
    noise = [is_noise(sd.words, line) for line in state.lines[:6]]
    assert noise == [True, True, True, False, False, False]
    assert [is_page_strip(line) for line in state.lines[3:6]] == [True, False, False]
