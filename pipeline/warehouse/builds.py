"""Publishing a build: a complete folder, made current by one atomic pointer switch.

The output folder (``data/curated``) holds::

    builds/<build_id>/      warehouse.duckdb, <table>.parquet ..., build_report.json
    current -> builds/<build_id>
    warehouse.duckdb -> current/warehouse.duckdb       (and each Parquet file, the report)

A build writes everything into its own folder under ``builds/``; publishing is the rename of a
new ``current`` symlink over the old one, so a reader sees the old warehouse with its exports or
the new one with its exports, never a mix, and a build killed at any point leaves the published
one untouched. The stable names (``warehouse.duckdb``, ``observation.parquet``, ...) are
symlinks through ``current`` that never change, so researchers' paths, ``CHITIEU_WAREHOUSE``
and the Makefile keep working. A reader that opened the old file keeps reading its snapshot
(the previous build is kept until the next one). Builds hold an exclusive lock on ``builds/``,
and each removes what killed builds left behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import stat
from pathlib import Path

from pipeline.errors import OutputError
from pipeline.settings import relative

BUILDS = "builds"
CURRENT = "current"
MANIFEST = ".raw-manifest"  # of the raw folder, read by the Makefile (pipeline.sources.manifest)
# temporary files of killed builds, of this layout and the one before
_LEFTOVERS = (".warehouse-*.duckdb.tmp*", ".parquet-*", ".*.link.*", f"{MANIFEST}.*.tmp")


def new_build_id() -> str:
    """Sortable and unique per process: UTC time to the microsecond, then the process id."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}"


def lock(out_dir: Path) -> int:
    """Hold the exclusive build lock of ``out_dir`` (released when the fd closes or on kill)."""
    builds = out_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    fd = os.open(builds, os.O_RDONLY)
    try:
        import fcntl
    except ImportError:  # Windows: one build at a time is then up to the user
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise OutputError(
            f"another build is writing {relative(out_dir)}; wait for it to finish"
        ) from None
    return fd


def current_build(out_dir: Path) -> Path | None:
    """The published build's folder, or None before the first build of this layout."""
    link = out_dir / CURRENT
    if not link.is_symlink():
        return None
    return (out_dir / os.readlink(link)).resolve() if link.exists() else None


def remove_leftovers(out_dir: Path, keep: tuple[Path, ...] = ()) -> None:
    """Delete builds other than the current one and ``keep``, and older layouts' temp files."""
    current = current_build(out_dir)
    kept = {p.resolve() for p in (*keep, *([current] if current else []))}
    builds = out_dir / BUILDS
    for entry in builds.iterdir() if builds.is_dir() else ():
        if entry.resolve() not in kept:
            _remove(entry)
    for pattern in _LEFTOVERS:
        for entry in out_dir.glob(pattern):
            _remove(entry)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def seal(build_dir: Path) -> None:
    """Make a finished build read-only and durable before it is published."""
    for f in build_dir.iterdir():
        if f.is_file():
            f.chmod(0o444)
            _fsync(f)
    _fsync(build_dir)


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a directory
        pass
    finally:
        os.close(fd)


def _replace_with_symlink(path: Path, target: str) -> None:
    """Atomically make ``path`` a symlink to ``target`` (whatever file it was before)."""
    tmp = path.with_name(f".{path.name}.link.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _adopt_legacy(out_dir: Path) -> None:
    """Turn an output folder of the older layout (plain files) into a build of this one.

    The plain ``warehouse.duckdb`` and Parquet files are hard-linked (or copied) into a build
    folder, ``current`` is pointed at it, and each plain file is then replaced by its symlink:
    every name reads the same bytes at every moment, so a kill here loses nothing.
    """
    plain = [
        p
        for p in out_dir.iterdir()
        if _is_published_name(p.name) and stat.S_ISREG(p.lstat().st_mode)
    ]
    if not plain:
        return
    legacy = out_dir / BUILDS / f"legacy-{new_build_id()}"
    legacy.mkdir(parents=True)
    for p in plain:
        try:
            os.link(p, legacy / p.name)
        except OSError:
            shutil.copy2(p, legacy / p.name)
    _replace_with_symlink(out_dir / CURRENT, f"{BUILDS}/{legacy.name}")
    for p in plain:
        _replace_with_symlink(p, f"{CURRENT}/{p.name}")


def _is_published_name(name: str) -> bool:
    return name in ("warehouse.duckdb", "build_report.json") or name.endswith(
        (".parquet", ".arrow")
    )


def switch(out_dir: Path, build_dir: Path) -> Path | None:
    """Publish ``build_dir``: the stable names exist, then one rename makes it current.

    Returns the build that was current before (kept until the next build for its readers).
    """
    if not (out_dir / CURRENT).is_symlink():
        _adopt_legacy(out_dir)
    previous = current_build(out_dir)
    for f in sorted(build_dir.iterdir()):
        link = out_dir / f.name
        target = f"{CURRENT}/{f.name}"
        if _is_published_name(f.name) and not (link.is_symlink() and os.readlink(link) == target):
            _replace_with_symlink(link, target)  # resolves once `current` is switched
    _replace_with_symlink(out_dir / CURRENT, f"{BUILDS}/{build_dir.name}")  # the publication
    _fsync(out_dir)
    return previous
