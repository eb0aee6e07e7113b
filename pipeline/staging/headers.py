"""Table-header words by role ('number', 'label', 'unit', 'note'), compiled once per grammar.

A line is a table header because of these words, never because of where it stands, so every
table reader asks the same lexicon entries (``table_header``, ``header_continuation``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.staging.patterns import any_of
from pipeline.text import fold_phrase, phrase_needle, phrase_pieces, phrase_regex
from pipeline.text.grammar import Grammar

ROLES = ("number", "label", "unit", "note")


@lru_cache(maxsize=8)
def header_words(grammar: Grammar) -> dict[str, list[re.Pattern[str]]]:
    """Words of a table header by role, each phrase its own regex."""
    hdr = grammar.lexicon["table_header"]
    return {k: [re.compile(phrase_regex(fold_phrase(w))) for w in v] for k, v in hdr.items()}


@lru_cache(maxsize=8)
def any_header_word(grammar: Grammar) -> dict[str, re.Pattern[str]]:
    """By role, one regex for all its phrases: a single scan of a cell or a line."""
    return {role: any_of(rxs) for role, rxs in header_words(grammar).items()}


@lru_cache(maxsize=8)
def header_needles(grammar: Grammar, role: str) -> tuple[str, ...]:
    """A literal every match of a header phrase contains (its longest word): a cheap pre-check.

    A phrase's regex matches its words (split at ' ' and '/') literally, so a text holding none
    of the needles holds none of the phrases.
    """
    phrases = grammar.lexicon["table_header"][role]
    return tuple(phrase_needle(fold_phrase(w)) for w in phrases)


@lru_cache(maxsize=8)
def header_continuation(grammar: Grammar) -> re.Pattern[str]:
    """A line that continues a PDF table's header: only header words, years and dashes.

    The words are those of the lexicon's column kinds, table-header phrases and
    ``header_continuation``.
    """
    lex = grammar.lexicon
    phrases = [
        *(p for ps in lex["column_kinds"].values() for p in ps),
        *(p for ps in lex["table_header"].values() for p in ps),
        *lex["header_continuation"],
    ]
    words = sorted({w for p in phrases for w in phrase_pieces(fold_phrase(p)) if w}, key=len)
    alternatives = "|".join(re.escape(w) for w in reversed(words))
    return re.compile(rf"^\s*(?:(?:{alternatives}|(?:19|20)\d\d|-)\s*)+$")


def header_roles(grammar: Grammar, cells: list[str]) -> dict[str, int]:
    """Which cell of a header row holds each role: the first cell made of one of its phrases."""
    any_word = any_header_word(grammar)
    roles: dict[str, int] = {}
    for i, c in enumerate(cells):
        c = c.strip()
        for role in ROLES:
            if role not in roles and any_word[role].fullmatch(c):
                roles[role] = i
    return roles
