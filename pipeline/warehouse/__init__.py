"""Warehouse layer: the schema (``schema``), the tables besides observations (``tables``), the
build in steps (``steps``: stage, gate, record, publish; ``builds``: build folders and the
atomic switch) and read-only connections."""

from pathlib import Path

import duckdb

from pipeline.errors import BuildError
from pipeline.settings import warehouse_path

# The build's names, imported from ``steps`` on first use: a reader that only connects (a
# notebook kernel, `chitieu sql`) does not load the extraction and the build with them.
_STEPS = ("BuildReport", "Staged", "build", "gate", "publish", "record", "stage")


def __getattr__(name: str) -> object:
    if name in _STEPS:
        from pipeline.warehouse import steps

        return getattr(steps, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# A reader's connection can read the warehouse and nothing else: no files written or read
# (COPY ... TO, EXPORT, read_csv), no other database attached, no extension installed or
# loaded, no setting changed afterwards (which could lift the rest).
READ_ONLY_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}


class WarehouseMissing(FileNotFoundError):
    """No warehouse has been built yet (or ``$CHITIEU_WAREHOUSE`` names no file)."""


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Read-only connection to the built warehouse (what notebooks and the CLI use).

    It cannot write: ``COPY … TO``, ``ATTACH``, ``INSTALL`` and ``SET`` are refused by DuckDB
    (see ``READ_ONLY_CONFIG``). The path is resolved first, so the connection holds the build
    that was current when it opened even if a newer one is published meanwhile.
    """
    path = Path(path) if path is not None else warehouse_path()
    if not path.exists():
        raise WarehouseMissing(f"{path} does not exist yet: run `make build`")
    return duckdb.connect(str(path.resolve()), read_only=True, config=dict(READ_ONLY_CONFIG))


__all__ = [
    "READ_ONLY_CONFIG",
    "BuildError",
    "BuildReport",
    "Staged",
    "WarehouseMissing",
    "build",
    "connect",
    "gate",
    "publish",
    "record",
    "stage",
]
