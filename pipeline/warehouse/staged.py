"""A build in progress (:class:`Staged`), what a finished one reports (:class:`BuildReport`) and
the guard that turns a failure to write the output into one message (:func:`writing`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

import pipeline.warehouse.builds as publishing
from pipeline import settings
from pipeline.errors import OutputError
from pipeline.reference import Catalog
from pipeline.settings import WAREHOUSE_NAME, relative
from pipeline.sources import Source
from pipeline.warehouse.inputs import Listing, Previous

Log = Callable[[str], None]


@dataclass
class BuildReport:
    warehouse: Path
    n_sources: int
    n_observations: int
    n_unmapped: int
    seconds: float
    validation_seconds: float
    per_source: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    n_extracted: int = 0
    n_cached: int = 0
    build_id: str = ""
    kept: bool = False  # nothing changed: the published build was kept, none was made
    gate_helper_peak_rss_kb: int = 0  # the gate's helper process's peak memory (0: none ran)


@dataclass
class Staged:
    """A warehouse being built: its own folder under ``builds/``, not yet published."""

    path: Path  # the DuckDB file
    parquet_dir: Path  # the build folder: the file, its exports and report
    out_dir: Path
    raw_dir: Path
    sources: list[Source]
    catalog: Catalog
    per_source: list[dict]
    n_observations: int
    n_unmapped: int
    n_cached: int
    started: float
    log: Log = print
    validation_seconds: float = 0.0
    warnings: list[dict] = field(default_factory=list)
    build_id: str = ""
    manifest: str = ""  # of the raw folder as it was before it was read
    manifest_time: float = 0.0  # when that was
    lock_fd: int | None = None
    workers: int | None = None  # processes that extract and validate (None: one per core, two)
    listing: Listing | None = None  # the raw folder with file status, for the record
    previous: Previous | None = None  # the published build, when its rows or results are reused
    fresh: set[str] | None = None  # documents the gate validates (None: every document)
    # per table patched in a copy of the previous warehouse: the fingerprints of the rows it
    # lost and gained (``inputs.fingerprints`` works its new fingerprint out from them)
    deltas: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict)  # inputs.json, written by `record`
    validated: bool = False
    kept: bool = False  # nothing changed since the published build, which is kept as it is
    gate_helper_peak_rss_kb: int = 0

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        # the file is created in a storage format older DuckDB clients read (and keeps it)
        config = {"storage_compatibility_version": settings.STORAGE_COMPATIBILITY_VERSION}
        if not read_only:
            config["memory_limit"] = settings.BUILD_MEMORY_LIMIT
        return duckdb.connect(str(self.path), read_only=read_only, config=config)

    @property
    def published(self) -> bool:
        """Whether this build is the current one. Read from the folder, not from a flag set
        after the switch: a Ctrl-C between the two must not delete a published build."""
        return publishing.current_build(self.out_dir) == self.parquet_dir.resolve()

    def discard(self) -> None:
        """Remove the build folder unless it was published, and release the build lock."""
        if not self.published:
            shutil.rmtree(self.parquet_dir, ignore_errors=True)
        if self.lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.lock_fd)
            self.lock_fd = None

    def report(self) -> BuildReport:
        return BuildReport(
            self.out_dir / WAREHOUSE_NAME,
            len(self.sources),
            self.n_observations,
            self.n_unmapped,
            time.perf_counter() - self.started,
            self.validation_seconds,
            self.per_source,
            self.warnings,
            len(self.sources) - self.n_cached,
            self.n_cached,
            self.build_id,
            self.kept,
            self.gate_helper_peak_rss_kb,
        )


@contextlib.contextmanager
def writing(out_dir: Path) -> Iterator[None]:
    """Turn a failure to write the output (unwritable folder, full disk) into one message."""
    try:
        yield
    except OSError as e:
        where = relative(Path(e.filename)) if e.filename else relative(out_dir)
        raise OutputError(f"{where}: cannot write the new warehouse ({e.strerror or e})") from None
    except (duckdb.IOException, duckdb.FatalException) as e:
        # 'IO Error: Could not write file "<path>": No space left on device' -> the reason
        reason = str(e).splitlines()[0].rsplit('": ', 1)[-1]
        raise OutputError(
            f"{relative(out_dir)}: cannot write the new warehouse ({reason})"
        ) from None
