"""Reference layer: geography before and after the 2025 reform (``geography``) and the
indicator catalog with its units (``catalog``)."""

from pipeline.reference.catalog import (
    Catalog,
    Indicator,
    Match,
    indicator_table,
    load_catalog,
    unit_table,
)
from pipeline.reference.geography import GeoResolver, geo_2025_table, geo_table, load_resolver

__all__ = [
    "Catalog",
    "GeoResolver",
    "Indicator",
    "Match",
    "geo_2025_table",
    "geo_table",
    "indicator_table",
    "load_catalog",
    "load_resolver",
    "unit_table",
]
