"""Several figures of one document for the same indicator, year and kind: conflict or restatement.

All are kept (nothing lost); the flags say which, and ``flag_detail`` says where the others are.
A restatement is the same figure with the same comparator; the same figure with another
comparator (``trên 7,6`` and ``đạt 7,6``) is two statements, both flagged ``comparator_differs``.
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
    """Several figures for one (place, indicator, year, kind, sex, residence): differing ones
    conflict; an equal figure with the same comparator restates, with another comparator is
    kept and flagged."""
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
                r["flags"].append("conflict")
                r["flag_detail"].append(
                    f"conflict: the same document also states {_others(group, r)} "
                    "for this indicator and year"
                )
        else:
            _flag_restatements(group)


def _flag_restatements(group: list[dict]) -> None:
    """One figure stated several times (in line order). A statement repeating an earlier one's
    figure *and* comparator is ``restated``; where the comparators differ (``trên 7,6`` and
    ``đạt 7,6``) every statement is kept and flagged ``comparator_differs``, naming the others."""
    first: dict[object, dict] = {}
    for r in group:
        earlier = first.setdefault(r["comparator"], r)
        if earlier is not r:
            r["flags"].append("restated")
            r["flag_detail"].append(
                f"restated: same figure first stated at line {earlier['line_start']}"
            )
    if len(first) < 2:
        return
    for r in group:
        others = [
            f"{o['value_reported']!r} with comparator {o['comparator']!r} (line {o['line_start']})"
            for o in first.values()
            if o["comparator"] != r["comparator"]
        ]
        r["flags"].append("comparator_differs")
        r["flag_detail"].append(
            f"comparator_differs: the same document also states this figure as {', '.join(others)}"
        )
