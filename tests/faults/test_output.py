"""The output folder: unwritable, full, busy with another build, or held open by a reader (even a
read-write one) — each ends in one message or in a published build, never in a half-written
warehouse or a traceback; the previous warehouse stays byte-identical and readable."""

from __future__ import annotations

import fcntl
import os
import resource
import signal
import subprocess
import sys

import duckdb

from tests.faults.scratch import Scratch, change_a_document


def without_override() -> None:
    """In the child before exec: give up root's power to write where permissions forbid it
    (CAP_DAC_OVERRIDE and friends leave the bounding set, so the build runs without them).
    No privilege is gained and nothing is mounted; a read-only folder then refuses root too."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")


def assert_untouched(scratch: Scratch, before: dict[str, str], build_id: str) -> None:
    assert scratch.published() == before
    assert scratch.consistent() == build_id


def test_an_unwritable_output_folder(scratch: Scratch) -> None:
    build_id, before = scratch.consistent(), scratch.published()
    change_a_document(scratch)
    for folder in (scratch.curated, scratch.curated / "builds"):
        folder.chmod(0o555)
    try:
        run = scratch.build(preexec_fn=without_override if os.geteuid() == 0 else None)
    finally:
        for folder in (scratch.curated, scratch.curated / "builds"):
            folder.chmod(0o755)
    assert run.returncode == 4, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("build stopped: data/curated/builds")
    assert "cannot write the new warehouse (Permission denied)" in run.stderr
    assert "The previous warehouse is unchanged." in run.stderr
    assert_untouched(scratch, before, build_id)


def test_a_full_disk(scratch: Scratch) -> None:
    """The kernel refuses writes past 1 MB (RLIMIT_FSIZE: EFBIG, as a full disk gives ENOSPC):
    the staged warehouse cannot be written. No root, no mount, a real failing write."""
    build_id, before = scratch.consistent(), scratch.published()
    change_a_document(scratch)

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    run = scratch.build(preexec_fn=small_files)
    assert run.returncode == 4, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("build stopped: data/curated")
    assert "cannot write the new warehouse" in run.stderr and "File too large" in run.stderr
    assert_untouched(scratch, before, build_id)
    assert scratch.leftovers() == []  # the half-written build was removed


def test_another_build_running(scratch: Scratch) -> None:
    build_id, before = scratch.consistent(), scratch.published()
    fd = os.open(scratch.curated / "builds", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running build holds
        run = scratch.build()
    finally:
        os.close(fd)
    assert run.returncode == 4
    assert (
        run.stderr.startswith(
            "build stopped: data/curated: another build is writing data/curated; wait for it"
        )
        or "another build is writing" in run.stderr
    )
    assert "Traceback" not in run.stderr
    assert_untouched(scratch, before, build_id)


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])  # read-write, as the DuckDB CLI opens a file by default
print(con.execute("SELECT count(*) FROM observation").fetchone()[0], flush=True)
for line in sys.stdin:
    print(con.execute("SELECT count(*) FROM observation").fetchone()[0], flush=True)
"""


def test_a_read_write_holder(scratch: Scratch) -> None:
    """A process holding the warehouse open read-write (and so DuckDB's lock on it) neither
    stops a rebuild nor sees it: it keeps its snapshot, a new reader sees the new build.
    (Read-only readers: tests/warehouse/test_build.py.)"""
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(scratch.curated / "warehouse.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        n_before = int(reader.stdout.readline())
        for suffix in (".txt", ".yaml"):
            (scratch.raw / f"tam-duong-2023-health-care-plan{suffix}").unlink()
        run = scratch.build()
        assert run.returncode == 0, run.stderr
        reader.stdin.write("again\n")
        reader.stdin.flush()
        assert int(reader.stdout.readline()) == n_before  # its snapshot
        scratch.consistent()
        fresh = duckdb.connect(str(scratch.curated / "warehouse.duckdb"), read_only=True)
        assert fresh.execute("SELECT count(*) FROM observation").fetchone()[0] < n_before
        fresh.close()
    finally:
        reader.stdin.close()
        reader.wait(10)
    assert scratch.build().returncode == 0  # the next build removes the reader's old build
    assert scratch.leftovers() == []


def test_make_clean_removes_builds_links_manifest_and_leftovers(scratch: Scratch) -> None:
    curated = scratch.curated
    (curated / "builds" / "20000101T000000000000Z-1").mkdir()  # a killed build's folder
    (curated / ".warehouse-abc.duckdb.tmp").write_bytes(b"x")  # the older layout's leftovers
    (curated / ".parquet-xyz").mkdir()
    (curated / ".observation.parquet.link.99").symlink_to("nowhere")
    run = scratch.run(["make", "clean"])
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in curated.iterdir()) == [".gitkeep"]
    assert not (scratch.repo / ".cache").exists()
    assert (scratch.raw / "kon-tum-2024-health-strategy-plan.txt").is_file()
