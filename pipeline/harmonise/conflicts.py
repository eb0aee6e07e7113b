"""Several figures of one document for the same indicator, year and kind: conflict or restatement.

Both are kept (nothing lost); the flags say which, and ``flag_detail`` says where the others are.
"""

from __future__ import annotations

from collections import defaultdict

MAX_OTHERS_LISTED = 10  # a row names at most this many other statements, then counts the rest


def _others(group: list[dict], row: dict) -> str:
    """The other statements of ``row``'s group, at most ``MAX_OTHERS_LISTED`` of them by name.

    Listing them all made ``flag_detail`` grow with the square of a figure's repetitions: a
    document stating one indicator 2,000 times took gigabytes for the details alone.
    """
    others = []
    for o in group:
        if o is not row:
            if len(others) == MAX_OTHERS_LISTED:
                rest = len(group) - 1 - MAX_OTHERS_LISTED
                return f"{', '.join(others)} and {rest} more"
            others.append(f"{o['value_reported']!r} (line {o['line_start']})")
    return ", ".join(others)


def flag_conflicts(rows: list[dict]) -> None:
    """Several figures for one (indicator, year, kind): differing ones conflict, equal restate."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["indicator_code"], r["year"], r["kind"], r["condition"] is not None)].append(r)
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda r: r["line_start"])
        values = {(r["value"], r["value_reported"] if r["value"] is None else None) for r in group}
        if len(values) > 1:
            for r in group:
                r["flags"].append("conflict")
                r["flag_detail"].append(
                    f"conflict: the same document also states {_others(group, r)} "
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
