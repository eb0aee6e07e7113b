"""The tables a build writes besides observations: documents, corrections, build information."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess

import duckdb
import pandas as pd

from pipeline import __version__
from pipeline.settings import ROOT
from pipeline.sources import Source
from pipeline.sources.places import document_map
from pipeline.staging import EXTRACTOR_VERSION


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def source_table(sources: list[Source], layouts: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "source_id": s.source_id,
                "geo_code": s.geo_code,
                "title": " ".join(str(s.meta["title"]).split()),
                "title_en": s.meta.get("title_en"),
                "issuer": s.meta.get("issuer"),
                "issued_on": s.meta.get("issued_on"),
                "doc_number": s.meta.get("doc_number"),
                "url": s.meta.get("url"),
                "file_name": s.path.name,
                "sha256": s.sha256,
                "n_lines": s.n_lines,
                "default_year": s.meta.get("default_year"),
                "layouts": sorted(set(layouts.get(s.source_id, []))),
                "n_corrections": len(s.corrections),
                "extractor_version": EXTRACTOR_VERSION,
                "official_statistics": bool(s.meta.get("official_statistics", False)),
                "table_shape": s.meta["table"].shape if s.meta.get("table") else None,
                "geo_map": document_map(s.meta),
            }
            for s in sources
        ]
    ).astype({"default_year": "Int64"})


def correction_table(sources: list[Source], obs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for s in sources:
        for c in s.corrections:
            n = int(
                sum(
                    str(c["id"]) in ids
                    for ids in obs.loc[obs["source_id"] == s.source_id, "correction_ids"]
                )
            )
            rows.append(
                {
                    "correction_id": str(c["id"]),
                    "source_id": s.source_id,
                    "action": c["action"],
                    "reason": c["reason"],
                    "quote": c["quote"],
                    "status": c.get("status", "active"),
                    "n_observations": n,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "correction_id",
            "source_id",
            "action",
            "reason",
            "quote",
            "status",
            "n_observations",
        ],
    )


def build_info_table(**counts: object) -> pd.DataFrame:
    """The one row of `build_info`: when, from which commit and code, and what was built."""
    return pd.DataFrame(
        [
            {
                "built_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "git_commit": _git_commit(),
                "package_version": __version__,
                "extractor_version": EXTRACTOR_VERSION,
                "duckdb_version": duckdb.__version__,
                "python_version": platform.python_version(),
                **counts,
            }
        ]
    )


def load(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    """Insert ``df`` into ``table`` by column name (columns the frame lacks are NULL)."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    df = df.reindex(columns=cols)
    con.register("_df", df)
    con.execute(f"INSERT INTO {table} SELECT {', '.join(cols)} FROM _df")
    con.unregister("_df")
