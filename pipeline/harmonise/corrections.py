"""Quote-checked corrections (``<source_id>.corrections.yaml``) applied to a document's rows."""

from __future__ import annotations

from pipeline.errors import InputError
from pipeline.sources import Source


def apply_corrections(source: Source, rows: list[dict]) -> list[dict]:
    """Apply active corrections in place; returns the rows a correction drops."""
    for c in source.corrections:
        if c.get("status", "active") != "active":
            continue
        match = c.get("match") or {}
        hits = [
            r
            for r in rows
            if c["quote"] in r["quote"] or r["quote"] in c["quote"]
            if all(
                str(r.get(k if k != "indicator" else "indicator_code")) == str(v)
                for k, v in match.items()
            )
        ]
        where = f"{source.corrections_path.name}: correction {c['id']}"
        if not hits:
            raise InputError(
                f"data/raw/{where}: matches no observation (quote {c['quote']!r}, match {match})"
            )
        for r in hits:
            r["correction_ids"].append(str(c["id"]))
            r["flags"].append("correction_applied")
            r["flag_detail"].append(f"correction_applied ({c['action']}): {c['reason']}")
            if c["action"] == "override":
                for k, v in c["set"].items():
                    r[k] = v
            elif c["action"] == "drop":
                r["_drop"] = True
    dropped = [r for r in rows if r.get("_drop")]
    rows[:] = [r for r in rows if not r.pop("_drop", False)]
    return dropped
