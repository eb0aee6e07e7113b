"""The marts' SQL files, as a researcher would paste them into any DuckDB client."""

from __future__ import annotations

from pipeline.settings import PACKAGE_DIR

MARTS_DIR = PACKAGE_DIR / "marts"


def view_sql(name: str) -> str:
    """The SQL file of a view (``<name>.sql`` beside this module)."""
    return (MARTS_DIR / f"{name}.sql").read_text(encoding="utf-8")
