"""Notebooks run top to bottom against a fresh build; charts render Vietnamese; export works.

The notebook tests (marked ``notebooks``) execute each notebook with nbclient against the
session's seed warehouse (``CHITIEU_WAREHOUSE`` in the kernel's environment), in English and in
Vietnamese, with figure export into a temporary directory.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import duckdb
import matplotlib
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pipeline.analysis import charts, frames, national, notebooks

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


@pytest.mark.notebooks
@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow(seconds=SECONDS.get(p.stem, 5))) for p in NOTEBOOKS],
    ids=lambda p: p.stem,
)
def test_notebook_executes(path: Path, lang: str, seed_build: Path, tmp_path: Path):
    figures = tmp_path / "figures"
    nb = notebooks.execute(path, warehouse=seed_build, lang=lang, figures_dir=figures)
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


# ------------------------------------------------------------------ charts without a kernel


def all_charts(con, lang):
    note = charts.source_note(con, lang)
    gap = frames.labelled_gap(con, lang)
    return {
        "coverage": charts.coverage_heatmap(frames.coverage_frame(con, lang), lang, note),
        "trajectories": charts.trajectories(gap, lang, note),
        "status": charts.status_heatmap(gap, lang, note),
        "across": charts.indicator_across_places(
            frames.labelled_observations(con, lang, "doctors_per_10000"), lang, note
        ),
        "gaps": charts.largest_gaps_chart(
            frames.largest_gaps(con, lang), lang, note, frames.not_comparable(con, lang)
        ),
        "flags": charts.flags_heatmap(frames.flag_counts(con), lang, note),
        "yardstick": charts.targets_beside_national(
            national.labelled_yardstick(con, lang, [2025, 2030]), lang, note
        ),
        "series": charts.series_with_targets(
            series := national.actual_series(con, lang),
            national.targets_ahead(con, series),
            lang,
            note,
        ),
    }


@pytest.mark.slow(seconds=8)
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_charts_render_every_glyph_with_title_note_and_units(con, lang, tmp_path: Path):
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" becomes a failure
        figs = all_charts(con, lang)
        for name, fig in figs.items():
            texts = [t.get_text() for t in fig.texts]
            assert texts and len(texts[0]) > 20, name  # the title comes first
            assert any(s.startswith(charts.t("source", lang)) for s in texts), name
            for ax in fig.axes:
                if ax.get_visible() and ax.has_data() and ax.get_label() != "<colorbar>":
                    assert ax.get_xlabel() or ax.get_ylabel(), (name, ax.get_title())
            # every text laid out as a draw lays it out, each glyph looked up in the font (the
            # pixels themselves are drawn by save below and by the notebooks)
            fig.draw_without_rendering()
            if name in ("status", "across"):
                charts.save(fig, name, lang, directory=tmp_path)
            plt.close(fig)
    suffix = "" if lang == "en" else f".{lang}"
    assert (tmp_path / f"across{suffix}.png").stat().st_size > 10_000
    assert "<svg" in (tmp_path / f"status{suffix}.svg").read_text(encoding="utf-8")


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
