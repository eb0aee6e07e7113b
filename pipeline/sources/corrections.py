"""The corrections file (``<source_id>.corrections.yaml``): source errors general code must not
decide, each naming its observations by a verbatim quote.

Read by the strict YAML reader, then checked: known keys, an action, a quote that occurs in the
document, ids used once, ``match:`` and ``set:`` keys that name real columns and values of
their columns' types. A misspelt ``set: {valeu: 90}`` would otherwise flag the row as corrected
and change nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import InputError, did_you_mean
from pipeline.settings import MAX_CORRECTIONS_BYTES, PLAUSIBLE_YEARS, relative
from pipeline.sources.strict_yaml import YamlMap, load_strict

CORRECTION_KEYS = {"id", "quote", "action", "reason", "status", "match", "set"}
CORRECTION_ACTIONS = {"override", "drop", "flag"}
CORRECTION_STATUSES = {"active", "proposed", "retired"}  # only active ones apply
KINDS = ("actual", "target")
COMPARATORS = ("=", "<", "<=", ">", ">=", "~")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _number(v: object) -> float:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str) and _NUMBER.fullmatch(v.strip()):
        return float(v)
    hint = " (write a decimal point, not a comma)" if isinstance(v, str) and "," in v else ""
    raise ValueError(f"must be a number such as 12.5{hint}")


def _year(v: object) -> int:
    lo, hi = PLAUSIBLE_YEARS
    text = str(v).strip() if not isinstance(v, bool) else ""
    if re.fullmatch(r"\d{4}", text) and lo <= int(text) <= hi:
        return int(text)
    raise ValueError(f"must be a year from {lo} to {hi}")


def _one_of(choices: tuple[str, ...]) -> Callable[[object], str]:
    def check(v: object) -> str:
        if isinstance(v, str) and v in choices:
            return v
        raise ValueError(f"must be one of {', '.join(choices)}")

    return check


def _boolean(v: object) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise ValueError("must be true or false")


def _text(v: object) -> str:
    if isinstance(v, str) and v.strip():
        return v
    raise ValueError("must be text")


# The observation columns an override may set, each with how its value is read. Everything
# else is derived (ids, units, flags) or provenance (quote, lines) and is never overridden.
SETTABLE: dict[str, Callable[[object], object]] = {
    "value": _number,
    "value_upper": _number,
    "year": _year,
    "kind": _one_of(KINDS),
    "comparator": _one_of(COMPARATORS),
    "is_estimate": _boolean,
    "condition": _text,
}
# What ``match:`` may narrow a quote by (``indicator`` is the observation's indicator_code).
MATCHABLE: dict[str, Callable[[object], object]] = {
    "indicator": _text,
    "year": _year,
    "kind": _one_of(KINDS),
}


def check_values(
    values: object, allowed: dict[str, Callable[[object], object]], key: str, where: str
) -> dict:
    """``values`` (a ``set:`` or ``match:`` mapping) with known keys and typed values."""
    if not isinstance(values, dict) or not values:
        raise InputError(f"{where}: '{key}:' must be a mapping of columns to values")
    out = {}
    for column, value in values.items():
        if column not in allowed:
            raise InputError(
                f"{where}: '{key}:' cannot name {column!r}{did_you_mean(column, allowed)}; "
                f"it may name {', '.join(allowed)}"
            )
        try:
            out[column] = allowed[column](value)
        except ValueError as e:
            raise InputError(f"{where}: '{key}: {column}' {e}, got {value!r}") from None
    return out


def read_corrections(path: Path, text: str) -> list[dict]:
    """The checked corrections of the document whose text is ``text``."""
    doc = load_strict(path, MAX_CORRECTIONS_BYTES, "corrections file")
    if doc is None:
        return []
    items = doc.get("corrections") if isinstance(doc, YamlMap) else None
    if not isinstance(items, list) or set(doc) != {"corrections"}:
        raise InputError(f"{relative(path)}: expected only a top-level 'corrections:' list")
    out: list[dict] = []
    ids: dict[str, int] = {}
    for i, c in enumerate(items, 1):
        item = _check_one(path, i, c, text)
        if item["id"] in ids:
            raise InputError(
                f"{relative(path)}: correction {i}: id {item['id']!r} is already used by "
                f"correction {ids[item['id']]}"
            )
        ids[item["id"]] = i
        out.append(item)
    return out


def _check_one(path: Path, i: int, c: object, text: str) -> dict:
    where = f"{relative(path)}: correction {i}"
    if not isinstance(c, YamlMap):
        raise InputError(f"{where}: must be a mapping")
    where = f"{relative(path)}, line {c.line}: correction {i}"
    for key in c:
        if key not in CORRECTION_KEYS:
            raise InputError(f"{where}: unknown key {key!r}{did_you_mean(key, CORRECTION_KEYS)}")
    for key in ("quote", "action", "reason"):
        if not isinstance(c.get(key), str) or not c[key]:
            raise InputError(f"{where}: required key {key!r} is missing or not text")
    for key in ("id", "status"):
        if key in c and not isinstance(c[key], str):
            raise InputError(f"{where}: key {key!r} must be text")
    if c["action"] not in CORRECTION_ACTIONS:
        raise InputError(f"{where}: action must be one of {sorted(CORRECTION_ACTIONS)}")
    status = c.get("status") or "active"
    if status not in CORRECTION_STATUSES:
        raise InputError(
            f"{where}: status {status!r} is not one of {sorted(CORRECTION_STATUSES)}"
            f"{did_you_mean(status, CORRECTION_STATUSES)}"
        )
    item = dict(c, id=c.get("id") or f"{path.name.split('.')[0]}#{i}", status=status)
    if c.get("match") is not None:
        item["match"] = check_values(c["match"], MATCHABLE, "match", where)
    if c["action"] == "override":
        item["set"] = check_values(c.get("set"), SETTABLE, "set", where)
    elif c.get("set") is not None:
        raise InputError(f"{where}: 'set:' is only for action override")
    if c["quote"] not in text:
        raise InputError(
            f"{where}: quote {c['quote']!r} does not occur in the source document; "
            "a correction must quote the text it corrects verbatim"
        )
    return item
