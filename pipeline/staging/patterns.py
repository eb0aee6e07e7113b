"""Regex plumbing shared by the readers: one scan instead of many, and line-start scans."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=64)
def _union(patterns: tuple[str, ...], flags: int) -> re.Pattern[str]:
    """One regex that finds text wherever any of ``patterns`` would (a single scan, not n)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


def any_of(regexes: list[re.Pattern[str]]) -> re.Pattern[str]:
    """The union of compiled regexes (which must share their flags)."""
    flags = {rx.flags for rx in regexes}
    if len(flags) > 1:
        raise ValueError("regexes compiled with different flags cannot be joined")
    return _union(tuple(rx.pattern for rx in regexes), flags.pop() if flags else 0)


@lru_cache(maxsize=16)
def after_break(rx: re.Pattern[str]) -> re.Pattern[str]:
    """``rx`` right after a line break: a literal first character, which a search skips to."""
    return re.compile(f"\n(?:{rx.pattern})", rx.flags)
