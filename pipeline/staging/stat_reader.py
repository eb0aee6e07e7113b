"""The common ground of the statistics readers (``target_table``, ``year_table``,
``year_rows``, ``category_table``): the document's statistics view, shared by all of them, and
the only lines each one's blocks can start on, found by one scan of the document per reader so
that a plan, which has none of them, costs next to nothing."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import TypeVar

from pipeline.staging.layout import Block, LayoutReader
from pipeline.staging.stat_lines import StatDoc, stat_doc
from pipeline.staging.state import DocumentState

B = TypeVar("B", bound=Block)


class StatReader(LayoutReader[B]):
    """A reader of statistics tables; ``anchors`` names where its blocks can start."""

    def __init__(self, state: DocumentState):
        super().__init__(state)
        self.sd: StatDoc = stat_doc(state)
        found = {no for rx in self.anchors() for no, _m in state.at_line_starts(rx)}
        self._anchors = sorted(found)

    def anchors(self) -> list[re.Pattern[str]]:
        """Regexes matching at the start of each line a block of the layout can start on (each
        opening with a literal or a short class, so that one scan of the text stays cheap)."""
        raise NotImplementedError

    def anchors_from(self, start: int) -> list[int]:
        """The anchor lines at or after ``start`` that no reader has consumed, in order."""
        consumed = self.state.consumed
        return [i for i in self._anchors[bisect_left(self._anchors, start) :] if not consumed[i]]
