"""Inputs by content, through the real commands: ``make build`` notices a document deleted,
renamed or copied in with its old time (make compares times; the manifest compares names and
hashes), and bad input ends in exit code 2 with one message naming the file (and line or key),
no traceback, and the published warehouse byte-identical: one case of each kind here, every case
in-process in tests/sources/test_strict_input.py."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest

from tests.faults.scratch import Scratch

TD = "tam-duong-2023-health-care-plan"
KT = "kon-tum-2024-health-strategy-plan"


def sources(scratch: Scratch) -> list[str]:
    con = duckdb.connect(str(scratch.curated / "warehouse.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT source_id FROM source_document").fetchall()]
    finally:
        con.close()


def built(scratch: Scratch) -> bool:
    run = scratch.build("make")
    assert run.returncode == 0, run.stdout + run.stderr
    return "chitieu build:" in run.stdout


def test_make_notices_documents_deleted_renamed_and_copied(scratch: Scratch) -> None:
    assert not built(scratch)  # nothing changed: nothing to do
    for suffix in (".txt", ".yaml"):  # copied in with its old time (cp -p)
        shutil.copy2(scratch.raw / f"{TD}{suffix}", scratch.raw / f"copied-plan{suffix}")
    assert built(scratch) and "copied-plan" in sources(scratch)
    for suffix in (".txt", ".yaml", ".corrections.yaml"):  # renamed: the time is kept
        os.rename(scratch.raw / f"{KT}{suffix}", scratch.raw / f"renamed-plan{suffix}")
    assert built(scratch) and "renamed-plan" in sources(scratch) and KT not in sources(scratch)
    for suffix in (".txt", ".yaml"):  # deleted
        (scratch.raw / f"copied-plan{suffix}").unlink()
    assert built(scratch) and "copied-plan" not in sources(scratch)
    assert not built(scratch)
    scratch.consistent()


def test_a_file_name_with_spaces_is_the_build_s_message_not_make_s(scratch: Scratch) -> None:
    before = scratch.published()
    shutil.copy(scratch.raw / f"{TD}.txt", scratch.raw / "my plan.txt")
    run = scratch.build("make")
    assert run.returncode != 0
    assert "No rule to make target" not in run.stderr
    assert "data/raw/my plan.txt: the file name 'my plan' must be a lower-case slug" in run.stderr
    assert scratch.published() == before


BAD = {
    "duplicate key": (
        {f"{KT}.yaml": "geo: Kon Tum\ntitle: x\ngeo: Lai Châu\n"},
        f"data/raw/{KT}.yaml, line 3: key 'geo' is given twice (first on line 1)",
    ),
    "misspelt override": (
        {
            f"{KT}.corrections.yaml": "corrections:\n  - quote: '14 loại vắc'\n"
            "    action: override\n    reason: r\n    set: {valeu: 90}\n"
        },
        f"data/raw/{KT}.corrections.yaml, line 2: correction 1: 'set:' cannot name 'valeu'",
    ),
    "symlink": ({"passwd.txt@": "/etc/passwd"}, "data/raw/passwd.txt: is a symbolic link"),
    "too large": (
        {f"{TD}.txt": "Ke hoach nam 2025.\n" * 276_000},
        f"data/raw/{TD}.txt: 5.0 MB is more than the 4.0 MB a document may have",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_through_the_command(scratch: Scratch, case: str) -> None:
    files, message = BAD[case]
    build_id, before = scratch.consistent(), scratch.published()
    for name, text in files.items():
        path = scratch.raw / name.rstrip("/@")
        if name.endswith("/"):
            path.mkdir()
        elif name.endswith("@"):
            path.symlink_to(text)
        else:
            path.write_text(text, encoding="utf-8")
    run = scratch.build()
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith(f"build stopped: {message}"), run.stderr
    assert run.stderr.count("\n") == 2  # the message and "The previous warehouse is unchanged."
    assert scratch.published() == before and scratch.consistent() == build_id
