"""Staging tests read small synthetic documents with the real catalog."""

from __future__ import annotations

import pytest

from pipeline.reference import load_catalog, load_resolver
from pipeline.staging import Context, Extraction, extract
from pipeline.text import Document, normalise

CAT = load_catalog()
PLACES = load_resolver()


def _read(text: str, title_year: int | None = None, default_year: int | None = None):
    doc = normalise(text)
    ex = extract(doc, CAT, Context(title_year, default_year))
    figs = {}
    for f in ex.figures:
        figs.setdefault((f.indicator_code, f.year, f.kind), []).append(f)
    return ex, figs, doc


def _one(figs, code, year, kind="target"):
    found = figs.get((code, year, kind), [])
    assert len(found) == 1, f"{code} {year} {kind}: {found}"
    return found[0]


@pytest.fixture(scope="session")
def catalog():
    """The catalog of data/reference, loaded once."""
    return CAT


@pytest.fixture(scope="session")
def read():
    """read(text, title_year=None, default_year=None) -> (extraction, figures by
    (indicator, year, kind), document)."""
    return _read


@pytest.fixture(scope="session")
def one():
    """one(figs, code, year, kind='target'): the only figure of that key (asserted)."""
    return _one


def _read_page(text: str, geo: str = "Lai Châu") -> tuple[Extraction, Document]:
    """A statistics page of the place ``geo`` (its rows are placed within it)."""
    doc = normalise(text)
    context = Context(None, None, geo_code=PLACES.resolve(geo), places=PLACES)
    return extract(doc, CAT, context), doc


@pytest.fixture(scope="session")
def read_page():
    """read_page(text, geo='Lai Châu') -> (extraction, document): a page read as a document of
    that place would be, its rows placed within it."""
    return _read_page
