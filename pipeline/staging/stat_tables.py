"""What the statistics readers share beyond lines: a table's caption (its title, unit line and
column headers above the figures), the indicator a label or a caption names, the place a row
names, and turning a row of cells into figures or into unmapped text.

Statistics offices report results, so every figure here is an ``actual`` unless its column is
named by a target word; a figure that cannot be placed with certainty (its year, its place, its
indicator, its unit) goes to ``unmapped`` with the reason, never to a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.reference import Match
from pipeline.staging.cells import Cell
from pipeline.staging.columns import Column
from pipeline.staging.records import Unmapped
from pipeline.staging.rows import (
    LabelledRow,
    RowLabel,
    RowPlace,
    RowUnit,
    choose,
    counts_a_share,
    emit_row,
)
from pipeline.staging.stat_lines import StatDoc, is_noise, is_page_strip
from pipeline.staging.state import DocumentState, Line
from pipeline.text import fold_phrase, phrase_regex

_LONGEST_CAPTION_LINE = 150  # longer lines are sentences (a digest before the table)
_CAPTION_LINES = 14  # the most caption lines read above a table
_TABLE_NUMBER = re.compile(r"\s*\d{1,4}\s*")
# a numbered title ('24    Tuổi thọ trung bình ...'): the table's number, a wide gap, words
_NUMBERED_TITLE = re.compile(r"\s*\d{1,4}\.?\s{2,}[^\W\d]")
_ROW_NUMBER = re.compile(r"^\s*(?:\d{1,3}|[ivxlc]{1,5})[.)]\s+", re.I)
_UNIT_IN_PARENS = re.compile(r"\(([^()]{1,40})\)")
_UNIT_VALUE = re.compile(r"[:\-]\s*([^:]*?)\s*\)?\s*$")
_DASHED = re.compile(r"\s+-\s+")
_FIRST_PART = re.compile(r"^\s*(.+?)(?:\s+-\s+|\s*$)")  # 'Người' of 'Người - Person'
_PIECES = re.compile(r"\s{2,}")  # header cells on a line
_LANGUAGES = re.compile(r"\s+-\s+|^\s*-\s*|\s*-\s*$")  # 'Tổng số - Total'
_FOOTNOTE_MARK = re.compile(r"\(\W{0,3}\)|\*+(?=\s|$)")  # 'Huyện Mường Tè(*)', 'Mường Lay**'


@dataclass(slots=True)
class Caption:
    """The words above a table's figures: its title, unit line and column headers."""

    lines: list[int]  # their line indexes, in document order
    folded: str  # their folded text, joined by spaces
    title: RowLabel  # the first line of words: the label figures read from the caption carry
    unit: RowUnit
    by_place: bool  # the title says each row is a place ('phân theo huyện')


def caption_above(sd: StatDoc, first: int, floor: int, limit: int = _CAPTION_LINES) -> Caption:
    """The caption of a table whose header or first row is line ``first``: the lines of words
    above it, up to ``floor``, a consumed line, a row of figures or a sentence. Page furniture,
    page-number strips and table numbers on their own line are passed over."""
    state = sd.state
    found: list[int] = []
    i = first - 1
    while i >= floor and len(found) < limit:
        line = state.lines[i]
        i -= 1
        if line.blank or is_noise(sd.words, line) or is_page_strip(line):
            continue
        if state.consumed[line.no] or len(line.stripped) > _LONGEST_CAPTION_LINE:
            break
        if _NUMBERED_TITLE.match(line.text):
            found.append(line.no)  # the table's own title, whatever a heading above says
            continue
        if _states_a_figure(sd, line):
            break  # a sentence ('năm 2022: … là 58,40'): prose before the table
        cells = sd.cells(line)
        if cells.value_only and _TABLE_NUMBER.fullmatch(line.folded):
            continue  # a table or page number on its own line
        if cells.spans:
            break  # a row of figures: the table above ends here
        found.append(line.no)
    found.reverse()
    return make_caption(sd, found)


def _states_a_figure(sd: StatDoc, line: Line) -> bool:
    """Whether a line states a figure as prose does: with a comparator or a unit."""
    state = sd.state
    if not state.has_free_digit(line.start, line.end):
        return False
    found = state.grammar.mentions(state.doc.folded, line.start, line.end, state.mask)
    return any(m.comparator is not None or m.unit_code is not None for m in found)


def make_caption(sd: StatDoc, lines: list[int]) -> Caption:
    """A caption of the given lines (maybe none)."""
    state = sd.state
    folded = " ".join(state.lines[i].folded.strip() for i in lines)
    title_line = next((state.lines[i] for i in lines if not _is_unit_line(sd, i)), None)
    if title_line is None:
        at = state.lines[lines[0]].start if lines else 0
        title = RowLabel("", at, at)
    else:
        start = title_line.start + len(title_line.text) - len(title_line.text.lstrip())
        title = RowLabel(" ".join(title_line.text.split()), start, title_line.end)
    by_place = sd.words.by_place.search(folded) is not None
    return Caption(lines, folded, title, _caption_unit(sd, lines), by_place)


def _is_unit_line(sd: StatDoc, i: int) -> bool:
    return sd.words.unit_line.match(sd.state.lines[i].folded) is not None


def is_unit_line(sd: StatDoc, i: int) -> bool:
    """A line naming a table's unit: 'Đơn vị tính - Unit: %', or a unit alone ('Người -
    Person', '‰')."""
    line = sd.state.lines[i]
    if _is_unit_line(sd, i):
        return True
    text = line.folded.strip()
    if not text or len(text.split()) > 4:
        return False
    value = _DASHED.split(text)[0].strip(" -")
    return bool(value) and _whole_unit(sd, value)


def _whole_unit(sd: StatDoc, text: str) -> bool:
    """Whether ``text`` is wholly one unit alias."""
    grammar = sd.state.grammar
    code, _kind, start = grammar.unit_suffix(text)
    return code is not None and start == 0


def _caption_unit(sd: StatDoc, lines: list[int]) -> RowUnit:
    """The unit a caption names, as printed: the value of its unit line ('Đơn vị tính - Unit:
    %'), a unit in parentheses after 'ĐVT' in the title, or a short line that is a unit
    ('Người - Person')."""
    state, grammar = sd.state, sd.state.grammar
    for i in lines:
        line = state.lines[i]
        folded = line.folded
        if sd.words.unit_line.match(folded):
            m = _UNIT_VALUE.search(folded)
        elif (m := sd.words.unit_in_title.search(folded)) is None and len(folded.split()) <= 4:
            m = _FIRST_PART.search(folded)
        if m is None:
            continue
        value = m.group(1)
        code, kind = grammar.unit_from_text(value)
        if code is not None and (kind != "noun" or grammar.unit_from_text(value.split()[0])[0]):
            return RowUnit(" ".join(line.text[m.start(1) : m.end(1)].split()), code, kind)
    return RowUnit()


def paren_unit(sd: StatDoc, a: int, b: int) -> RowUnit:
    """The unit a label gives in parentheses ('(Người)', '(%)', '(Người - Person)'): wholly a
    unit, so that a note ('(Kể cả tiến sĩ …)', which holds 'ca') names none."""
    state = sd.state
    folded = state.doc.folded
    for m in _UNIT_IN_PARENS.finditer(folded, a, b):
        inner = _DASHED.split(m.group(1).strip())[0].strip()
        code, kind = state.grammar.unit_from_text(inner) if _whole_unit(sd, inner) else (None, None)
        if code is not None:
            return RowUnit(state.printed(m.start(1), m.end(1)), code, kind)
    return RowUnit()


def header_groups(sd: StatDoc, lines: list[int]) -> tuple[list[str], list[str]]:
    """Column headers one word group per line or several per line, in Vietnamese and in
    English, in order: a piece (cells are parted by runs of spaces, languages by ' - ') opening
    with a capital letter opens a group, one in lower case continues the last group of its
    language; unit lines and filler words ('Chia ra - Of which') name no column."""
    groups: dict[bool, list[str]] = {True: [], False: []}
    for i in lines:
        line = sd.state.lines[i]
        if is_unit_line(sd, i):
            continue
        for cell in _PIECES.split(line.text.strip()):
            for piece in _LANGUAGES.split(cell):
                piece = piece.strip(" ,")
                if not any(ch.isalpha() for ch in piece) or _is_filler(sd, piece):
                    continue
                vi = any(ch.isalpha() and ord(ch) > 127 for ch in piece)
                same = groups[vi]
                if piece[0].islower() and same:
                    same[-1] += " " + piece
                else:
                    same.append(piece)
    return groups[True], groups[False]


def _is_filler(sd: StatDoc, piece: str) -> bool:
    """A header piece that names no column ('Chia ra', 'Of which')."""
    return sd.words.header_filler.fullmatch(fold_phrase(piece).strip(" :")) is not None


# ----------------------------------------------------------------------------- indicators


def match_label(
    sd: StatDoc, label: str, unit: RowUnit, context: str = "", cells: list[Cell] | None = None
) -> tuple[Match | str, bool]:
    """The one indicator a folded row label names (or why none), and whether any matched.

    Tried in turn: the label alone; the label with ``context`` (the table's title, the parent
    row); and, in a row that names no rate, the label read as a count ('Bác sĩ' under a staff
    table is 'Số bác sĩ').
    """
    state = sd.state
    grammar, catalog = state.grammar, state.catalog
    has_den = (
        grammar.has_denominator(label)
        or unit.kind == "rate"
        or any(c.mention is not None and c.mention.unit_kind == "rate" for c in cells or [])
    )
    matches = catalog.match(label, has_denominator=has_den)
    if not matches and context:
        matches = catalog.match(label, context=context, has_denominator=has_den)
    if not matches and not has_den and sd.words.count_prefix:
        matches = catalog.match(f"{sd.words.count_prefix} {label.strip()}")
    choice = choose(catalog, matches, unit.code)
    if not isinstance(choice, str) and counts_a_share(state, choice.code, unit, label):
        return f"a count of what {choice.code} is the share of", True
    return choice, bool(matches)


@dataclass(slots=True)
class Lineage:
    """What the rows above a row tell it: the indicator of the row just above (a 'Trong đó' row
    naming it again is a part of it), and the last count row with its unit in parentheses
    ('Giường bệnh (Giường)'), whose rows without a unit below it count its parts ('Bệnh viện -
    Hospital': beds in hospitals, not hospitals). A table whose title names a count ('Số giường
    bệnh', 'Số cơ sở khám, chữa bệnh') starts with its title as that parent, and its total row
    ('TỔNG SỐ - TOTAL') holds the title's indicator."""

    previous: str = ""
    parent: str = ""  # folded label of that count row, '' when the rows above have none
    total: str = ""  # the indicator of the title's count: what a total row holds


def lineage_of(sd: StatDoc, caption: Caption) -> Lineage:
    """The lineage a table's first row starts with: its title's count as the parent, if the
    title names one indicator counted in ``count``."""
    choice = caption_indicator(sd, caption)
    if isinstance(choice, str) or sd.state.catalog.indicators[choice.code].unit != "count":
        return Lineage()
    return Lineage(parent=caption.folded, total=choice.code)


def is_total_label(sd: StatDoc, folded: str) -> bool:
    """Whether a folded row label is wholly words for the total, in one or two languages
    ('TỔNG SỐ - TOTAL', 'Tổng số')."""
    parts = [" ".join(p.split()) for p in _DASHED.split(folded.strip(" -"))]
    return bool(parts) and all(p in sd.words.totals for p in parts)


def row_indicator(
    sd: StatDoc, label: str, unit: RowUnit, context: str, lineage: Lineage, cells: list[Cell]
) -> tuple[str | None, str, str]:
    """The indicator a table row's folded label names, or None with a reason code and reason;
    ``lineage`` learns from the row.

    A row without a unit under a count row is a part of it: it names an indicator only where
    the catalog names that part with its parent ('Số cơ sở y tế' / 'Bệnh viện' is the number of
    hospitals; 'Giường bệnh' / 'Bệnh viện' is no indicator)."""
    parent, previous = lineage.parent, lineage.previous
    if lineage.total and is_total_label(sd, label):
        lineage.previous = lineage.total
        return lineage.total, "", ""
    if unit.code is None and parent:
        choice, matched = _part_of(sd, label, parent)
    else:
        choice, matched = match_label(sd, label, unit, context, cells)
    if unit.code is not None:  # a row with its own unit: the parent of the rows below, or none
        counts = isinstance(choice, str) or sd.state.catalog.indicators[choice.code].unit == "count"
        lineage.parent = label if unit.kind == "noun" and counts else ""
    lineage.previous = "" if isinstance(choice, str) else choice.code
    if isinstance(choice, str):
        code = "part_of_row" if unit.code is None and parent else "no_indicator"
        return None, "ambiguous" if matched and code == "no_indicator" else code, choice
    if is_part_of_row(sd, label) and choice.code == previous:
        return None, "part_of_row", f"a part of the row above, not {choice.code} itself"
    return choice.code, "", ""


def column_indicator(sd: StatDoc, label: str, unit: RowUnit, parent: str) -> Match | str:
    """The indicator a category column's folded header names: its own; or, under a title that
    names a count (``parent``, see ``lineage_of``), the part of that count the catalog names
    with it ('Số cơ sở y tế' / 'Bệnh viện': hospitals; 'Số giường bệnh' / 'Bệnh viện': beds in
    hospitals, no indicator)."""
    if parent:
        return _part_of(sd, label, parent)[0]
    return match_label(sd, label, unit)[0]


def _part_of(sd: StatDoc, label: str, parent: str) -> tuple[Match | str, bool]:
    """The indicator of a part of a count row: one the catalog names with its parent."""
    catalog = sd.state.catalog
    found = catalog.match(label, context=parent)
    named = [m for m in found if _named_with(sd, m.code, parent, label)]
    if not named:
        reason = "a part of the count row above it, which the catalog names no indicator for"
        return reason, bool(found)
    return choose(catalog, named, None), True


def _named_with(sd: StatDoc, code: str, parent: str, label: str) -> bool:
    """Whether the catalog names ``code`` by a group of phrases standing partly in the parent
    row's label and the rest in the row's own ('Số cơ sở y tế' + 'Bệnh viện')."""
    for entry in sd.state.catalog.indicators[code].match:
        group = [fold_phrase(p) for p in (entry if isinstance(entry, list) else [entry])]
        in_parent = [re.search(phrase_regex(p), parent) is not None for p in group]
        in_label = [re.search(phrase_regex(p), label) is not None for p in group]
        if (
            any(in_parent)
            and any(in_label)
            and all(a or b for a, b in zip(in_parent, in_label, strict=True))
        ):
            return True
    return False


def caption_indicator(sd: StatDoc, caption: Caption) -> Match | str:
    """The indicator a caption names (the table's one indicator when its rows are places or
    years), with the caption's unit and denominators."""
    if not caption.folded.strip():
        return "the table has no title naming an indicator"
    choice, _any = match_label(sd, caption.folded, caption.unit)
    return choice


# --------------------------------------------------------------------------------- places


def place_of(sd: StatDoc, texts: list[str]) -> tuple[RowPlace | None, str]:
    """The place a row names within the document's place, or None with the reason.

    ``texts`` are the row's label lines: each is tried whole, then without its English half
    ('Huyện Đà Bắc - Da Bac district'), a row number ('1. Thành phố …') and a trailing dash
    taken off; a row naming the whole ('Tổng số', 'TỔNG SỐ - TOTAL', 'Toàn tỉnh') is the
    document's place.
    """
    ctx = sd.state.context
    if ctx.places is None or ctx.geo_code is None:
        return None, "the document's place is not known, so its rows cannot be placed"
    reason = ""
    for text in texts:
        name = _FOOTNOTE_MARK.sub("", _ROW_NUMBER.sub("", text)).strip(" \t-|")
        if not name:
            continue
        parts = _DASHED.split(name)
        if all(is_total(sd, part) for part in parts):  # 'Tổng số', 'TỔNG SỐ - TOTAL'
            return RowPlace(name, ctx.geo_code), ""
        for n in range(len(parts), 0, -1):
            candidate = " - ".join(parts[:n])
            placed = ctx.places.within(ctx.geo_code, candidate)
            if placed.code is not None:
                return RowPlace(candidate, placed.code), ""
            if n == 1 and not reason:
                reason = placed.reason  # the first line's Vietnamese name says why
    return None, reason or "the row names no place"


def row_split(sd: StatDoc, text: str) -> tuple[str, str] | None:
    """The split a row label names wholly, in one or two languages ('Nam - Male' -> ('sex',
    'male'), 'Tổng số - Total' -> ('any', 'total')), or None."""
    found = {sd.words.splits.get(" ".join(part.lower().split())) for part in _DASHED.split(text)}
    if len(found) != 1 or None in found:
        return None
    return found.pop()


def split_column(column: Column, axis: str, value: str) -> Column:
    """A year column of a row that is a split ('Nam': its figures are the males')."""
    sex = value if axis == "sex" else column.sex
    residence = value if axis == "residence" else column.residence
    return Column(
        column.year,
        column.kind,
        column.is_estimate,
        column.header,
        column.preliminary,
        sex,
        residence,
    )


def is_total(sd: StatDoc, text: str) -> bool:
    """Whether a header or row label is wholly a word for the total ('Tổng số', 'TOTAL')."""
    return sd.words.splits.get(" ".join(text.lower().split()), ("", ""))[1] == "total"


# ----------------------------------------------------------------------------------- rows


@dataclass(slots=True)
class StatRow:
    """A row of a statistics table, ready to become figures: its label, unit, cells by column
    (None for a dash or ellipsis: a column without a figure), span and indicator."""

    label: RowLabel
    unit: RowUnit
    cells: list[tuple[Column, Cell | None]]
    start: int
    end: int
    reader: str
    indicator: str
    place: RowPlace | None = None


def emit_stat_row(sd: StatDoc, row: StatRow) -> None:
    """The row's figures; a row whose cells print rates of two kinds ('2,10' per 10,000 beside
    a '10%' target) is unmapped rather than read in one unit."""
    state = sd.state
    pairs = [(col, cell) for col, cell in row.cells if cell is not None]
    if not pairs:
        return
    units = {
        c.mention.unit_code
        for _col, c in pairs
        if c.mention is not None and c.mention.unit_kind == "rate"
    }
    label_den = state.grammar.denominator_unit(state.doc.folded[row.label.start : row.label.end])
    if row.unit.kind == "rate" and row.unit.code:
        label_den = label_den or row.unit.code
    if len(units) > 1 or (units and label_den and units != {label_den}):
        printed = ", ".join(sorted(units | ({label_den} if label_den else set())))
        reason = f"the row's figures are in different units ({printed}): read in none"
        unmapped(sd, row.start, row.end, "mixed_units", reason)
        return
    emit_row(
        state,
        LabelledRow(
            row.label, row.unit, pairs, row.start, row.end, row.reader, row.indicator, row.place
        ),
    )


def unmapped(sd: StatDoc, start: int, end: int, code: str, reason: str) -> None:
    """Record text the reader saw but could not attribute."""
    sd.state.unmapped.append(Unmapped(start, max(end, start + 1), code, reason))


def is_part_of_row(sd: StatDoc, label: str) -> bool:
    """Whether a label opens with 'Trong đó' / 'Of which': a part of the row above it."""
    return sd.words.of_which.match(label) is not None


def folded_label(sd: StatDoc, spans: list[tuple[int, int]]) -> str:
    """The folded text of a label spread over several spans (lines), joined by spaces."""
    folded = sd.state.doc.folded
    return " ".join(folded[a:b].strip() for a, b in spans)


def printed_label(sd: StatDoc, spans: list[tuple[int, int]]) -> str:
    """The label as printed (normalised text, whitespace collapsed)."""
    text = sd.state.doc.text
    return " ".join(" ".join(text[a:b].split()) for a, b in spans).strip()


def reports(state: DocumentState, columns: list[Column]) -> None:
    """Note the latest year the document reports results for (see ``reported_through``)."""
    years = [c.year for c in columns if c.year is not None and c.kind == "actual"]
    if years:
        state.reported_through = max([*years, state.reported_through or years[0]])
