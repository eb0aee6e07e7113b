"""Staging tests read small synthetic documents with the real catalog."""

from __future__ import annotations

import pytest

from pipeline.reference import load_catalog
from pipeline.staging import Context, extract
from pipeline.text import normalise

CAT = load_catalog()


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
