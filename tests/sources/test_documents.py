"""Bad documents, sidecars and corrections stop the build with one message naming the file (and
line or key), and the previous warehouse stays byte-identical."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import InputError
from tests.helpers import KT, quiet_build, sha


def _expect_input_error(raw: Path, out: Path, cache: Path, wh: Path, before: str, pattern: str):
    with pytest.raises(InputError, match=pattern):
        quiet_build(raw, out, cache, validate=False)
    assert sha(wh) == before


def test_document_without_sidecar(good):
    raw, out, cache, wh, before = good
    (raw / "lao-cai-2025-plan.txt").write_text("Kế hoạch\n", encoding="utf-8")
    _expect_input_error(raw, out, cache, wh, before, r"lao-cai-2025-plan\.txt: no sidecar")


def test_sidecar_without_document(good):
    raw, out, cache, wh, before = good
    (raw / "lao-cai-2025-plan.yaml").write_text("geo: Lào Cai\ntitle: x\n", encoding="utf-8")
    _expect_input_error(
        raw, out, cache, wh, before, r"lao-cai-2025-plan\.yaml: sidecar without a document"
    )


def test_invalid_yaml_names_the_line(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.yaml").write_text("geo: Kon Tum\ntitle: [unclosed\nissuer: x\n", encoding="utf-8")
    _expect_input_error(raw, out, cache, wh, before, rf"{KT}\.yaml, line \d+: invalid YAML")


def test_missing_and_unknown_keys(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.yaml").write_text("geo: Kon Tum\n", encoding="utf-8")
    _expect_input_error(raw, out, cache, wh, before, r"required key 'title' is missing")
    (raw / f"{KT}.yaml").write_text("geo: Kon Tum\ntitle: x\ntilte: y\n", encoding="utf-8")
    _expect_input_error(
        raw, out, cache, wh, before, r"unknown key 'tilte' \(did you mean 'title'\?\)"
    )


def test_unknown_geo_suggests_close_names(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.yaml").write_text("geo: Kon Tumm\ntitle: x\n", encoding="utf-8")
    _expect_input_error(
        raw, out, cache, wh, before, r"unknown geo 'Kon Tumm'.*Did you mean: .*Kon Tum"
    )


def test_geo_by_code_and_ambiguous_district(good):
    raw, out, cache, wh, _before = good
    (raw / f"{KT}.yaml").write_text("geo: Thành phố Kon Tum\ntitle: x\n", encoding="utf-8")
    quiet_build(raw, out, cache, validate=False)  # the city (district 608) is named explicitly
    con = duckdb.connect(str(wh), read_only=True)
    assert (
        con.execute(f"SELECT geo_code FROM source_document WHERE source_id='{KT}'").fetchone()[0]
        == "608"
    )


def test_non_utf8_document_names_the_line(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.txt").write_bytes("dòng một\ndòng hai\n".encode() + b"\xff\xfe bad\n")
    _expect_input_error(raw, out, cache, wh, before, rf"{KT}\.txt, line 3: not UTF-8")


def test_empty_document(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.txt").write_text("  \n\n", encoding="utf-8")
    _expect_input_error(raw, out, cache, wh, before, rf"{KT}\.txt: the document is empty")


def test_duplicate_source_id(good):
    raw, out, cache, wh, before = good
    shutil.copy(raw / f"{KT}.txt", raw / "copy.txt")
    (raw / "copy.yaml").write_text(f"geo: Kon Tum\ntitle: x\nsource_id: {KT}\n", encoding="utf-8")
    _expect_input_error(raw, out, cache, wh, before, rf"duplicate source_id '{KT}'")


def test_correction_whose_quote_is_not_in_the_source(good):
    raw, out, cache, wh, before = good
    (raw / f"{KT}.corrections.yaml").write_text(
        "corrections:\n  - quote: 'không có trong văn bản'\n    action: flag\n    reason: test\n",
        encoding="utf-8",
    )
    _expect_input_error(raw, out, cache, wh, before, r"does not occur in the source document")


def _many_documents(raw: Path, n: int) -> None:
    raw.mkdir()
    for i in range(n):
        (raw / f"plan-{i:03d}.txt").write_text(f"KẾ HOẠCH {i}\n\nTỷ lệ bao phủ 9{i % 10}%.\n")
        (raw / f"plan-{i:03d}.yaml").write_text(f"geo: Kon Tum\ntitle: Kế hoạch {i}\n")


def test_documents_read_in_worker_processes_are_those_read_in_order(tmp_path: Path):
    from pipeline.extract.workers import forked_map
    from pipeline.reference import load_resolver
    from pipeline.sources.documents import READ_CHUNK, discover

    raw = tmp_path / "raw"
    _many_documents(raw, 3 * READ_CHUNK + 5)  # four chunks: a pool of two
    resolver = load_resolver()
    here = discover(raw, resolver, keep_text=False)
    pooled = discover(raw, resolver, keep_text=False, map_reads=lambda f, j: forked_map(f, j, 2))
    assert pooled == here and len(here) == 3 * READ_CHUNK + 5
    # two bad sidecars in different chunks: the first in order is the one named, as in order
    (raw / f"plan-{2 * READ_CHUNK + 1:03d}.yaml").write_text("geo: Kon Tum\n")
    (raw / f"plan-{READ_CHUNK + 3:03d}.yaml").write_text("title: no place\n")
    with pytest.raises(InputError) as in_order:
        discover(raw, resolver, keep_text=False)
    with pytest.raises(InputError) as in_workers:
        discover(raw, resolver, keep_text=False, map_reads=lambda f, j: forked_map(f, j, 2))
    assert str(in_workers.value) == str(in_order.value)
    assert f"plan-{READ_CHUNK + 3:03d}.yaml" in str(in_order.value)
