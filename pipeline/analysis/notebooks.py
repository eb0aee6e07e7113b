"""Notebook execution and export: ``make notebooks`` (``python -m pipeline notebooks``).

Each notebook in ``notebooks/`` is executed top to bottom with nbclient in the ``python3``
kernel, which inside the project's venv is the venv's own ipykernel (jupyter_client starts a
``python`` kernel command with the running interpreter). The kernel inherits
``CHITIEU_WAREHOUSE`` (which warehouse ``pipeline.warehouse.connect()`` opens, read-only) and,
when exporting, ``CHITIEU_EXPORT_FIGURES=1`` and ``CHITIEU_FIGURES_DIR``, so that every
``charts.save(fig, name, LANG)`` in a notebook writes ``name.png`` and ``name.svg``.

``run_notebooks`` executes each notebook in English in place (outputs saved in the ``.ipynb``),
writes ``reports/<notebook>.html``, and runs it once more in Vietnamese (``LANG = "vi"`` injected
into the cell tagged ``parameters``) for ``reports/figures/<name>.vi.png|svg`` and
``reports/<notebook>.vi.html``; the Vietnamese run leaves the notebook file untouched.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from pipeline.settings import (
    ENV_EXPORT_FIGURES,
    ENV_FIGURES_DIR,
    ENV_WAREHOUSE,
    NOTEBOOKS_DIR,
    REPORTS_DIR,
)

KERNEL = "python3"
TIMEOUT = 600


def notebook_paths(directory: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks, in order."""
    return sorted(p for p in directory.glob("[0-9][0-9]-*.ipynb"))


def set_language(nb: nbformat.NotebookNode, lang: str) -> nbformat.NotebookNode:
    """Set ``LANG`` in the cell tagged ``parameters`` (the notebook's one language switch)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            lines = cell.source.splitlines()
            out = [f'LANG = "{lang}"' if ln.startswith("LANG =") else ln for ln in lines]
            if out == lines and f'LANG = "{lang}"' not in lines:
                raise ValueError("the parameters cell does not set LANG")
            cell.source = "\n".join(out)
            return nb
    raise ValueError("no cell tagged 'parameters'")


def kernel_env(
    warehouse: Path | None = None,
    figures_dir: Path | None = None,
) -> dict[str, str]:
    """The environment the kernel starts with."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    if warehouse is not None:
        env[ENV_WAREHOUSE] = str(Path(warehouse).resolve())
    if figures_dir is not None:
        env[ENV_EXPORT_FIGURES] = "1"
        env[ENV_FIGURES_DIR] = str(Path(figures_dir).resolve())
    else:
        env.pop(ENV_EXPORT_FIGURES, None)
        env.pop(ENV_FIGURES_DIR, None)
    return env


def execute(
    path: Path,
    *,
    warehouse: Path | None = None,
    lang: str | None = None,
    figures_dir: Path | None = None,
    timeout: int = TIMEOUT,
) -> nbformat.NotebookNode:
    """Execute a notebook top to bottom and return it with its outputs (the file is not
    written). ``figures_dir`` turns figure export on. A failing cell raises
    ``nbclient.exceptions.CellExecutionError`` naming the cell."""
    nb = nbformat.read(path, as_version=4)
    if lang is not None:
        set_language(nb, lang)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout,
        record_timing=False,
        resources={"metadata": {"path": str(Path(path).parent.resolve())}},
    )
    client.execute(env=kernel_env(warehouse, figures_dir))
    return nb


def error_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Error outputs and warnings printed to stderr, one string each."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"{out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(out.get("text", ""))
    return found


def export_html(nb: nbformat.NotebookNode, out: Path) -> Path:
    """The executed notebook as one self-contained HTML file (figures embedded)."""
    from nbconvert import HTMLExporter

    body, _resources = HTMLExporter().from_notebook_node(nb)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


def run_notebooks(
    notebooks: Iterable[Path] | None = None,
    *,
    warehouse: Path | None = None,
    reports_dir: Path = REPORTS_DIR,
    figures_dir: Path | None = None,
    langs: Iterable[str] = ("en", "vi"),
    in_place: bool = True,
    log=print,
) -> list[Path]:
    """Execute every notebook, export its figures (PNG + SVG) and its HTML; the first language
    is saved into the notebook itself. Returns the files written."""
    paths = list(notebooks) if notebooks is not None else notebook_paths()
    figures_dir = figures_dir or reports_dir / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    langs = list(langs)
    written: list[Path] = []
    before = {p: p.stat().st_mtime_ns for p in figures_dir.glob("*")}
    for path in paths:
        for i, lang in enumerate(langs):
            t0 = time.perf_counter()
            nb = execute(path, warehouse=warehouse, lang=lang, figures_dir=figures_dir)
            suffix = "" if lang == langs[0] else f".{lang}"
            if i == 0 and in_place:
                nbformat.write(nb, path)
                written.append(path)
            written.append(export_html(nb, reports_dir / f"{path.stem}{suffix}.html"))
            log(f"  {path.name} [{lang}] executed in {time.perf_counter() - t0:.1f} s")
    figures = sorted(p for p in figures_dir.glob("*") if before.get(p) != p.stat().st_mtime_ns)
    written.extend(figures)
    log(
        f"{len(paths)} notebook(s) x {len(langs)} language(s); "
        f"{len(figures)} figure files in {figures_dir}, HTML in {reports_dir}"
    )
    return written
