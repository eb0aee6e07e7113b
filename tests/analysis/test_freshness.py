"""The committed notebook outputs and figures come from the code, data and notebooks of this
commit: `make notebooks` stamps what it ran on, and these tests fail once anything it depends on
changes without a new `make notebooks`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from pipeline.analysis import notebooks, stamp
from pipeline.settings import FIGURES_DIR, NOTEBOOKS_STAMP, ROOT

HINT = "the committed notebook outputs and figures are older than the code: run `make notebooks`"


def test_committed_outputs_come_from_the_current_inputs():
    stamped = stamp.read_stamp()
    assert stamped is not None, f"{NOTEBOOKS_STAMP} is missing: {HINT}"
    assert stamped["inputs_sha256"] == stamp.inputs_digest(), HINT


def figure_names() -> set[str]:
    """Figures the notebooks save under a literal name, and those the README shows (notebook
    02 names its indicator figure after INDICATOR)."""
    names = set()
    for path in notebooks.notebook_paths():
        nb = nbformat.read(path, as_version=4)
        source = "\n".join(c.source for c in nb.cells)
        names.update(re.findall(r'charts\.save\(fig, "([\w-]+)", LANG\)', source))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names.update(re.findall(r"reports/figures/([\w-]+)\.png", readme))
    return names


def test_every_figure_the_notebooks_save_is_committed_and_no_other():
    names = figure_names()
    assert {"02-status-heatmap", "05-status-heatmap", "02-doctors-per-10000"} <= names
    expected = {f"{n}.{suffix}" for n in names for suffix in ("png", "svg", "vi.png", "vi.svg")}
    have = {p.name for p in FIGURES_DIR.iterdir() if p.is_file()}
    assert expected <= have, f"missing: {sorted(expected - have)}; {HINT}"
    assert have <= expected, f"figures no notebook makes: {sorted(have - expected)}"


@pytest.mark.parametrize("path", notebooks.notebook_paths(), ids=lambda p: p.stem)
def test_committed_notebooks_are_executed_cleanly(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), HINT
    assert notebooks.error_outputs(nb) == []
    assert code[0].source == 'LANG = "en"'  # saved in English


def test_the_digest_follows_code_data_and_cells_but_not_outputs(tmp_path: Path):
    for where in ("data/raw", "data/reference", "expectations", "notebooks", "pipeline"):
        (tmp_path / where).mkdir(parents=True)
    for f in ("pyproject.toml", "requirements.lock"):
        shutil.copy2(ROOT / f, tmp_path / f)
    (tmp_path / "data/raw/a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "pipeline/m.py").write_text("x = 1\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    path = tmp_path / "notebooks/01-x.ipynb"
    nbformat.write(nb, path)
    before = stamp.inputs_digest(tmp_path)
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"})]
    nb.cells[0].execution_count = 1
    nbformat.write(nb, path)
    assert stamp.inputs_digest(tmp_path) == before  # executing changes nothing it depends on
    (tmp_path / "pipeline/__pycache__").mkdir()
    (tmp_path / "pipeline/__pycache__/m.pyc").write_bytes(b"\0")
    assert stamp.inputs_digest(tmp_path) == before
    for change in (
        lambda: (tmp_path / "pipeline/m.py").write_text("x = 2\n", encoding="utf-8"),
        lambda: (tmp_path / "data/raw/a.txt").write_text("y", encoding="utf-8"),
        lambda: nbformat.write(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("2")]), path
        ),
        lambda: (tmp_path / "expectations/gap.json").write_text("{}", encoding="utf-8"),
    ):
        change()
        now = stamp.inputs_digest(tmp_path)
        assert now != before
        before = now
    written = stamp.write_stamp(tmp_path / "stamp.json", tmp_path)
    assert stamp.read_stamp(written)["inputs_sha256"] == before
