"""Several figures of one document for the same indicator, year and kind: conflict or restatement.

All are kept (nothing lost); the flags say which, and ``flag_detail`` says where the others are.
A restatement is the same figure with the same comparator; the same figure with another
comparator (``trên 7,6`` and ``đạt 7,6``) is two statements, both flagged ``comparator_differs``.

A compilation of cited figures (a long table whose rows cite their own instruments) is many
sources in one file: a document's statements are those of one citation (instrument and URL), so
two instruments giving different figures do not ``conflict`` within a document. They are kept
as two statements, each flagged ``instruments_differ`` naming the other.
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


def _key(r: dict) -> tuple:
    """What one statement is about: place, indicator, year, kind, split, conditioned or not."""
    return (
        r["geo_code"],
        r["indicator_code"],
        r["year"],
        r["kind"],
        r["sex"],
        r["residence"],
        r["condition"] is not None,
    )


def _citation(r: dict) -> tuple:
    return (r.get("cited_instrument"), r.get("cited_url"))


def flag_conflicts(rows: list[dict]) -> None:
    """Several figures for one (place, indicator, year, kind, sex, residence) and citation:
    differing ones conflict; an equal figure with the same comparator restates, with another
    comparator is kept and flagged. Across citations, differing figures are flagged
    ``instruments_differ``."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(*_key(r), _citation(r))].append(r)
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
    _flag_instruments_differ(rows)


def _flag_instruments_differ(rows: list[dict]) -> None:
    """Figures of one statement's subject cited from different instruments that differ."""
    subjects: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        if r.get("cited_instrument") is not None and r["value"] is not None:
            subjects[_key(r)].append(r)
    for group in subjects.values():
        if len({_citation(r) for r in group}) < 2 or len({r["value"] for r in group}) < 2:
            continue
        for r in group:
            others = [
                f"{o['value_reported']!r} ({o['cited_instrument']}, line {o['line_start']})"
                for o in group
                if _citation(o) != _citation(r) and o["value"] != r["value"]
            ]
            if others:
                r["flags"].append("instruments_differ")
                r["flag_detail"].append(
                    "instruments_differ: another instrument cited in this source states "
                    f"{'; '.join(others)} for this place, indicator and year"
                )


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
