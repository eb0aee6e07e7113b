"""Where things are and how the build behaves: every path, environment variable and tunable.

Every other module imports its paths and settings from here, so a checkout can be moved, a
warehouse pointed elsewhere (``CHITIEU_WAREHOUSE``) or a limit changed in one place.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "pipeline"

# ---------------------------------------------------------------------------- data folders
RAW_DIR = ROOT / "data" / "raw"  # immutable documents, sidecars, corrections
REFERENCE_DIR = ROOT / "data" / "reference"  # catalog, lexicon, units, geography
CURATED_DIR = ROOT / "data" / "curated"  # build output: the warehouse and its exports
WAREHOUSE_NAME = "warehouse.duckdb"
CACHE_DIR = ROOT / ".cache" / "extract"  # per-document extraction results
EXPECTATIONS_DIR = ROOT / "expectations"  # Great Expectations suites, one JSON per table

# ------------------------------------------------------------------------- analysis folders
NOTEBOOKS_DIR = ROOT / "notebooks"
REPORTS_DIR = ROOT / "reports"
FIGURES_DIR = REPORTS_DIR / "figures"
DATA_DOCS_DIR = REPORTS_DIR / "data-docs"
BENCH_REPORT_DIR = REPORTS_DIR / "bench"
# what the committed notebook outputs and figures were made from (written by make notebooks)
NOTEBOOKS_STAMP = REPORTS_DIR / "notebooks.stamp.json"

# -------------------------------------------------------------------- environment variables
ENV_WAREHOUSE = "CHITIEU_WAREHOUSE"  # the warehouse file readers open (default: curated)
ENV_EXPORT_FIGURES = "CHITIEU_EXPORT_FIGURES"  # "1": charts.save writes PNG and SVG
ENV_FIGURES_DIR = "CHITIEU_FIGURES_DIR"  # where charts.save writes (default: FIGURES_DIR)

# ---------------------------------------------------------------------------------- tunables
PARALLEL_THRESHOLD = 16  # documents to extract before a process pool pays for its start-up
CACHE_MAX_AGE_DAYS = 30  # cache entries no build has used for this long are deleted
CACHE_MAX_UNUSED_BYTES = 256 << 20  # and the oldest unused ones beyond this much
# The gate reads the large tables this many rows at a time (memory: one chunk, not a table,
# per process: the gate's and its helper's)
GATE_CHUNK_ROWS = 50_000
# rows the gate checks before it shares its chunks with a helper process: fewer take a second
# or two in one process, and a helper would save half of that for a second process's memory
GATE_SHARE_ROWS = 200_000
CHUNK_DOCUMENTS = 16  # documents per pool job (fewer when there are few): low IPC, balanced
# What DuckDB may hold in memory while it builds a warehouse (beyond it, it works in smaller
# parts or spills to a temporary file): its default is 80 % of the machine's memory
BUILD_MEMORY_LIMIT = "1GB"
# Documents' rows appended in one transaction, at most (about): DuckDB holds what a transaction
# appended in memory of its own, outside that limit, until it commits (0.2 GB at a million rows)
LOAD_COMMIT_ROWS = 500_000
# The DuckDB storage format the warehouse is written in: v1.0.0 (storage version 64) is read by
# every DuckDB client from 1.0 on, the command-line client and DBeaver of the 1.x line included.
STORAGE_COMPATIBILITY_VERSION = "v1.0.0"

# ------------------------------------------------------------------------- input limits
# Extracting one document takes about 70 times its size in memory on top of ~150 MB (measured:
# 3.6 MB -> 0.37 GB peak, 7.8 MB -> 0.64 GB, 29 MB -> 2.0 GB); the limit keeps a build well
# under 1 GB even with a pool worker per core. Plans run to ~100 KB of text.
MAX_DOCUMENT_BYTES = 4 << 20
MAX_SIDECAR_BYTES = 64 << 10  # a sidecar is a dozen short keys
MAX_CORRECTIONS_BYTES = 1 << 20
PLAUSIBLE_YEARS = (1990, 2060)  # default_year, issued_on and corrected years


def warehouse_path() -> Path:
    """The warehouse readers open: ``$CHITIEU_WAREHOUSE`` or the curated one."""
    return Path(os.environ.get(ENV_WAREHOUSE) or CURATED_DIR / WAREHOUSE_NAME)


def export_figures() -> bool:
    """Whether ``charts.save`` writes files (``make notebooks`` turns it on)."""
    return os.environ.get(ENV_EXPORT_FIGURES) == "1"


def figures_dir() -> Path:
    """Where exported figures go."""
    return Path(os.environ.get(ENV_FIGURES_DIR) or FIGURES_DIR)


def relative(path: Path) -> str:
    """``path`` relative to the working directory where it lies below it (for messages).

    The last component is not resolved: a symlink is named where it is, not where it points.
    """
    path = Path(path)
    cwd = os.getcwd()
    try:
        return str((_resolved(str(path.parent), cwd) / path.name).relative_to(_resolved(cwd, cwd)))
    except ValueError:
        return str(path)


@lru_cache(maxsize=256)
def _resolved(folder: str, cwd: str) -> Path:
    """``folder`` resolved (as seen from ``cwd``): once per folder, not once per message (a
    sidecar's messages name it before it is read: 10,000 sidecars took 2 s of resolving)."""
    return Path(cwd, folder).resolve()
