"""The marts' SQL files, as a researcher would paste them into any DuckDB client."""

from __future__ import annotations

from pipeline.settings import PACKAGE_DIR

MARTS_DIR = PACKAGE_DIR / "marts"


def view_sql(name: str) -> str:
    """The SQL file of a view (``<name>.sql`` beside this module)."""
    return (MARTS_DIR / f"{name}.sql").read_text(encoding="utf-8")


# A table's fingerprint: its row count and the XOR of its rows' hashes, which does not depend on
# the rows' order, and which a patch updates with the rows it deletes and adds (Delta).
Fingerprint = tuple[int, int]
Delta = tuple[Fingerprint, Fingerprint]  # (deleted, added)


def fingerprint_sql(relation: str, where: str = "TRUE", join: str = "") -> str:
    """SQL for the fingerprint (count, XOR of hashes; NULL for no rows) of ``relation``'s rows,
    as ``t`` (optionally joined by ``join`` and filtered by ``where``)."""
    return f"SELECT count(*), bit_xor(hash(t)) FROM {relation} t {join} WHERE {where}"


def fingerprint(con, sql: str) -> Fingerprint:
    (n, h) = con.execute(sql).fetchall()[0]  # fetched whole: DuckDB 2 refuses a new query meanwhile
    return int(n), int(h or 0)
