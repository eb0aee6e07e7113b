"""What a build is made from, recorded in its folder (``inputs.json``), and what the next build
may take from it.

The record holds a hash of everything every document's rows depend on besides the document (the
extraction environment: code, reference data, extractor version), a hash of that plus what the
gate checks them with (the suites, the library versions), the raw folder's listing (names,
content hashes, file status), and per document: its files' hashes, its checked sidecar and
corrections, its cache key, its layouts and its number of rows per table. Then:

- nothing changed since the published build (same build hash, same listing, validated) -> the
  build says so and keeps it (``unchanged``);
- a document whose files are unchanged is not read again (``known_source``), and one whose key
  is unchanged keeps its rows in a copy of the previous warehouse (made by the same code and
  libraries) instead of having them extracted or read from the cache, and needs no validating
  again (``Previous.reusable``);
- the previous warehouse's tables are checked against the fingerprints recorded with them, and
  its tables and views against the schema's, before any row is taken from them: a build folder
  changed after it was published is not trusted.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

import pipeline.warehouse.builds as publishing
from pipeline import marts
from pipeline.extract.cache import environment_hash
from pipeline.marts.sql import Delta, fingerprint, fingerprint_sql
from pipeline.settings import EXPECTATIONS_DIR
from pipeline.sources import Source
from pipeline.sources.documents import CORRECTIONS_SUFFIX
from pipeline.sources.manifest import entries, manifest_text
from pipeline.sources.table_spec import TableSpec
from pipeline.warehouse.schema import TABLES

RECORD = "inputs.json"
RECORD_VERSION = 3  # 3: rows counted, not placed (row ranges); table documents' specs kept
# the tables whose rows are per document, in the order a build loads them
DOCUMENT_TABLES = ("observation", "unmapped")
# tables whose content is fingerprinted in the record (and checked before reuse)
FINGERPRINTED = (*DOCUMENT_TABLES, "source_document", "gap_rows", "yardstick_rows")


def _versions() -> str:
    import pyarrow

    from pipeline.quality.gx import gx_version

    return json.dumps(
        [platform.python_version(), duckdb.__version__, pyarrow.__version__, gx_version()]
    )


def build_hash(environment: str, expectations_dir: Path = EXPECTATIONS_DIR) -> str:
    """What a build's content depends on besides the documents: the extraction environment,
    the suites the gate checks it with and the versions of the libraries that write and check."""
    h = hashlib.sha256(environment.encode())
    h.update(_versions().encode())
    for path in sorted(expectations_dir.glob("*.json")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def relations(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """Every user table and view (kind, name) of the warehouse, macros and sequences too."""
    return {
        tuple(r)
        for r in con.execute(
            """SELECT 'table', table_name FROM duckdb_tables() WHERE NOT internal
               UNION ALL SELECT 'view', view_name FROM duckdb_views() WHERE NOT internal
               UNION ALL SELECT 'macro', function_name FROM duckdb_functions()
                 WHERE NOT internal AND function_type LIKE '%macro%'
               UNION ALL SELECT 'sequence', sequence_name FROM duckdb_sequences()"""
        ).fetchall()
    }


EXPECTED_RELATIONS = {("table", t) for t in TABLES} | {
    r for v in marts.VIEWS for r in (("table", f"{v}_rows"), ("view", v))
}


def fingerprints(
    con: duckdb.DuckDBPyConnection,
    schema: str = "",
    previous: dict[str, list] | None = None,
    deltas: dict[str, Delta] | None = None,
) -> dict[str, list]:
    """Row count and an order-independent hash of every row, per fingerprinted table.

    A table patched in a copy of the previous warehouse (``deltas``: the fingerprints of the rows
    it lost and gained) has its fingerprint worked out from the previous one (``previous``, as
    recorded and checked) instead of read: the hash is the XOR of the rows' hashes."""
    prefix = f"{schema}." if schema else ""
    out = {}
    for table in FINGERPRINTED:
        if previous is not None and deltas and table in deltas:
            (n_gone, h_gone), (n_new, h_new) = deltas[table]
            n, h = previous[table]
            n = n - n_gone + n_new
            h = (0 if h == "None" else int(h)) ^ h_gone ^ h_new
        else:
            n, h = fingerprint(con, fingerprint_sql(f"{prefix}{table}"))
        out[table] = [n, str(h) if n else "None"]
    return out


@dataclass
class Previous:
    """The published build's record, as far as this build may use it."""

    folder: Path
    record: dict
    same_environment: bool  # its rows are what this build's code makes of the same documents
    same_build: bool  # and its gate results are what this build's gate says of them
    by_id: dict[str, dict] = field(default_factory=dict)
    by_stem: dict[str, dict] = field(default_factory=dict)

    @property
    def warehouse(self) -> Path:
        return self.folder / "warehouse.duckdb"

    @property
    def build_id(self) -> str:
        return self.record["build_id"]

    def reusable(self, source_id: str, key: str) -> bool:
        """Whether the rows of ``source_id`` with cache key ``key`` are in the warehouse."""
        doc = self.by_id.get(source_id)
        return self.same_environment and doc is not None and doc["key"] == key

    def verified(self) -> bool:
        """Whether the warehouse's tables still hold what the record says they held, and it
        holds the schema's tables and views and nothing else (a rebuild patches a copy of it)."""
        try:
            con = duckdb.connect(str(self.warehouse), read_only=True)
        except duckdb.Error:
            return False
        try:
            return (
                relations(con) == EXPECTED_RELATIONS and fingerprints(con) == self.record["tables"]
            )
        except duckdb.Error:
            return False
        finally:
            con.close()


def previous_build(out_dir: Path, environment: str, build: str) -> Previous | None:
    """The published build of ``out_dir`` with its record, or None (none, or unreadable)."""
    folder = publishing.current_build(out_dir)
    if folder is None:
        return None
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
        return None
    prev = Previous(folder, record, record["environment"] == environment, record["build"] == build)
    prev.by_id = {d["source_id"]: d for d in record["sources"]}
    prev.by_stem = {d["stem"]: d for d in record["sources"]}
    return prev


@dataclass
class Listing:
    """The raw folder as a build read it (before reading it: see ``steps.publish``)."""

    entries: list[dict]
    taken_at: float

    def __post_init__(self) -> None:
        self._hashes = {e["name"]: e.get("sha256") for e in self.entries}
        self.manifest = manifest_text(self.entries)  # what make's manifest holds
        self.digest = hashlib.sha256(self.manifest.encode()).hexdigest()

    def hash_of(self, name: str) -> str | None:
        return self._hashes.get(name)


def list_raw(raw_dir: Path, previous: Previous | None, now: float) -> Listing:
    """The raw folder's entries, hashing only files changed since the previous listing."""
    known = None
    if previous is not None:
        known = {e["name"]: e for e in previous.record["listing"]}
    return Listing(entries(raw_dir, known), now)


def unchanged(previous: Previous | None, listing: Listing) -> bool:
    """Whether the published build was made and validated from exactly these inputs: then
    there is nothing to build."""
    return (
        previous is not None
        and previous.same_build
        and previous.record["validated"]
        and previous.record["manifest"] == listing.digest
    )


def _files(stem: str, listing: Listing) -> dict[str, str | None]:
    return {
        "text": listing.hash_of(f"{stem}.txt") or listing.hash_of(f"{stem}.csv"),
        "sidecar": listing.hash_of(f"{stem}.yaml"),
        "corrections": listing.hash_of(f"{stem}{CORRECTIONS_SUFFIX}"),
    }


def key_of(previous: Previous | None, source: Source, listing: Listing) -> str | None:
    """The cache key the previous build recorded for a document whose files (text, sidecar,
    corrections) are those it read: the key is a function of them and of the environment."""
    if previous is None or not previous.same_environment:
        return None
    doc = previous.by_id.get(source.source_id)
    if doc is None or doc["stem"] != source.path.stem or doc.get("sha256") != source.sha256:
        return None
    return doc["key"] if doc["files"] == _files(doc["stem"], listing) else None


def source_record(source: Source, listing: Listing, key: str) -> dict:
    """What the record keeps of a discovered document (all but its text)."""
    stem = source.path.stem
    return {
        "source_id": source.source_id,
        "stem": stem,
        "files": _files(stem, listing),
        "key": key,
        "file_name": source.path.name,
        "meta": _meta_record(source.meta),
        "geo_code": source.geo_code,
        "sha256": source.sha256,
        "n_lines": source.n_lines,
        "corrections": source.corrections,
        "notes": source.notes,
    }


def _meta_record(meta: dict) -> dict:
    """A checked sidecar as JSON: a table document's spec (an object) as its fields."""
    table = meta.get("table")
    return meta if table is None else {**meta, "table": table.to_record()}


def _meta_from_record(meta: dict) -> dict:
    table = meta.get("table")
    return meta if table is None else {**meta, "table": TableSpec.from_record(table)}


def known_sources(previous: Previous | None, listing: Listing, raw_dir: Path):
    """``discover``'s ``known``: the previous build's document when its files are unchanged.

    Only within one extraction environment: the sidecar's place resolves against the reference
    geography, with this code.
    """
    if previous is None or not previous.same_environment:
        return None

    def known(stem: str) -> Source | None:
        doc = previous.by_stem.get(stem)
        if (
            doc is None
            or doc["files"] != _files(stem, listing)
            or None
            in (
                doc["files"]["text"],
                doc["files"]["sidecar"],
            )
        ):
            return None
        corrections = raw_dir / f"{stem}{CORRECTIONS_SUFFIX}"
        return Source(
            doc["source_id"],
            raw_dir / doc["file_name"],
            raw_dir / f"{stem}.yaml",
            _meta_from_record(doc["meta"]),
            doc["geo_code"],
            None,
            doc["sha256"],
            doc["n_lines"],
            corrections if doc["files"]["corrections"] else None,
            doc["corrections"],
            doc["notes"],
        )

    return known


def write_record(path: Path, record: dict) -> None:
    path.write_text(json.dumps(record, ensure_ascii=False, separators=(",", ":")), "utf-8")


def environment(reference_dir: Path) -> tuple[str, str]:
    """The extraction environment's hash and the build hash."""
    env = environment_hash(reference_dir)
    return env, build_hash(env)
