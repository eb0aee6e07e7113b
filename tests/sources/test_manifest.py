"""The manifest of the raw folder that make depends on: names, kinds and content hashes; never
follows a link or opens a device; rewritten only when it changed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from pipeline.sources.manifest import manifest, write_manifest


def test_names_kinds_and_hashes_without_following_or_opening(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("một", encoding="utf-8")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")  # reading it would never end
    os.mkfifo(tmp_path / "pipe.txt")  # opening it would block
    (tmp_path / "x.txt").mkdir()
    entries = [json.loads(line) for line in manifest(tmp_path).splitlines()]
    assert [(e["name"], e["kind"]) for e in entries] == [
        ("a.txt", "file"),
        ("pipe.txt", "other"),
        ("x.txt", "directory"),
        ("zero.txt", "symlink"),
    ]
    assert entries[0]["sha256"].startswith("0231bfca") and entries[3]["target"] == "/dev/zero"


def test_a_rename_changes_the_manifest_and_an_unchanged_folder_leaves_the_file(tmp_path: Path):
    raw, path = tmp_path / "raw", tmp_path / "out" / ".raw-manifest"
    raw.mkdir()
    (raw / "a.txt").write_text("x", encoding="utf-8")
    assert write_manifest(path, manifest(raw), taken_at=1_000_000)
    assert path.stat().st_mtime == 1_000_000  # dated when the listing was taken
    assert not write_manifest(path, manifest(raw))
    assert path.stat().st_mtime == 1_000_000
    os.rename(raw / "a.txt", raw / "b.txt")
    assert write_manifest(path, manifest(raw))
    assert path.stat().st_mtime > time.time() - 60
