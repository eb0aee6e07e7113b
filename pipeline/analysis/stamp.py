"""What the committed notebook outputs and figures were made from.

``make notebooks`` writes ``reports/notebooks.stamp.json`` with one hash of everything the
outputs depend on: the documents and reference data (``data/raw``, ``data/reference``), the
expectation suites, the package's code and its pins (``pipeline/``, ``pyproject.toml``,
``requirements.lock``) and the notebooks' own cells (their sources, not their outputs). A test
recomputes the hash: once any of these changes, the committed outputs are older than the code,
and the test says to run ``make notebooks``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import nbformat

from pipeline.settings import NOTEBOOKS_STAMP, ROOT

# (folder or file, glob) relative to the checkout; the Makefile's BUILD_INPUTS plus the lock
INPUTS = (
    ("data/raw", "*"),
    ("data/reference", "*"),
    ("expectations", "*.json"),
    ("pipeline", "**/*"),
    ("notebooks", "[0-9][0-9]-*.ipynb"),
    ("pyproject.toml", ""),
    ("requirements.lock", ""),
)


def input_files(root: Path = ROOT) -> list[Path]:
    """The files the notebook outputs depend on, in a stable order."""
    files: set[Path] = set()
    for where, pattern in INPUTS:
        path = root / where
        if not pattern:
            files.add(path)
            continue
        files.update(p for p in path.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(f for f in files if f.exists())


def build_inputs(root: Path = ROOT) -> list[Path]:
    """The input files a build reads (all but the notebooks): the warehouse must be newer."""
    return [p for p in input_files(root) if p.suffix != ".ipynb"]


def _content(path: Path) -> bytes:
    """A file's bytes; for a notebook, only what a run cannot change (cell types and sources)."""
    if path.suffix != ".ipynb":
        return path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    cells = [[c.cell_type, c.source, c.get("metadata", {}).get("tags", [])] for c in nb.cells]
    return json.dumps(cells, ensure_ascii=False).encode()


def inputs_digest(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    for path in input_files(root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(_content(path)).digest())
    return h.hexdigest()


def write_stamp(path: Path = NOTEBOOKS_STAMP, root: Path = ROOT) -> Path:
    stamp = {
        "inputs_sha256": inputs_digest(root),
        "files": len(input_files(root)),
        "written": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "by": "make notebooks (pipeline.analysis.notebooks.run_notebooks)",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    return path


def read_stamp(path: Path = NOTEBOOKS_STAMP) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
