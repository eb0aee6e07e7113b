"""Great Expectations, imported on demand, with an ephemeral context and analytics off."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import Any


def context(gx: Any, docs_dir: Path | None = None) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites["local_site"] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


# Imported by GX (through altair and jsonschema) only to check IRIs, which no suite does, yet
# it compiles 38 Lark grammars at import: a third of GX's import time.
_UNUSED_BY_GX = ("rfc3987_syntax",)


_preloading: threading.Thread | None = None


def preload_gx() -> None:
    """Start importing Great Expectations in a background thread (a build does while it loads
    the warehouse, which waits on DuckDB and the pool, not on Python); ``import_gx`` then waits
    for it to finish."""
    global _preloading
    if _preloading is None and "great_expectations" not in sys.modules:
        _preloading = threading.Thread(target=_import_quietly, name="import-gx", daemon=True)
        _preloading.start()


def _import_quietly() -> None:
    with contextlib.suppress(Exception):  # import_gx imports again, and raises it there
        _import()


def import_gx() -> Any:
    """Great Expectations, imported on first use (2 s): only validation and Data Docs need it.

    One lasting effect in this process, if jsonschema was not loaded before: its FormatChecker
    has no ``iri``/``iri-reference`` checks (they need ``rfc3987_syntax``). Nothing here checks
    IRIs; a notebook kernel that does should import jsonschema before building.
    """
    if _preloading is not None:
        _preloading.join()
    return _import()


def _import() -> Any:
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    if "great_expectations" in sys.modules:
        return sys.modules["great_expectations"]
    hidden = [m for m in _UNUSED_BY_GX if m not in sys.modules and "jsonschema" not in sys.modules]
    for m in hidden:
        sys.modules[m] = None  # type: ignore[assignment]  # makes `import m` raise ImportError
    try:
        import great_expectations as gx
    finally:
        for m in hidden:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]
    return gx


def gx_version() -> str:
    """The installed Great Expectations version, without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("great_expectations")
    except PackageNotFoundError:
        return "missing"
