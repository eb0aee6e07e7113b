"""The lexicon is checked when it is loaded: every word the readers know is asked for by key, so
a misspelt, missing or malformed key must stop the build with the file and the key instead of
reading as an empty list and silently switching a rule off."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pipeline.errors import ReferenceError
from pipeline.reference import load_catalog
from pipeline.settings import REFERENCE_DIR
from pipeline.text.lexicon import PATTERNS, PHRASES, SCHEMA, check, load_lexicon

Change = Callable[[dict], object]  # an edit of the lexicon, in place


@pytest.fixture()
def reference(tmp_path: Path) -> Path:
    """A writable copy of data/reference."""
    return Path(shutil.copytree(REFERENCE_DIR, tmp_path / "reference"))


def edit(reference: Path, change: Change) -> Path:
    """Apply ``change`` to the copy's lexicon; returns the lexicon's path."""
    path = reference / "lexicon.yaml"
    lexicon = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(lexicon)
    path.write_text(yaml.safe_dump(lexicon, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problem(reference: Path) -> str:
    """The message loading the copy's lexicon stops with."""
    with pytest.raises(ReferenceError) as raised:
        load_lexicon(reference)
    return str(raised.value)


def test_the_real_lexicon_loads() -> None:
    lexicon = load_lexicon(REFERENCE_DIR)
    assert set(lexicon) == set(SCHEMA)
    assert set(lexicon["comparators"]) == {"<", "<=", ">", ">=", "~", "="}
    assert "dưới" in lexicon["comparators"]["<"]
    assert set(lexicon["table_header"]) == {"number", "label", "unit", "note"}
    assert "huyện" in lexicon["geo_prefixes"]["district"]
    for key, shape in SCHEMA.items():
        if shape == PATTERNS:
            assert key.endswith("_patterns")
            assert all(re.compile(p) for p in lexicon[key])


def test_an_unchanged_copy_loads(reference: Path) -> None:
    edit(reference, lambda lexicon: None)  # rewritten without its comments
    assert load_lexicon(reference) == load_lexicon(REFERENCE_DIR)


def test_a_misspelt_key_suggests_the_right_one(reference: Path) -> None:
    path = reference / "lexicon.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\ngeo_prefixes:", "\ngeo_prefixs:"), encoding="utf-8")
    assert problem(reference) == (
        f"{path}: key 'geo_prefixs': unknown key (did you mean 'geo_prefixes'?)"
    )


def test_an_unknown_key_unlike_any_is_still_an_error(reference: Path) -> None:
    path = edit(reference, lambda lexicon: lexicon.update(synonyms=["bác sĩ"]))
    assert problem(reference) == f"{path}: key 'synonyms': unknown key"


def test_a_missing_key(reference: Path) -> None:
    path = edit(reference, lambda lexicon: lexicon.pop("actual_cues"))
    assert problem(reference) == f"{path}: key 'actual_cues': missing"


NOT_A_LIST = "expected a list of phrases (an empty list: none)"
MALFORMED = [
    pytest.param("range_separators", None, NOT_A_LIST, id="null"),
    pytest.param("range_separators", "đến", NOT_A_LIST, id="text-not-list"),
    pytest.param("comparators.<", "dưới", NOT_A_LIST, id="sub-key-text-not-list"),
    pytest.param("year_patterns", {"a": 1}, NOT_A_LIST.replace("phrases", "patterns"), id="dict"),
    pytest.param("range_separators", ["-", 5], "every entry must be text, got 5", id="number"),
    pytest.param(
        "heading_words", ["phụ lục", " "], "every entry must be text, got ' '", id="blank"
    ),
    pytest.param(
        "heading_words", [["phụ lục"]], "every entry must be text, got ['phụ lục']", id="nested"
    ),
    pytest.param(
        "column_kinds.target", [None], "every entry must be text, got None", id="null-entry"
    ),
    pytest.param(
        "comparators",
        ["<"],
        "expected a mapping with keys ['<', '<=', '=', '>', '>=', '~']",
        id="list",
    ),
]


@pytest.mark.parametrize(("key", "value", "says"), MALFORMED)
def test_a_malformed_value_names_its_key(
    reference: Path, key: str, value: object, says: str
) -> None:
    """``key`` may name a sub-key ('comparators.<')."""

    def put(lexicon: dict) -> None:
        *parents, last = key.split(".")
        for parent in parents:
            lexicon = lexicon[parent]
        lexicon[last] = value

    path = edit(reference, put)
    assert problem(reference) == f"{path}: key {key!r}: {says}"


@pytest.mark.parametrize(
    ("key", "sub_key"),
    [("comparators", "<<"), ("column_kinds", "estimate"), ("table_header", "footer")],
)
def test_an_unknown_sub_key_names_it_and_the_allowed_ones(
    reference: Path, key: str, sub_key: str
) -> None:
    path = edit(reference, lambda lexicon: lexicon[key].update({sub_key: ["x"]}))
    allowed = sorted(SCHEMA[key])
    assert (
        problem(reference) == f"{path}: key '{key}.{sub_key}': unknown; expected one of {allowed}"
    )


@pytest.mark.parametrize("key", [k for k, shape in SCHEMA.items() if shape == PATTERNS])
def test_an_invalid_regular_expression_names_its_key(reference: Path, key: str) -> None:
    path = edit(reference, lambda lexicon: lexicon[key].append(r"\b(?:den|nam\s+\d{4}"))
    message = problem(reference)
    assert message.startswith(f"{path}: key {key!r}: invalid regular expression ")
    assert "missing ), unterminated subpattern" in message


def test_phrases_are_not_read_as_regular_expressions(reference: Path) -> None:
    """Phrases are matched literally: '(' is no error in a phrase, only in a pattern."""
    assert SCHEMA["qualitative_starters"] == PHRASES
    edit(reference, lambda lexicon: lexicon["qualitative_starters"].append("loại trừ ("))
    assert "loại trừ (" in load_lexicon(reference)["qualitative_starters"]


def test_a_lexicon_that_is_no_mapping(reference: Path) -> None:
    path = reference / "lexicon.yaml"
    path.write_text("- comparators\n- geo_prefixes\n", encoding="utf-8")
    assert problem(reference) == f"{path}: expected a mapping of keys"
    with pytest.raises(ReferenceError, match=r"^lexicon\.yaml: expected a mapping of keys$"):
        check(None, Path("lexicon.yaml"))


def test_an_empty_list_means_no_words(reference: Path) -> None:
    """An empty list is allowed and says "none of these" (a misspelt key never is)."""
    edit(reference, lambda lexicon: lexicon.update(range_separators=[], heading_words=[]))
    edit(reference, lambda lexicon: lexicon["comparators"].update({"~": []}))
    lexicon = load_lexicon(reference)
    assert (lexicon["range_separators"], lexicon["comparators"]["~"]) == ([], [])
    assert load_catalog(REFERENCE_DIR).grammar.heading_words.search("phu luc 1")
    grammar = load_catalog(reference).grammar
    assert grammar.heading_words.search("phu luc 1") is None  # no word: matches nothing


def test_no_estimate_words_mark_no_note_as_an_estimate(reference: Path) -> None:
    assert load_catalog(REFERENCE_DIR).grammar.estimate_note.fullmatch("(uoc)")
    edit(reference, lambda lexicon: lexicon.update(column_estimate=[]))
    assert load_catalog(reference).grammar.estimate_note.fullmatch("vung kho khan") is None


def test_the_catalog_refuses_a_misspelt_lexicon(reference: Path) -> None:
    """The whole reference folder fails to load: no rule is silently dropped from a build."""
    path = reference / "lexicon.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nactual_cues:", "\nactual_cue:"), encoding="utf-8")
    with pytest.raises(ReferenceError, match=re.escape(f"{path}: key 'actual_cue': unknown key")):
        load_catalog(reference)


def test_a_missing_sub_key_names_it(reference: Path) -> None:
    path = edit(reference, lambda lexicon: lexicon["table_header"].pop("label"))
    assert problem(reference) == f"{path}: key 'table_header.label': missing"
