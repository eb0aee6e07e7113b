"""The lexicon (``data/reference/lexicon.yaml``), loaded and checked against its schema.

Every word the readers know lives in the lexicon, and the code asks for it by key. A misspelt
key would otherwise read as an empty list and silently switch a rule off, so the keys, their
shapes and their regular expressions are checked when the file is loaded.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.errors import ReferenceError, did_you_mean
from pipeline.yaml_load import safe_load as safe_yaml

PHRASES = "phrases"  # a list of words or phrases, matched folded and on word boundaries
PATTERNS = "patterns"  # a list of regular expressions over folded text

# key -> its shape: PHRASES, PATTERNS, or a mapping {sub-key: PHRASES} with the allowed
# sub-keys ({None: PHRASES}: any sub-key, none required).
SCHEMA: dict[str, object] = {
    "comparators": {k: PHRASES for k in ("<", "<=", ">", ">=", "~", "=")},
    "range_separators": PHRASES,
    "per_year_patterns": PATTERNS,
    "estimate_patterns": PATTERNS,
    "qualitative_starters": PHRASES,
    "column_kinds": {"actual": PHRASES, "target": PHRASES},
    "column_estimate": PHRASES,
    "table_header": {k: PHRASES for k in ("number", "label", "unit", "note")},
    "header_continuation": PHRASES,
    "heading_words": PHRASES,
    "column_filler_words": PHRASES,
    "actual_cues": PHRASES,
    "change_words": PHRASES,
    "year_line_patterns": PATTERNS,
    "year_patterns": PATTERNS,
    "not_year_patterns": PATTERNS,
    "label_number_patterns": PATTERNS,
    "geo_prefixes": {k: PHRASES for k in ("province", "district", "any")},
    "geo_abbreviations": {None: PHRASES},  # any sub-key: the word spelt out
    "geo_whole": {k: PHRASES for k in ("country", "province")},
    "statistics": {
        k: PHRASES
        for k in (
            "publications",
            "target_cues",
            "preliminary",
            "by_place",
            "unit_line",
            "of_which",
            "count_prefix",
            "header_filler",
        )
    },
    "statistics_splits": {k: PHRASES for k in ("total", "male", "female", "urban", "rural")},
    "statistics_noise_patterns": PATTERNS,
}


def _fail(path: Path, key: str, problem: str) -> ReferenceError:
    return ReferenceError(f"{path}: key {key!r}: {problem}")


def _check_list(path: Path, key: str, value: object, shape: str) -> None:
    if not isinstance(value, list):
        raise _fail(path, key, f"expected a list of {shape} (an empty list: none)")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise _fail(path, key, f"every entry must be text, got {item!r}")
        if shape == PATTERNS:
            try:
                re.compile(item)
            except re.error as e:
                raise _fail(path, key, f"invalid regular expression {item!r}: {e}") from None


def check(lexicon: object, path: Path) -> dict:
    """The lexicon itself, once every key is known, present and of its shape."""
    if not isinstance(lexicon, dict):
        raise ReferenceError(f"{path}: expected a mapping of keys")
    for key in lexicon:
        if key not in SCHEMA:
            raise _fail(path, str(key), f"unknown key{did_you_mean(key, SCHEMA)}")
    for key, shape in SCHEMA.items():
        if key not in lexicon:
            raise _fail(path, key, "missing")
        value = lexicon[key]
        if isinstance(shape, dict):
            if not isinstance(value, dict):
                raise _fail(path, key, f"expected a mapping with keys {sorted(shape)}")
            for sub, sub_value in value.items():
                if sub not in shape and None not in shape:
                    raise _fail(path, f"{key}.{sub}", f"unknown; expected one of {sorted(shape)}")
                _check_list(path, f"{key}.{sub}", sub_value, shape.get(sub, shape.get(None)))
            for sub in shape:
                if sub is not None and sub not in value:
                    raise _fail(path, f"{key}.{sub}", "missing")
        else:
            _check_list(path, key, value, str(shape))
    return lexicon


def load_lexicon(reference_dir: Path) -> dict:
    """The checked lexicon of ``reference_dir``."""
    path = Path(reference_dir) / "lexicon.yaml"
    return check(safe_yaml(path.read_text(encoding="utf-8")), path)
