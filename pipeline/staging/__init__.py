"""Staging layer: find every figure in a document, whatever its layout.

Layout readers share one document state (``state``), one grammar and one catalog, and run in
the order of their rank (``layout``):

* official statistics first (``target_table``, ``year_table``, ``year_rows``,
  ``category_table``) — statistical yearbooks, the Ministry of Health's yearbook and statistics
  portals: year headers split over lines, places by row, years by row split by sex or
  residence, one-cell-per-line target tables, one-year tables of category columns;
* ``tsv_table`` — tab-separated tables with year columns (``Thực hiện 2023 | Kế hoạch 2024``);
* ``pdf_table`` — tables flattened line by line from PDF: wrapped rows, header cells split over
  lines, row numbers like ``15.1``, sub-rows ``- Tuyến tỉnh``, notes in cells, page-break headers;
* ``prose``     — targets in running text, numbered objectives and bullet lists under headings
  such as ``Đến năm 2025``, including lists that share one unit at the end; it reads whatever
  lines the table readers did not consume.

Table readers hand their rows to ``rows``, which turns a label and its cells into figures. Each
figure keeps its span in the document, from which the warehouse takes line numbers and the
verbatim quote. Nothing here knows any particular document: layout is recognised from the text.
"""

from __future__ import annotations

import importlib
import pkgutil

from pipeline.staging.layout import LayoutReader, extract, readers, register, unregister
from pipeline.staging.records import Extraction, Figure, Unmapped
from pipeline.staging.state import Context

EXTRACTOR_VERSION = "1.1.0"  # 1.1: official statistics readers

# Every module of the package, so that each layout reader registers itself: a new layout is a
# new module. The order readers run in comes from their ranks, not from this loop.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "EXTRACTOR_VERSION",
    "Context",
    "Extraction",
    "Figure",
    "LayoutReader",
    "Unmapped",
    "extract",
    "readers",
    "register",
    "unregister",
]
