"""Strict input: sidecars and corrections are read as the text they spell, documents must be
regular UTF-8 files of bounded size; every bad case stops the build with one message naming
the file (and line or key), and the published warehouse stays byte-identical."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import InputError
from pipeline.reference import GeoResolver
from pipeline.settings import RAW_DIR, REFERENCE_DIR
from pipeline.sources import discover
from pipeline.sources import documents as documents_module
from tests.helpers import KT, published, quiet_build

TD = "tam-duong-2023-health-care-plan"  # a seed without corrections
SIDECAR = "geo: Kon Tum\ntitle: Kế hoạch y tế năm 2024\n"


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """A published warehouse (the seeds, not validated) that every bad build must leave as is."""
    out = tmp_path_factory.mktemp("curated")
    cache = tmp_path_factory.mktemp("cache")
    quiet_build(RAW_DIR, out, cache, validate=False)
    return out, cache, published(out)


def refused(raw: Path, previous: tuple[Path, Path, dict[str, str]], pattern: str) -> str:
    """Build ``raw`` into the previous warehouse's folder: one InputError, nothing changed."""
    out, cache, before = previous
    with pytest.raises(InputError, match=pattern) as e:
        quiet_build(raw, out, cache, validate=False)
    assert published(out) == before
    assert "\n" not in str(e.value)  # one message
    return str(e.value)


def geo_of(raw: Path, stem: str) -> str:
    sources = discover(raw, GeoResolver.of(REFERENCE_DIR))
    return next(s.geo_code for s in sources if s.path.stem == stem)


# ------------------------------------------------------------------------- values as written


@pytest.mark.parametrize(
    ("geo", "code"),
    [("01", "01"), ("'01'", "01"), ("070", "070"), ("62", "62"), ("Tỉnh Kon Tum", "62")],
)
def test_geo_codes_are_read_as_written(raw_copy: Path, geo: str, code: str) -> None:
    """YAML 1.1 reads 01 as the integer 1 (District 1 of Ho Chi Minh City) and 070 as the
    octal 56 (Khánh Hòa); here they are Hà Nội and district 070, as written."""
    (raw_copy / f"{KT}.yaml").write_text(f"geo: {geo}\ntitle: x\n", encoding="utf-8")
    assert geo_of(raw_copy, KT) == code


def test_yaml_types_stay_text(raw_copy: Path) -> None:
    (raw_copy / f"{TD}.yaml").write_text(
        "geo: Tam Đường\ntitle: yes\nissuer: 0x1F\ndoc_number: 1_000\nissued_on: 2023-05-01\n"
        "notes: on\nurl: null\n",
        encoding="utf-8",
    )
    (s,) = [s for s in discover(raw_copy, GeoResolver.of(REFERENCE_DIR)) if s.path.stem == TD]
    assert s.meta == {
        "geo": "Tam Đường",
        "title": "yes",
        "issuer": "0x1F",
        "doc_number": "1_000",
        "issued_on": "2023-05-01",
        "notes": "on",
        # what the table check adds to every sidecar: a text document, not official statistics
        "table": None,
        "official_statistics": False,
    }


def test_a_bare_name_shared_by_a_city_is_said_in_the_build_output(raw_copy: Path) -> None:
    lines: list[str] = []
    out, cache = raw_copy.parent / "out", raw_copy.parent / "cache"
    from pipeline.warehouse import build

    build(raw_copy, REFERENCE_DIR, out, log=lines.append, cache_dir=cache, validate=False)
    notes = [line for line in lines if "note:" in line]
    assert any(
        f"{KT}.yaml, line 1: geo 'Kon Tum' is read as Tỉnh Kon Tum (62), a province, "
        "not Thành phố Kon Tum (608)" in n
        for n in notes
    ), notes
    (raw_copy / f"{KT}.yaml").write_text("geo: Tỉnh Kon Tum\ntitle: x\n", encoding="utf-8")
    assert discover(raw_copy, GeoResolver.of(REFERENCE_DIR))[2].notes == []


def test_a_number_read_as_a_name_is_said(raw_copy: Path) -> None:
    """``geo: 1`` is District 1 by its name (Quận 1): said, since Hà Nội's code is 01."""
    (raw_copy / f"{KT}.yaml").write_text("geo: 1\ntitle: x\n", encoding="utf-8")
    (kt,) = [s for s in discover(raw_copy, GeoResolver.of(REFERENCE_DIR)) if s.path.stem == KT]
    assert kt.geo_code == "760"
    assert kt.notes == [
        f"{_rel(raw_copy)}/{KT}.yaml, line 1: geo '1' is read as the name of Quận 1 (760), a "
        "district, not as a GSO code; codes are written in full (01, 079, ...)"
    ]


# ---------------------------------------------------------------------------- bad sidecars

BAD_SIDECARS = {
    "duplicate key": (
        "geo: Kon Tum\ntitle: x\ngeo: Lào Cai\n",
        rf"{KT}\.yaml, line 3: key 'geo' is given twice \(first on line 1\)",
    ),
    "alias": ("geo: &g Kon Tum\ntitle: *g\n", rf"{KT}\.yaml, line 1: anchors \(&g\) are not"),
    "tag": (
        "geo: Kon Tum\ntitle: !!python/object:os.system x\n",
        rf"{KT}\.yaml, line 2: tags .* are not allowed",
    ),
    "list title": (
        "geo: Kon Tum\ntitle: [a, b]\n",
        r"line 2: key 'title' must be text, got a list",
    ),
    "invalid date": (
        "geo: Kon Tum\ntitle: x\nissued_on: 2024-13-45\n",
        r"line 3: key 'issued_on' is not a real date \(month must be in 1\.\.12\)",
    ),
    "february 30": ("geo: Kon Tum\ntitle: x\nissued_on: 2024-02-30\n", r"not a real date"),
    "number as date": (
        "geo: Kon Tum\ntitle: x\nissued_on: 12345\n",
        r"key 'issued_on' must be a date \(2024-03-01\), a month \(2024-03\) or a year",
    ),
    "implausible year": (
        "geo: Kon Tum\ntitle: x\ndefault_year: 1875\n",
        r"line 3: key 'default_year' must be a year from 1990 to 2060, got '1875'",
    ),
    "fractional year": ("geo: Kon Tum\ntitle: x\ndefault_year: 2025.0\n", r"default_year"),
    "bad url": ("geo: Kon Tum\ntitle: x\nurl: see the ministry site\n", r"key 'url' must be"),
    "two documents": ("geo: Kon Tum\ntitle: x\n---\ngeo: Lào Cai\n", r"more than one YAML"),
    "unknown key": ("geo: Kon Tum\ntitle: x\ntilte: y\n", r"line 3: unknown key 'tilte'"),
    "not a mapping": ("- geo\n- title\n", r"a sidecar must be a mapping"),
}


@pytest.mark.parametrize("case", sorted(BAD_SIDECARS))
def test_bad_sidecar(case: str, raw_copy: Path, previous) -> None:
    text, pattern = BAD_SIDECARS[case]
    (raw_copy / f"{KT}.yaml").write_text(text, encoding="utf-8")
    refused(raw_copy, previous, pattern)


def test_an_alias_bomb_is_refused_at_once(raw_copy: Path, previous) -> None:
    """Nine nested aliases expand to a billion strings (60 s and 4.5 GB before this fix)."""
    lines = ['a0: &a0 "lol"'] + [
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)
    ]
    bomb = "geo: Kon Tum\ntitle: x\nnotes:\n" + "".join(f"  {line}\n" for line in lines)
    (raw_copy / f"{KT}.yaml").write_text(bomb, encoding="utf-8")
    t = time.perf_counter()
    refused(raw_copy, previous, rf"{KT}\.yaml, line 4: anchors \(&a0\) are not allowed")
    assert time.perf_counter() - t < 5  # refused while parsing, not after expanding


def test_a_huge_sidecar_is_refused_by_size(raw_copy: Path, previous) -> None:
    (raw_copy / f"{KT}.yaml").write_text(SIDECAR + "notes: " + "x" * 70_000 + "\n")
    refused(raw_copy, previous, rf"{KT}\.yaml: 68 KB is more than the 64 KB a sidecar may have")


# ------------------------------------------------------------------------ bad corrections

GOOD_QUOTE = "14 loại vắc"  # in the Kon Tum plan, inside its 2030 immunisation row
BAD_CORRECTIONS = {
    "misspelt set column": (
        "set: {valeu: 90}",
        r"correction 1: 'set:' cannot name 'valeu' \(did you mean 'value'\?\)",
    ),
    "value not a number": ("set: {value: abc}", r"'set: value' must be a number such as 12\.5"),
    "decimal comma": ("set: {value: '12,5'}", r"write a decimal point, not a comma"),
    "year out of range": ("set: {year: 2300}", r"'set: year' must be a year from 1990 to 2060"),
    "unknown kind": ("set: {kind: plan}", r"'set: kind' must be one of actual, target"),
    "derived column": ("set: {unit_code: percent}", r"'set:' cannot name 'unit_code'"),
    "empty set": ("set: {}", r"'set:' must be a mapping of columns to values"),
}


def corrections(*items: str, reason: str = "r") -> str:
    return "corrections:\n" + "".join(
        f"  - quote: '{GOOD_QUOTE}'\n    action: override\n    reason: {reason}\n    {item}\n"
        for item in items
    )


@pytest.mark.parametrize("case", sorted(BAD_CORRECTIONS))
def test_bad_override(case: str, raw_copy: Path, previous) -> None:
    item, pattern = BAD_CORRECTIONS[case]
    (raw_copy / f"{KT}.corrections.yaml").write_text(corrections(item), encoding="utf-8")
    message = refused(raw_copy, previous, pattern)
    assert message.startswith(f"{_rel(raw_copy)}/{KT}.corrections.yaml, line 2: correction 1")


def _rel(path: Path) -> str:
    from pipeline.settings import relative

    return relative(path)


def test_duplicate_correction_ids(raw_copy: Path, previous) -> None:
    item = "set: {value: 90}\n    id: fix-1"
    (raw_copy / f"{KT}.corrections.yaml").write_text(corrections(item, item), encoding="utf-8")
    refused(raw_copy, previous, r"correction 2: id 'fix-1' is already used by correction 1")


@pytest.mark.parametrize(
    ("item", "pattern"),
    [
        ("set: {value: 90}\n    status: actve", r"status 'actve' is not one of .*did you mean"),
        ("set: {value: 90}\n    match: {year: soon}", r"'match: year' must be a year"),
        ("set: {value: 90}\n    match: {line: 3}", r"'match:' cannot name 'line'"),
    ],
)
def test_bad_correction_keys(raw_copy: Path, previous, item: str, pattern: str) -> None:
    (raw_copy / f"{KT}.corrections.yaml").write_text(corrections(item), encoding="utf-8")
    refused(raw_copy, previous, pattern)


def test_a_reason_that_is_not_text(raw_copy: Path, previous) -> None:
    text = corrections("set: {value: 90}", reason="[a, b]")
    (raw_copy / f"{KT}.corrections.yaml").write_text(text, encoding="utf-8")
    refused(raw_copy, previous, r"required key 'reason' is missing or not text")


def test_set_on_a_drop(raw_copy: Path, previous) -> None:
    text = corrections("set: {value: 90}").replace("action: override", "action: drop")
    (raw_copy / f"{KT}.corrections.yaml").write_text(text, encoding="utf-8")
    refused(raw_copy, previous, r"'set:' is only for action override")


def test_an_override_applies_its_typed_values(raw_copy: Path, tmp_path: Path) -> None:
    (raw_copy / f"{KT}.corrections.yaml").write_text(
        corrections(
            "set: {value: '96.5', is_estimate: 'true'}\n"
            "    match: {indicator: full_immunisation_under1, year: '2030'}"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    quiet_build(raw_copy, out, tmp_path / "cache", validate=False)
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    row = con.execute(
        f"SELECT value, is_estimate, flags FROM observation WHERE source_id = '{KT}' "
        "AND indicator_code = 'full_immunisation_under1' AND year = 2030"
    ).fetchone()
    assert row == (96.5, True, ["correction_applied"])


# ------------------------------------------------------------------------- bad documents


def test_a_symlink_out_of_the_raw_folder(raw_copy: Path, previous) -> None:
    (raw_copy / "passwd.txt").symlink_to("/etc/passwd")
    (raw_copy / "passwd.yaml").write_text(SIDECAR, encoding="utf-8")
    refused(raw_copy, previous, r"passwd\.txt: is a symbolic link; the raw folder holds regular")


def test_a_directory_named_like_a_document(raw_copy: Path, previous) -> None:
    (raw_copy / "x.txt").mkdir()
    refused(raw_copy, previous, r"x\.txt: is a directory; the raw folder holds files only")


def test_a_fifo_named_like_a_document_does_not_hang(raw_copy: Path, previous) -> None:
    os.mkfifo(raw_copy / "pipe.txt")
    refused(raw_copy, previous, r"pipe\.txt: is not a regular file")


def test_nul_bytes(raw_copy: Path, previous) -> None:
    (raw_copy / f"{TD}.txt").write_bytes("dòng một\ndòng hai\x00\n".encode())
    refused(raw_copy, previous, rf"{TD}\.txt, line 2: a NUL byte at offset 21")


def test_a_document_over_the_size_limit(raw_copy: Path, previous, monkeypatch) -> None:
    monkeypatch.setattr(documents_module, "MAX_DOCUMENT_BYTES", 60 << 10)
    text = (raw_copy / f"{TD}.txt").read_text(encoding="utf-8")
    (raw_copy / f"{TD}.txt").write_text(text * 4, encoding="utf-8")
    refused(raw_copy, previous, rf"{TD}\.txt: 74 KB is more than the 60 KB a document may have")


def test_a_file_name_with_spaces_gets_the_slug_message(raw_copy: Path, previous) -> None:
    shutil.copy(raw_copy / f"{TD}.txt", raw_copy / "Tam Duong plan.txt")
    refused(
        raw_copy,
        previous,
        r"Tam Duong plan\.txt: the file name 'Tam Duong plan' must be a lower-case slug "
        r"\(a-z, 0-9, '-'\), e\.g\. 'tam-duong-plan'",
    )
