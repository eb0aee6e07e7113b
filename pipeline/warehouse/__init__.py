"""Warehouse layer: the schema (``schema``), the tables besides observations (``tables``), the
build in steps (``steps``: stage, gate, record, publish) and read-only connections."""

from pathlib import Path

import duckdb

from pipeline.errors import BuildError
from pipeline.settings import warehouse_path
from pipeline.warehouse.steps import BuildReport, Staged, build, gate, publish, record, stage


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Read-only connection to the built warehouse (what notebooks and the CLI use)."""
    path = Path(path) if path is not None else warehouse_path()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist yet: run `make build`")
    return duckdb.connect(str(path), read_only=True)


__all__ = [
    "BuildError",
    "BuildReport",
    "Staged",
    "build",
    "connect",
    "gate",
    "publish",
    "record",
    "stage",
]
