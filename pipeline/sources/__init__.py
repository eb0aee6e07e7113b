"""Sources layer: the immutable documents in ``data/raw`` and the sidecars that describe them.

``Source`` and ``discover`` are imported on first use, so that ``python -m
pipeline.sources.manifest`` (run by ``make build`` every time) starts without pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.sources.documents import Source, discover

__all__ = ["Source", "discover"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from pipeline.sources import documents

        return getattr(documents, name)
    raise AttributeError(f"module 'pipeline.sources' has no attribute {name!r}")
