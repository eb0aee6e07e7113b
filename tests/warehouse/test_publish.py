"""Publishing: each build is a complete folder made current by one symlink switch; the stable
names (warehouse.duckdb, <table>.parquet, build_report.json) resolve through it; an output folder
of the older layout is adopted without a moment where a name reads other bytes; leftovers of
interrupted builds go with the next build."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import duckdb
import pytest

from pipeline.warehouse import steps as build_steps
from pipeline.warehouse.builds import BUILDS, CURRENT
from pipeline.warehouse.gap_copy import GAP_ARROW
from pipeline.warehouse.inputs import RECORD
from pipeline.warehouse.schema import TABLES
from tests.helpers import KT, consistent, published, quiet_build, sha

STABLE = {
    "warehouse.duckdb",
    "build_report.json",
    GAP_ARROW,
    *(f"{t}.parquet" for t in TABLES),
}


def test_a_build_is_one_folder_behind_stable_names(good) -> None:
    _raw, out, _cache, _wh, _ = good
    build_id = consistent(out)
    folder = out / BUILDS / build_id
    assert os.readlink(out / CURRENT) == f"{BUILDS}/{build_id}"
    # and the build's record of its inputs, which the next build reads (not published)
    names = {p.name for p in folder.iterdir()} - {RECORD}
    assert (folder / RECORD).is_file() and not (out / RECORD).exists()
    assert names >= STABLE  # and the exports of views, where there are some
    assert all(n.endswith(".parquet") for n in names - STABLE)
    for name in names:
        assert os.readlink(out / name) == f"{CURRENT}/{name}"
        mode = (folder / name).stat().st_mode
        assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), name  # sealed


def test_the_previous_build_stays_for_its_readers_until_the_next(good) -> None:
    raw, out, cache, _wh, _ = good
    first = consistent(out)
    quiet_build(raw, out, cache, validate=False)
    second = consistent(out)
    assert sorted(p.name for p in (out / BUILDS).iterdir()) == sorted([first, second])
    quiet_build(raw, out, cache, validate=False)
    third = consistent(out)
    assert sorted(p.name for p in (out / BUILDS).iterdir()) == sorted([second, third])


def test_the_older_layout_is_adopted(raw_copy: Path, tmp_path: Path) -> None:
    """A folder built by the code before this layout: plain files, and the temporary files its
    killed builds left (which `make clean` missed)."""
    out, cache = tmp_path / "curated", tmp_path / "cache"
    quiet_build(raw_copy, out, cache, validate=False)
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in (p.name for p in (out / CURRENT).iterdir() if p.name != RECORD):
        shutil.copyfile(out / name, plain / name)
    (plain / ".warehouse-abc.duckdb.tmp").write_bytes(b"half a warehouse")
    (plain / ".parquet-xyz").mkdir()
    before = published(plain)
    readers_copy = duckdb.connect(str(plain / "warehouse.duckdb"), read_only=True)

    (raw_copy / f"{KT}.txt").unlink()
    for suffix in (".yaml", ".corrections.yaml"):
        (raw_copy / f"{KT}{suffix}").unlink()
    quiet_build(raw_copy, plain, cache, validate=False)
    consistent(plain)
    assert published(plain) != before
    assert sorted(p.name for p in plain.iterdir() if p.name.startswith(".")) == [".raw-manifest"]
    legacy = [p.name for p in (plain / BUILDS).iterdir() if p.name.startswith("legacy-")]
    assert len(legacy) == 1  # the old warehouse, kept for readers like this one
    assert readers_copy.execute("SELECT count(*) FROM source_document").fetchone() == (6,)
    readers_copy.close()


def test_a_failed_build_leaves_no_folder_and_the_old_warehouse(good, monkeypatch) -> None:
    raw, out, cache, wh, before = good
    build_id, files = consistent(out), published(out)

    def fails(staged) -> None:
        assert staged.parquet_dir.is_dir()
        raise build_steps.BuildError("simulated failure while recording")

    monkeypatch.setattr(build_steps, "record", fails)
    with pytest.raises(build_steps.BuildError):
        quiet_build(raw, out, cache, validate=False)
    assert sha(wh) == before and published(out) == files and consistent(out) == build_id
    assert [p.name for p in (out / BUILDS).iterdir()] == [build_id]


def test_leftovers_of_killed_builds_go_with_the_next_build(good) -> None:
    raw, out, cache, _wh, _ = good
    partial = out / BUILDS / "20000101T000000000000Z-1"
    partial.mkdir()
    (partial / "warehouse.duckdb").write_bytes(b"half")
    (out / ".warehouse.duckdb.link.123").symlink_to("nowhere")
    quiet_build(raw, out, cache, validate=False)
    assert not partial.exists() and not (out / ".warehouse.duckdb.link.123").is_symlink()


def test_ctrl_c_right_after_the_switch_keeps_the_published_build(good, monkeypatch) -> None:
    """The switch has happened, the build has not yet heard back: the folder it published must
    not be removed as an unpublished one (a dangling warehouse.duckdb, found by tests/faults)."""
    from pipeline.errors import Interrupted
    from pipeline.warehouse import builds as publishing

    raw, out, cache, _wh, _ = good
    old = consistent(out)
    real_switch = publishing.switch

    def switch_then_interrupt(*args):
        real_switch(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(publishing, "switch", switch_then_interrupt)
    with pytest.raises(Interrupted) as e:
        quiet_build(raw, out, cache, validate=False)
    assert e.value.published
    assert consistent(out) != old


def test_exports_of_tables_a_rebuild_left_unchanged_are_linked_not_written(good) -> None:
    raw, out, cache, _wh, _ = good
    first = out / BUILDS / consistent(out)
    quiet_build(raw, out, cache, validate=False)  # nothing changed: every document's rows kept
    second = out / BUILDS / consistent(out)
    linked = ("observation.parquet", "unmapped.parquet", "gap.parquet", "yardstick.parquet")
    for name in (*linked, GAP_ARROW):
        assert (first / name).stat().st_ino == (second / name).stat().st_ino, name
    assert (first / "build_info.parquet").stat().st_ino != (
        second / "build_info.parquet"
    ).stat().st_ino
    # an export changed after it was published is written afresh, not linked
    tampered = second / "observation.parquet"
    tampered.chmod(0o644)
    with tampered.open("ab") as fh:
        fh.write(b"\0")
    quiet_build(raw, out, cache, validate=False)
    third = out / BUILDS / consistent(out)
    assert (third / "observation.parquet").stat().st_ino != tampered.stat().st_ino
    with duckdb.connect(str(third / "warehouse.duckdb"), read_only=True) as wh:
        n_rows = wh.sql("SELECT count(*) FROM observation").fetchall()[0][0]
    export = third / "observation.parquet"
    assert duckdb.sql(f"SELECT count(*) FROM '{export}'").fetchall()[0][0] == n_rows > 0
