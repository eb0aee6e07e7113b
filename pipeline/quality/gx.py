"""Great Expectations, imported on demand, with an ephemeral context and analytics off."""

from __future__ import annotations

import contextlib
import functools
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
    _build_each_configuration_once()
    return gx


# Great Expectations 1.x rebuilds an expectation's whole configuration
# (``Expectation.configuration``, a pydantic ``.dict()`` of every field) each time it reads one
# of its keyword arguments: about seventy times per expectation per validation, a third of the
# gate's time. Within one call of the methods below (which only read it), it is built once.
_KWARG_READERS = ("_get_runtime_kwargs", "_get_success_kwargs", "_get_domain_kwargs")
_KWARG_READERS += ("_get_success_kwarg",)
_memo = threading.local()


def _build_each_configuration_once() -> None:
    from great_expectations.expectations.expectation import Expectation

    built = Expectation.__dict__["configuration"]
    if getattr(built.fget, "chitieu_once", False):
        return

    def configuration(self: Any) -> Any:
        memo = getattr(_memo, "configurations", None)
        if memo is None:
            return built.fget(self)
        if id(self) not in memo:
            memo[id(self)] = built.fget(self)
        return memo[id(self)]

    def reading(method: Any) -> Any:
        @functools.wraps(method)
        def once(self: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(_memo, "configurations", None) is not None:  # an outer call's memo
                return method(self, *args, **kwargs)
            _memo.configurations = {}
            try:
                return method(self, *args, **kwargs)
            finally:
                _memo.configurations = None

        return once

    configuration.chitieu_once = True  # type: ignore[attr-defined]
    configuration.built = built.fget  # type: ignore[attr-defined]  # as GX builds it, for tests
    once = property(configuration, doc=built.__doc__)
    for name in _KWARG_READERS:
        setattr(Expectation, name, reading(getattr(Expectation, name)))
    Expectation.configuration = once


def gx_version() -> str:
    """The installed Great Expectations version, without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("great_expectations")
    except PackageNotFoundError:
        return "missing"
