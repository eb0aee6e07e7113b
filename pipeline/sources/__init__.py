"""Sources layer: the immutable documents in ``data/raw`` and the sidecars that describe them."""

from pipeline.sources.documents import Source, discover

__all__ = ["Source", "discover"]
