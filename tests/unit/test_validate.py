"""validate without GX: the readers, normalization, duplicates, leakage, counts and suites."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from tasks.data.cross_checks import find_duplicates, find_leakage
from tasks.data.expectations import checks_for
from tasks.data.folder import read_file, read_source
from tasks.data.frames import format_timestamp, normalize, parse_timestamp
from tasks.data.quarantine import SourceCounts, count, failure_message
from tasks.data.shingles import word_shingles
from tasks.data.sources import (
    RawRow,
    Reason,
    parse_csv,
    parse_html,
    parse_jsonl,
    parse_markdown,
)
from tasks.params import Params
from tasks.params_loader import load_params

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[2]


def kinds(row: RawRow) -> str | None:
    return row.error.kind if row.error else None


# ---- readers -----------------------------------------------------------------------------------


def test_jsonl_rows_keep_their_line_numbers_and_bad_lines_say_why() -> None:
    text = '{"id": "a"}\n\nnot json\n[1, 2]\n{"id": "b"}\n'
    rows = parse_jsonl(text, "documents/x.jsonl")
    assert [(r.line, kinds(r)) for r in rows] == [
        (1, None),
        (3, "not_json"),
        (4, "not_object"),
        (5, None),
    ]
    assert rows[1].raw == "not json" and rows[1].fields is None
    assert "not valid JSON" in str(rows[1].error)
    assert rows[3].fields == {"id": "b"}


def test_non_utf8_file_is_one_quarantined_row(tmp_path: Path) -> None:
    path = tmp_path / "documents" / "latin1.jsonl"
    path.parent.mkdir()
    path.write_bytes('{"id": "a", "text": "café"}\n'.encode("latin-1"))
    [row] = read_file(path, tmp_path)
    assert (row.source_file, row.line, kinds(row)) == ("documents/latin1.jsonl", 1, "not_utf8")
    assert "byte 0xe9" in row.error.detail  # type: ignore[union-attr]


def test_utf8_bom_does_not_break_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a"}\n')
    assert read_file(path, tmp_path)[0].fields == {"id": "a"}


def test_csv_wrong_field_count_names_the_data_line() -> None:
    text = 'id,text,title\nKB-1,"two\nlines",T\nKB-2,only two\nKB-3,ok,T\n'
    rows = parse_csv(text, "documents/a.csv")
    assert [(r.line, kinds(r)) for r in rows] == [(2, None), (4, "csv_field_count"), (5, None)]
    assert rows[0].fields == {"id": "KB-1", "text": "two\nlines", "title": "T"}
    assert rows[0].raw == 'KB-1,"two\nlines",T'
    assert rows[1].raw == "KB-2,only two"
    assert str(rows[1].error) == "csv_field_count: CSV row has 2 fields, the header has 3"


def test_markdown_front_matter_gives_fields_and_body_is_text() -> None:
    text = (
        "---\nid: '0012'\nnumber: 0012\ntitle: Reset\nupdated_at: 2024-01-02\n---\n# Body\nText.\n"
    )
    row = parse_markdown(text, "documents/a.md")
    assert row.fields == {
        "id": "0012",
        "number": "0012",  # plain scalars stay strings, not the octal 10
        "title": "Reset",
        "updated_at": "2024-01-02",
        "text": "# Body\nText.\n",
    }


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("---\nid: [unclosed\n---\nbody\n", "not valid YAML"),
        ("---\nid: a\nbody without end\n", "no closing"),
        ("---\n- a\n- b\n---\nbody\n", "expected a mapping"),
    ],
)
def test_bad_front_matter_quarantines_the_file(text: str, detail: str) -> None:
    row = parse_markdown(text, "documents/a.md")
    assert kinds(row) == "bad_front_matter" and detail in str(row.error)
    assert row.raw == text


def test_html_meta_tags_title_and_body_markup() -> None:
    html = (
        "<html><head><title> Refunds </title>"
        '<meta name="tandem:id" content="KB-7"><meta name="tandem:visibility" content="internal">'
        '<meta name="tandem:valid_from" content="2024-01-01"><meta name="description" content="x">'
        "</head><body><h1>Refunds</h1><p>Five days.</p></body></html>"
    )
    row = parse_html(html, "documents/r.html")
    assert row.fields == {
        "id": "KB-7",
        "visibility": "internal",
        "valid_from": "2024-01-01",
        "title": "Refunds",
        "text": "<h1>Refunds</h1><p>Five days.</p>",
    }


def test_parquet_rows_and_a_corrupt_parquet(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    pd.DataFrame({"id": ["a", "b"], "text": ["x", "y"]}).to_parquet(folder / "good.parquet")
    (folder / "bad.parquet").write_bytes(b"PAR1 not really parquet")
    rows, skipped = read_source(tmp_path, "documents")
    assert skipped == {}
    assert [(r.source_file, r.line, kinds(r)) for r in rows] == [
        ("documents/bad.parquet", 1, "unreadable_file"),
        ("documents/good.parquet", 1, None),
        ("documents/good.parquet", 2, None),
    ]
    assert json.loads(rows[2].raw) == {"id": "b", "text": "y"}


def test_source_files_sorted_recursive_and_unknown_suffixes_skipped(tmp_path: Path) -> None:
    for name in (
        "documents/b.jsonl",
        "documents/a/z.md",
        "documents/notes.txt",
        "documents/.x.jsonl",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "sft" / "deep").mkdir(parents=True)
    (tmp_path / "sft" / "deep" / "x.jsonl").write_text('{"id": 1}\n', encoding="utf-8")
    rows, skipped = read_source(tmp_path, "documents")
    assert [r.source_file for r in rows] == ["documents/a/z.md"]
    assert list(skipped) == ["documents/notes.txt"]
    assert read_source(tmp_path, "sft") == ([], {})  # sft/*.jsonl only, not recursive
    assert read_source(tmp_path, "eval") == ([], {})


# ---- normalization -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01T10:00:00+02:00", "2024-03-01T08:00:00Z"),
        ("2024-03-01T10:00:00.123Z", "2024-03-01T10:00:00Z"),
        ("2024-03-01", "2024-03-01T00:00:00Z"),
        ("2024-03-01 23:30", "2024-03-01T23:30:00Z"),
        ("2024-02-30", ""),
        ("May 5, 2024", ""),
        ("20240301", ""),
        (None, ""),
    ],
)
def test_dates_normalize_to_utc_z(value: str | None, expected: str) -> None:
    assert format_timestamp(parse_timestamp(value)) == expected


def test_document_normalization_metadata_visibility_and_blank_fields() -> None:
    shipped = load_params(REPO / "params.yaml").validate_.default_visibility
    record = normalize(
        "documents",
        {"id": " KB-1 ", "text": "body", "visibility": "", "title": "  ", "lang": "en", "n": 3,
         "metadata": {"team": "billing"}},
        "documents/a.jsonl",
        shipped,
    )  # fmt: skip
    assert record["id"] == "KB-1"
    # No visibility named: not shared with the public (fail closed; it was "public" before).
    assert shipped == "internal" and record["visibility"] == "internal"
    assert record["title"] is None
    assert json.loads(record["metadata"]) == {"lang": "en", "n": 3, "team": "billing"}
    assert record["source_file"] == "documents/a.jsonl"
    assert normalize("documents", {"id": 7, "visibility": "Internal"}, "f", "internal")["id"] == "7"
    assert (
        normalize("documents", {"visibility": "Internal"}, "f", "internal")["visibility"]
        == "internal"
    )


def test_example_normalization_keeps_lists_as_given() -> None:
    record = normalize(
        "eval", {"id": "e1", "question": "q?", "gold_doc_ids": ["KB-1"], "x": 1}, "f", "internal"
    )
    assert record == {
        "id": "e1",
        "question": "q?",
        "reference_answer": None,
        "gold_doc_ids": ["KB-1"],
        "customer_id": None,
        "must_include": None,
        "context": None,
    }


# ---- duplicates and leakage --------------------------------------------------------------------


def test_duplicates_keep_the_first_and_name_it() -> None:
    keys = [
        (0, "a", "f1:1"),
        (1, "b", "f1:2"),
        (2, None, "f1:3"),
        (3, "a", "f2:1"),
        (4, "a", "f2:9"),
    ]
    assert find_duplicates(keys) == {3: "f1:1", 4: "f1:1"}


def test_shingles_are_word_trigrams() -> None:
    size = load_params(REPO / "params.yaml").validate_.leakage_shingle_words
    assert word_shingles("How do I reset it?", size) == {"how do i", "do i reset", "i reset it"}
    assert word_shingles("Reset", size) == {"reset"}
    assert word_shingles("...", size) == set()


def test_leakage_finds_copied_and_near_copied_questions() -> None:
    prompts = {
        "s1": "How do I reset my password when the reset email never arrives in my inbox?",
        "s2": "Can I change the billing currency of my account after the first invoice?",
    }
    questions = {
        0: "How do I reset my password when the reset email never arrives in my inbox?",
        1: "how do i reset my password when the reset email never arrives in my inbox today",
        2: "What regions does the backup service replicate data to by default?",
    }
    shipped = load_params(REPO / "params.yaml").validate_  # threshold 0.7, 128 permutations
    leaks = find_leakage(questions, prompts, shipped)
    assert leaks[0] == ("s1", 1.0)
    assert leaks[1][0] == "s1" and 0.7 <= leaks[1][1] < 1.0
    assert 2 not in leaks


# ---- counts and messages -----------------------------------------------------------------------


def test_count_counts_each_kind_once_per_row_and_adds_up() -> None:
    reasons = [
        [Reason("bad_date", "updated_at"), Reason("bad_date", "valid_from")],
        [Reason("not_json", "")],
    ]
    counts = count("documents", 10, reasons)
    assert counts == SourceCounts("documents", 10, 8, 2, {"bad_date": 1, "not_json": 1})
    with pytest.raises(RuntimeError, match="do not add up"):
        count("documents", 1, reasons)


def test_failure_message_names_source_fraction_and_top_reasons(
    make_params: Callable[..., Params],
) -> None:
    p = make_params().validate_
    failing = [SourceCounts("eval", 20, 14, 6, {"leakage": 5, "missing_question": 1})]
    message = failure_message(failing, p)
    assert "eval: 6 of 20 rows bad (30.0%)" in message
    assert "leakage (5), missing_question (1)" in message
    assert f"validate.max_quarantine_fraction={p.max_quarantine_fraction}" in message


def test_suites_cover_the_contract(make_params: Callable[..., Params]) -> None:
    p = make_params("validate.min_chars=10", "validate.max_chars=99").validate_
    documents = checks_for("documents", p)
    assert {c.kind for c in documents} == {
        "missing_id", "missing_text", "text_too_short", "text_too_long", "bad_visibility",
        "bad_date", "bad_validity_window", "uncitable_id", "missing_customer_id",
    }  # fmt: skip
    lengths = {c.kind: c.kwargs for c in documents if c.kind.startswith("text_too")}
    assert (
        lengths["text_too_short"]["min_value"] == 10 and lengths["text_too_long"]["max_value"] == 99
    )
    assert {c.kind for c in checks_for("sft", p)} == {
        "missing_id",
        "missing_prompt",
        "missing_response",
        "bad_list",
        "bad_context",
    }
    assert {c.kind for c in checks_for("eval", p)} == {
        "missing_id", "missing_question", "missing_reference_answer", "bad_list", "bad_context",
    }  # fmt: skip
    for check in documents:
        assert check.as_gx()["meta"]["kind"] == check.kind


def test_importing_validate_does_not_import_gx() -> None:
    code = "import sys, tasks.data.validate; sys.exit('great_expectations' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, check=False).returncode == 0


def test_timestamp_is_naive_utc() -> None:
    assert parse_timestamp("2024-03-01T00:30:00-01:00") == datetime(2024, 3, 1, 1, 30)
