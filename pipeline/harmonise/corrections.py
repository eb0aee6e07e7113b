"""Quote-checked corrections (``<source_id>.corrections.yaml``) applied to a document's rows."""

from __future__ import annotations

from pipeline.errors import InputError
from pipeline.settings import relative
from pipeline.sources import Source
from pipeline.sources.corrections import SETTABLE, check_values


def apply_corrections(source: Source, rows: list[dict]) -> list[dict]:
    """Apply active corrections in place; returns the rows a correction drops.

    ``set:`` is checked again here (reading the file checked it already) so that corrections
    made in code are held to the same columns and types: a misspelt column stops the build
    instead of flagging a row as corrected and changing nothing.
    """
    for c in source.corrections:
        if c.get("status", "active") != "active":
            continue
        where = f"{relative(source.corrections_path)}: correction {c['id']}"
        values = check_values(c["set"], SETTABLE, "set", where) if c["action"] == "override" else {}
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
        if not hits:
            raise InputError(
                f"{where}: matches no observation (quote {c['quote']!r}, match {match})"
            )
        for r in hits:
            r["correction_ids"].append(str(c["id"]))
            r["flags"].append("correction_applied")
            r["flag_detail"].append(f"correction_applied ({c['action']}): {c['reason']}")
            r.update(values)
            if c["action"] == "drop":
                r["_drop"] = True
    dropped = [r for r in rows if r.get("_drop")]
    rows[:] = [r for r in rows if not r.pop("_drop", False)]
    return dropped
