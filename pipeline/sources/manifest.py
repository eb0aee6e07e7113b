"""The manifest of the raw folder: every entry's name, kind and content hash, one per line.

``make build`` cannot see a document that was deleted or renamed, nor one copied in with its
old modification time: make compares times, not listings. So the Makefile's warehouse target
depends on this manifest, which ``make build`` rewrites first (``python -m
pipeline.sources.manifest <file>``) and the build rewrites when it starts; either writes it only
when the listing or a hash changed, so an unchanged raw folder leaves it older than the
warehouse and make does nothing. It lives outside the raw folder, which is never written.

A build also records each file's status (size, times, inode) with its hash
(:func:`entries`): the next build hashes again only the files whose status changed, or that
changed too shortly before they were hashed for their time stamps to tell (as git's index does).

Standard library only: make runs this on every ``make build``.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from pathlib import Path

# A file's hash is trusted from an earlier listing only if the file had not changed for this many
# nanoseconds when that listing hashed it: a write in the same clock tick as the hashing could
# leave its size and time stamps as they were.
RACY_NS = 2_000_000_000


def _status(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _entry(path: Path, known: dict | None = None, taken_ns: int = 0) -> dict:
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):  # never followed: a link to /dev/zero must not hang make
        return {"name": path.name, "kind": "symlink", "target": os.readlink(path)}
    if not stat.S_ISREG(st.st_mode):
        return {"name": path.name, "kind": "directory" if stat.S_ISDIR(st.st_mode) else "other"}
    status = _status(st)
    if (
        known is not None
        and known.get("status") == status
        and known.get("hashed_ns", 0) - max(st.st_mtime_ns, st.st_ctime_ns) >= RACY_NS
    ):
        digest, hashed_ns = known["sha256"], known["hashed_ns"]
    else:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        digest, hashed_ns = h.hexdigest(), taken_ns
    entry = {"name": path.name, "kind": "file", "size": st.st_size, "sha256": digest}
    return {**entry, "status": status, "hashed_ns": hashed_ns} if taken_ns else entry


def entries(raw_dir: Path, known: dict[str, dict] | None = None) -> list[dict]:
    """The manifest's entries, each file's with its status and when it was hashed; a file whose
    status is that of its entry in ``known`` (an earlier listing, by name), hashed long enough
    after its last change, keeps that entry's hash without being read."""
    taken_ns = time.time_ns()
    try:
        names = sorted(os.listdir(raw_dir))
    except OSError:  # missing or unreadable: the build says so, naming the folder
        return []
    out = []
    for name in names:
        try:
            out.append(_entry(raw_dir / name, (known or {}).get(name), taken_ns))
        except OSError as e:  # unreadable: the build will say so; the manifest notes it
            out.append({"name": name, "kind": "unreadable", "error": e.strerror})
    return out


def manifest_text(listed: list[dict]) -> str:
    """The manifest of a listing (:func:`entries`): the names, kinds and hashes."""
    keys = ("name", "kind", "size", "sha256", "target", "error")
    lines = (json.dumps({k: e[k] for k in keys if k in e}, ensure_ascii=False) for e in listed)
    return "".join(line + "\n" for line in lines)


def manifest(raw_dir: Path) -> str:
    """The manifest of ``raw_dir`` as text (JSON lines sorted by name; '' if it is missing)."""
    return manifest_text(entries(raw_dir))


def write_manifest(path: Path, text: str, taken_at: float | None = None) -> bool:
    """Store the manifest ``text`` in ``path`` unless it holds it already; whether it wrote.

    ``taken_at`` (a time.time()) dates the file to when the listing was taken: a build stores
    the manifest of what it read when it publishes, and the file must not look newer than the
    warehouse made from it.
    """
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    if taken_at is not None:
        os.utime(tmp, (taken_at, taken_at))
    os.replace(tmp, path)
    return True


def main(argv: list[str]) -> int:
    from pipeline.settings import RAW_DIR

    if len(argv) != 1:
        print("usage: python -m pipeline.sources.manifest <manifest file>", file=sys.stderr)
        return 2
    try:
        write_manifest(Path(argv[0]), manifest(RAW_DIR))
    except OSError as e:
        print(f"{argv[0]}: cannot write the manifest of {RAW_DIR} ({e.strerror})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
