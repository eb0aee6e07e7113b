"""The layout readers' common interface, their registry, and the driver that runs them.

A layout is a module of this package holding a ``LayoutReader`` subclass decorated with
``@register``: the package imports each of its modules, so a new layout is a new module (and its
tests) and nothing else changes. Readers run one after another by ``rank``, lowest first, each
over the whole document. A table reader marks the lines it reads as consumed; the prose reader
runs last and reads every line no other reader consumed, so a reader that recognises nothing
leaves its lines to prose.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Generic, NamedTuple, TypeVar

from pipeline.reference import Catalog
from pipeline.staging.records import Extraction
from pipeline.staging.state import Context, DocumentState
from pipeline.text import Document


@dataclass(frozen=True)
class Block:
    """A run of lines a reader recognised; each reader adds what reading it needs."""

    start: int  # index of its first line


class BlockRead(NamedTuple):
    """Where a reader got to: the line to look for its next block from (past the block), and
    whether the block held the layout (a header with no rows under it does not)."""

    next_line: int
    found: bool


B = TypeVar("B", bound=Block)


class LayoutReader(ABC, Generic[B]):
    """One layout: how to recognise a block of it, and how to read one.

    An instance reads one document, so it may keep what it learns about that document.
    """

    name: ClassVar[str]  # recorded in Extraction.layouts and in each figure's ``reader``
    rank: ClassVar[int]  # readers run by rank, lowest first; no two share one

    def __init__(self, state: DocumentState):
        self.state = state

    @abstractmethod
    def find(self, start: int) -> B | None:
        """The first block of this layout at or after line ``start``, None if there is none."""

    @abstractmethod
    def read(self, block: B) -> BlockRead:
        """Record the block's figures and unmapped text in the state, consuming its lines."""


_READERS: dict[str, type[LayoutReader]] = {}

R = TypeVar("R", bound=type[LayoutReader])


def register(reader: R) -> R:
    """Class decorator adding a layout reader to those ``extract`` runs.

    Its name and rank must be new: the order readers run in is decided by ranks alone, never by
    the order modules happen to be imported in.
    """
    name, rank = getattr(reader, "name", None), getattr(reader, "rank", None)
    if not isinstance(name, str) or not isinstance(rank, int):
        raise TypeError(f"{reader.__name__} needs a class attribute name (str) and rank (int)")
    for other in _READERS.values():
        if other.name == name or other.rank == rank:
            raise ValueError(
                f"{reader.__name__} ({name!r}, rank {rank}) clashes with "
                f"{other.__name__} ({other.name!r}, rank {other.rank})"
            )
    _READERS[name] = reader
    return reader


def unregister(name: str) -> type[LayoutReader]:
    """Remove the reader registered under ``name`` (tests add readers for a while)."""
    return _READERS.pop(name)


def readers() -> list[type[LayoutReader]]:
    """The registered readers in the order they run."""
    return sorted(_READERS.values(), key=lambda r: r.rank)


def extract(doc: Document, catalog: Catalog, context: Context) -> Extraction:
    """Every figure in ``doc``: each reader in turn reads each block of its layout. A tabular
    source (a CSV, ``context.table``) is read row by row instead (``tables``)."""
    if context.table is not None:
        from pipeline.staging.tables import read_table  # a CSV has no text layout to find

        return read_table(doc, catalog, context)
    state = DocumentState(doc, catalog, context)
    for reader_type in readers():
        reader = reader_type(state)
        line = 0
        while (block := reader.find(line)) is not None:
            line, found = reader.read(block)
            if line <= block.start:
                raise RuntimeError(f"{reader.name} read no further than line {block.start}")
            if found:
                state.layouts.append(reader.name)
    return state.extraction()
