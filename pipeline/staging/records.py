"""What staging hands on to harmonise: figures as printed, the text it could not place, and the
layouts it read. Nothing is dropped silently: a figure no reader can place becomes ``Unmapped``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Figure:
    """A figure read from a document, before harmonisation."""

    indicator_code: str
    year: int | None
    kind: str  # actual | target
    is_estimate: bool
    comparator: str | None
    value: float | None
    value_reported: str
    unit_reported: str | None
    unit_code_reported: str | None
    label_reported: str
    start: int
    end: int
    reader: str
    condition: str | None = None
    qualitative: bool = False
    range_high: float | None = None
    notes: list[str] = field(default_factory=list)
    # Where the figure's own row names a place (a district of the document's province, a
    # province of the country): that place as printed and its code. None: the document's place.
    place_reported: str | None = None
    geo_code: str | None = None
    sex: str = "total"  # total | male | female: a split figure never passes for the total
    residence: str = "total"  # total | urban | rural
    preliminary: bool = False  # marked preliminary by its source ('Sơ bộ', 'Prel.')
    # Where a table row cites the figure's own source (a compilation of cited figures): the
    # instrument, the page's URL and what kind of page it is; whether the figure is official
    # statistics (None: as the document's sidecar says).
    cited_instrument: str | None = None
    cited_url: str | None = None
    cited_published_as: str | None = None
    official_statistics: bool | None = None


@dataclass
class Unmapped:
    """Figure-bearing text that maps to no indicator or no year, with the reason, so that a
    catalog gap shows in the warehouse instead of vanishing."""

    start: int
    end: int
    reason_code: str
    reason: str


@dataclass
class Extraction:
    """A document's figures, its unmapped text and the layouts read, in reading order."""

    figures: list[Figure]
    unmapped: list[Unmapped]
    layouts: list[str]
