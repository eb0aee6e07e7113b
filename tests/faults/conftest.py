"""A scratch checkout that real ``make build`` and ``python -m pipeline build`` processes run in.

The template is built once per test run (``make build``, without the gate to save time) and
copied per test, symlinks and times kept: every test starts from a published warehouse, a
manifest make agrees with and a warm extraction cache, and may break anything in its copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.settings import ROOT
from tests.conftest import shared_folder
from tests.faults.scratch import Scratch

COPIED = ("pipeline", "data/raw", "data/reference", "expectations", "Makefile", "pyproject.toml")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scratch checkout every test copies, made once per run (by one worker under xdist)."""
    return shared_folder(tmp_path_factory, "template", make_template) / "repo"


def make_template(folder: Path) -> None:
    repo = folder / "repo"
    for name in (*COPIED, "requirements.lock"):
        src, dst = ROOT / name, repo / name
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    (repo / "data" / "curated").mkdir()
    (repo / "data" / "curated" / ".gitkeep").touch()
    (repo / ".venv").symlink_to(ROOT / ".venv")
    # The venv is shared with the real checkout: make must never think it needs reinstalling
    # (it would point the editable install at this copy). Old times keep its stamp newer.
    for name in ("pyproject.toml", "requirements.lock"):
        os.utime(repo / name, (0, 0))
    stamp = subprocess.run(["make", "-q", ".venv/.installed-stamp"], cwd=repo, check=False)
    assert stamp.returncode == 0, "the shared venv's stamp is out of date: run make build first"
    # (make byte-compiles the package first: the many short processes of the fault tests, each
    # test's copy of this folder, load bytecode whatever PYTHONDONTWRITEBYTECODE says)
    r = subprocess.run(
        ["make", "build", "BUILD_FLAGS=--no-validate"], cwd=repo, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture()
def scratch(template: Path, tmp_path: Path) -> Scratch:
    repo = tmp_path / "repo"
    shutil.copytree(template, repo, symlinks=True)
    return Scratch(repo)
