"""Marts layer: analysis views over the warehouse (the `gap` view lives here)."""

from __future__ import annotations

import duckdb


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create the analysis views in a staged warehouse."""
    return None
