"""Several figures of one document for the same indicator, year and kind: conflict or restatement.

Both are kept (nothing lost); the flags say which, and ``flag_detail`` says where the others are.
"""

from __future__ import annotations

from collections import defaultdict


def flag_conflicts(rows: list[dict]) -> None:
    """Several figures for one (place, indicator, year, kind, sex, residence): differing ones
    conflict, equal ones restate."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        key = (r["geo_code"], r["indicator_code"], r["year"], r["kind"], r["sex"], r["residence"])
        groups[(*key, r["condition"] is not None)].append(r)
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda r: r["line_start"])
        values = {(r["value"], r["value_reported"] if r["value"] is None else None) for r in group}
        if len(values) > 1:
            for r in group:
                others = [
                    f"{o['value_reported']!r} (line {o['line_start']})" for o in group if o is not r
                ]
                r["flags"].append("conflict")
                r["flag_detail"].append(
                    f"conflict: the same document also states {', '.join(others)} "
                    "for this indicator and year"
                )
        else:
            first = group[0]
            for r in group[1:]:
                r["flags"].append("restated")
                note = f"restated: same figure first stated at line {first['line_start']}"
                if r["comparator"] != first["comparator"]:
                    note += (
                        f" (there with comparator {first['comparator']!r}, "
                        f"here {r['comparator']!r})"
                    )
                r["flag_detail"].append(note)
