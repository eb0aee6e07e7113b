"""Notebooks run top to bottom against a fresh build; charts render Vietnamese; export works.

The notebook tests (marked ``notebooks``) execute each notebook with nbclient against the
session's seed warehouse (``CHITIEU_WAREHOUSE`` in the kernel's environment), in English and in
Vietnamese, with figure export into a temporary directory: once per notebook, language and run
(the ``executed`` fixture). The executions' charts are what the glyph test checks: a startup file
of the kernel (``PROBE``) records each one the notebook saves.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path

import duckdb
import matplotlib
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pipeline.analysis import charts, frames, notebooks
from tests.conftest import shared_folder

matplotlib.use("Agg")

NOTEBOOKS = notebooks.notebook_paths()
EXPECTED = [
    "01-warehouse-tour.ipynb",
    "02-gaps-to-2025-2030.ipynb",
    "03-unit-harmonisation-audit.ipynb",
    "04-national-yardstick.ipynb",
    "05-past-deadlines.ipynb",
]
# the target years each gap notebook reads: 02 the coming deadlines, 05 the passed ones
YEARS = {"02-gaps-to-2025-2030": {2025, 2030}, "05-past-deadlines": {2023, 2024}}
# about how long an execution takes (seconds), for the order of a parallel run (conftest)
SECONDS = {"02-gaps-to-2025-2030": 14, "04-national-yardstick": 9, "05-past-deadlines": 9}


def test_the_numbered_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_one_language_switch_and_reads_only(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert code[0].source.startswith('LANG = "en"')
    text = "\n".join(c.source for c in code)
    assert "connect()" in text  # pipeline.warehouse.connect: read-only, honours the env var
    assert "duckdb.connect" not in text and "read_only=False" not in text
    assert nb.metadata["kernelspec"]["name"] == notebooks.KERNEL


# An IPython startup file of the kernels the notebooks run in (IPYTHONDIR): each chart function
# of pipeline.analysis.charts a notebook calls, and each charts.save, recorded (with the warnings
# raised meanwhile, raised again for the notebook's own stderr) as one JSON line per saved figure.
# It leaves no name in the notebook's namespace.
PROBE = """
def _chitieu_probe():
    import json, os, warnings

    from pipeline.analysis import charts

    out = os.environ["CHITIEU_TEST_CHARTS"]

    def recorded(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = call()
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return result, [str(w.message) for w in caught]

    def chart(name, fn):
        def made(*args, **kwargs):
            fig, raised = recorded(lambda: fn(*args, **kwargs))
            fig.chitieu_chart = (name, raised)
            return fig
        return made

    def save(fig, name, *args, **kwargs):
        written, raised = recorded(lambda: charts.base.save(fig, name, *args, **kwargs))
        chart, before = getattr(fig, "chitieu_chart", (None, []))
        axes = [
            [ax.get_visible(), ax.has_data(), ax.get_label(), ax.get_xlabel(), ax.get_ylabel(),
             ax.get_title()]
            for ax in fig.axes
        ]
        texts = [t.get_text() for t in fig.texts]
        line = {"name": name, "chart": chart, "warnings": before + raised, "texts": texts,
                "axes": axes}
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\\n")
        return written

    for name in __CHARTS__:
        setattr(charts, name, chart(name, getattr(charts, name)))
    charts.save = save


_chitieu_probe()
del _chitieu_probe
"""
# the chart functions the notebooks draw with, between them all
CHARTS = [
    "coverage_heatmap",
    "trajectories",
    "status_heatmap",
    "indicator_across_places",
    "largest_gaps_chart",
    "flags_heatmap",
    "targets_beside_national",
    "series_with_targets",
]


@contextlib.contextmanager
def _environ(**values: str):
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def executed(tmp_path_factory: pytest.TempPathFactory, seed_build: Path):
    """``executed(path, lang)``: a folder with the notebook executed top to bottom against the
    seed warehouse, figure export on (``executed.ipynb``, ``figures/``, and ``charts.jsonl``:
    :data:`PROBE`'s record of its charts). Each notebook runs once per language and run, by
    whichever test (and worker) needs it first; the tests only read the folder."""
    done: dict[tuple[Path, str], Path] = {}

    def run(path: Path, lang: str) -> Path:
        def make(folder: Path) -> None:
            startup = folder / "ipython" / "profile_default" / "startup"
            startup.mkdir(parents=True)
            (startup / "00-chitieu-probe.py").write_text(
                PROBE.replace("__CHARTS__", repr(CHARTS)), encoding="utf-8"
            )
            env = {"IPYTHONDIR": str(folder / "ipython")}
            env["CHITIEU_TEST_CHARTS"] = str(folder / "charts.jsonl")
            with _environ(**env):
                nb = notebooks.execute(
                    path, warehouse=seed_build, lang=lang, figures_dir=folder / "figures"
                )
            nbformat.write(nb, folder / "executed.ipynb")

        if (path, lang) not in done:
            done[path, lang] = shared_folder(tmp_path_factory, f"nb-{path.stem}-{lang}", make)
        return done[path, lang]

    return run


@pytest.mark.notebooks
@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow(seconds=SECONDS.get(p.stem, 5))) for p in NOTEBOOKS],
    ids=lambda p: p.stem,
)
def test_notebook_executes(path: Path, lang: str, executed, tmp_path: Path):
    folder = executed(path, lang)
    figures = folder / "figures"
    nb = nbformat.read(folder / "executed.ipynb", as_version=4)
    assert notebooks.error_outputs(nb) == []  # no errors, no warnings (missing glyphs included)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    # every figure the notebook saves is written as PNG and SVG, named by language
    saved = [c for c in code if "charts.save(" in c.source]
    pngs = sorted(figures.glob("*.png"))
    assert len(pngs) == len(saved) > 0
    for png in pngs:
        assert png.name.endswith(".vi.png") == (lang == "vi")
        assert png.stat().st_size > 10_000
        assert png.with_suffix(".svg").exists()
    html = notebooks.export_html(nb, tmp_path / f"{path.stem}.html").read_text(encoding="utf-8")
    assert "data:image/png;base64" in html
    if path.stem in YEARS:  # the status summary (first table) counts only the notebook's years
        summary = next(o for c in code for o in c.outputs if "text/html" in o.get("data", {}))
        years = {int(y) for y in re.findall(r"<td>(20\d\d)</td>", summary["data"]["text/html"])}
        assert years == YEARS[path.stem]


@pytest.mark.notebooks
@pytest.mark.slow(seconds=1)  # after the notebooks: it reads what they drew
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_charts_render_every_glyph_with_title_note_and_units(executed, lang):
    """Every chart the notebooks draw (between them, every chart function), as they drew and
    saved it: no warning meanwhile ("Glyph … missing from font(s)" among them: each text was
    laid out and drawn, PNG and SVG), the title first, the source note, units on the axes."""
    seen = set()
    for path in NOTEBOOKS:
        folder = executed(path, lang)
        lines = (folder / "charts.jsonl").read_text(encoding="utf-8").splitlines()
        assert lines, path.name
        for fig in map(json.loads, lines):
            name = fig["name"]
            seen.add(fig["chart"])
            assert fig["warnings"] == [], name
            texts = fig["texts"]
            assert texts and len(texts[0]) > 20, name  # the title comes first
            assert any(s.startswith(charts.t("source", lang)) for s in texts), name
            for visible, has_data, label, xlabel, ylabel, title in fig["axes"]:
                if visible and has_data and label != "<colorbar>":
                    assert xlabel or ylabel, (name, title)
            suffix = "" if lang == "en" else f".{lang}"
            assert (folder / "figures" / f"{name}{suffix}.png").stat().st_size > 10_000
            svg = (folder / "figures" / f"{name}{suffix}.svg").read_text(encoding="utf-8")
            assert "<svg" in svg
    assert seen == set(CHARTS)


# ------------------------------------------------------------------ charts without a kernel


def test_vietnamese_labels_are_nfc_and_use_vietnamese_numbers(con):
    gap = frames.labelled_gap(con, "vi")
    assert "huyện Tam Đường" in set(gap["geo_name"])
    assert charts.fmt(10.5, "vi") == "10,5" and charts.fmt(2700, "vi") == "2.700"
    assert charts.fmt(10.5) == "10.5" and charts.figure_value("<", 25, "vi") == "<25"
    note = charts.source_note(con, "vi")
    assert note.startswith("Nguồn:") and "Bà Rịa - Vũng Tàu" in note


def test_save_only_exports_when_asked(monkeypatch, tmp_path: Path):
    import matplotlib.pyplot as plt

    fig, _ax = plt.subplots()
    monkeypatch.delenv("CHITIEU_EXPORT_FIGURES", raising=False)
    assert charts.save(fig, "x") == []
    monkeypatch.setenv("CHITIEU_EXPORT_FIGURES", "1")
    monkeypatch.setenv("CHITIEU_FIGURES_DIR", str(tmp_path))
    written = charts.save(fig, "x", "vi")
    assert [p.name for p in written] == ["x.vi.png", "x.vi.svg"]
    plt.close(fig)


def test_trace_returns_the_quote_and_the_raw_lines(con):
    oid = con.execute(
        """SELECT observation_id FROM observation WHERE geo_code = '62'
           AND indicator_code = 'doctors_per_10000' AND kind = 'target' AND year = 2025"""
    ).fetchall()[0][0]
    tr = frames.trace(con, oid)
    assert tr["quote_in_file"] and "11,5" in tr["quote"]
    assert any(line.startswith(">") and "11,5" in line for line in tr["excerpt"].splitlines())
    with pytest.raises(KeyError):
        frames.trace(con, "nope")


def test_audit_tables_cover_every_flag(con):
    flagged = dict(
        con.execute(
            "SELECT flag, count(*) FROM (SELECT unnest(flags) AS flag FROM observation) GROUP BY 1"
        ).fetchall()
    )
    assert len(frames.unit_corrections(con)) == flagged.get("unit_corrected", 0)
    assert len(frames.unit_conversions(con)) == flagged.get("unit_converted", 0)
    assert len(frames.conflicts(con)) == flagged.get("conflict", 0)
    assert len(frames.qualitative_targets(con)) == flagged.get("qualitative", 0)
    applied = frames.corrections_applied(con)
    assert applied["observation_id"].notna().sum() == flagged.get("correction_applied", 0)


# ------------------------------------------------------------------- the export machinery


@pytest.mark.notebooks
@pytest.mark.slow
def test_run_notebooks_writes_in_place_html_and_figures(seed_build: Path, tmp_path: Path):
    nb = new_notebook(
        cells=[
            new_code_cell('LANG = "en"', metadata={"tags": ["parameters"]}),
            new_code_cell(
                "import matplotlib.pyplot as plt\n"
                "from pipeline.analysis import charts\n"
                "from pipeline.warehouse import connect\n"
                "con = connect()\n"
                "n = con.sql('SELECT count(*) FROM gap').fetchall()[0][0]\n"
                "fig, ax = plt.subplots()\n"
                "ax.set_title({'en': 'Doctors', 'vi': 'Bác sĩ'}[LANG])\n"
                "charts.save(fig, '99-test', LANG)\n"
                "print(LANG, n)"
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    path = tmp_path / "99-test.ipynb"
    nbformat.write(nb, path)
    reports_dir = tmp_path / "reports"
    written = notebooks.run_notebooks(
        [path], warehouse=seed_build, reports_dir=reports_dir, log=lambda _m: None
    )
    names = sorted(p.name for p in written)
    assert names == sorted(
        [
            "99-test.ipynb",
            "99-test.html",
            "99-test.vi.html",
            "99-test.png",
            "99-test.svg",
            "99-test.vi.png",
            "99-test.vi.svg",
        ]
    )
    assert (reports_dir / "figures" / "99-test.vi.png").exists()
    executed = nbformat.read(path, as_version=4)  # saved in place, in the first language
    out = executed.cells[1].outputs[0]["text"]
    n = duckdb.connect(str(seed_build), read_only=True).execute("SELECT count(*) FROM gap")
    assert out.strip() == f"en {n.fetchall()[0][0]}"
    assert executed.cells[0].source == 'LANG = "en"'
    assert json.loads(path.read_text(encoding="utf-8"))["nbformat"] == 4
