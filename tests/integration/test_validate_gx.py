"""`tandem validate` end to end with Great Expectations: reasons, counts, outputs, exit code 3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tasks.data import validate
from tasks.errors import DataQualityError
from tasks.params import Params
from tasks.params_loader import load_params
from tasks.schema import DOCUMENT_COLUMNS, EVAL_COLUMNS, SFT_COLUMNS

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
TEXT = "To reset your password open Settings, choose Security and click Reset password."


def params_for(source: Path, out: Path, *overrides: str) -> Params:
    return load_params(
        REPO / "params.yaml", [f"paths.source_dir={source}", f"paths.out_dir={out}", *overrides]
    )


def write_jsonl(path: Path, rows: list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def doc(i: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"KB-{i:04d}",
        "text": f"{TEXT} (article {i})",
        "updated_at": "2024-05-01T12:00:00Z",
        **fields,
    }


def quarantined(params: Params) -> dict[tuple[str, int], list[str]]:
    path = params.paths.quarantine_dir / "quarantine.jsonl"
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {(e["source_file"], e["line"]): e["reasons"] for e in entries}


# ---- one run over every kind of bad input ------------------------------------------------------

EVERY_KIND = {
    # (file, line): (reason kind, a part of its detail)
    ("documents/a.jsonl", 2): ("not_json", "not valid JSON"),
    ("documents/a.jsonl", 3): ("missing_id", "id is missing or empty"),
    ("documents/a.jsonl", 4): ("missing_id", "id is missing or empty"),
    ("documents/a.jsonl", 5): ("missing_text", "text is missing or empty"),
    ("documents/a.jsonl", 6): ("missing_text", "text is missing or empty"),
    ("documents/a.jsonl", 7): (
        "text_too_short",
        "text has 5 visible characters, fewer than validate.min_chars=40",
    ),
    ("documents/a.jsonl", 8): ("text_too_long", "more than validate.max_chars=200"),
    ("documents/a.jsonl", 9): ("bad_date", "updated_at 'yesterday' is not an ISO 8601 date"),
    ("documents/a.jsonl", 10): ("bad_date", "valid_from '2024-02-30' is not an ISO 8601 date"),
    ("documents/a.jsonl", 11): ("bad_date", "valid_until '01/02/2025' is not an ISO 8601 date"),
    ("documents/a.jsonl", 12): (
        "bad_visibility",
        "visibility 'secret' is not one of public, internal",
    ),
    ("documents/a.jsonl", 13): (
        "bad_validity_window",
        "valid_until '2024-05-01T01:00:00+02:00' is before valid_from '2024-05-01'",
    ),
    ("documents/a.jsonl", 14): (
        "duplicate_id",
        "id 'KB-0001' was first seen at documents/a.jsonl:1",
    ),
    ("documents/b.csv", 3): ("csv_field_count", "CSV row has 4 fields, the header has 3"),
    ("documents/c.jsonl", 1): ("not_utf8", "file is not UTF-8"),
    ("documents/d.parquet", 1): ("unreadable_file", "parquet file cannot be read"),
    ("documents/e.md", 1): ("bad_front_matter", "front matter is not valid YAML"),
    ("documents/z.jsonl", 1): (
        "duplicate_id",
        "id 'KB-0001' was first seen at documents/a.jsonl:1",
    ),
    # what a hostile or broken export holds: none of it may stop the run
    ("documents/h.jsonl", 1): ("duplicate_key", "appears twice"),
    ("documents/h.jsonl", 2): ("number_too_large", "a number has 5000 digits"),
    ("documents/h.jsonl", 3): ("too_deep", "JSON nested too deep to read"),
    ("documents/h.jsonl", 4): ("bad_unicode", "lone surrogate (U+D800)"),
    ("documents/h.jsonl", 5): ("bad_date", "updated_at '9999-12-31T23:59:59-01:00'"),
    ("documents/h.jsonl", 6): ("text_too_short", "text has 1 visible characters"),
    ("documents/h.jsonl", 7): ("missing_customer_id", ""),
    ("documents/h.jsonl", 8): ("uncitable_id", ""),
    ("documents/h.jsonl", 9): ("not_object", "expected an object"),
    ("documents/h.jsonl", 10): ("too_deep", "levels deep, more than"),
    ("documents/i.parquet", 1): ("binary_value", "binary data that is not UTF-8 text"),
    ("documents/j.md", 1): ("bad_front_matter", "YAML alias"),
    ("documents/k.html", 1): ("text_too_short", "text has 0 visible characters"),
    ("sft/s.jsonl", 2): ("missing_prompt", "prompt is missing or empty"),
    ("sft/s.jsonl", 3): ("missing_response", "response is missing or empty"),
    ("sft/s.jsonl", 4): ("bad_list", "gold_doc_ids must be a JSON list of ids, got 'KB-0001'"),
    ("sft/s.jsonl", 5): ("duplicate_id", "id 's1' was first seen at sft/s.jsonl:1"),
    ("eval/e.jsonl", 1): ("leakage", "near-duplicates sft example 's1'"),
    ("eval/e.jsonl", 2): ("leakage", "near-duplicates sft example 's1'"),
    ("eval/e.jsonl", 3): ("missing_question", "question is missing or empty"),
    ("eval/e.jsonl", 4): ("missing_reference_answer", "reference_answer is missing or empty"),
    ("eval/e.jsonl", 5): ("bad_list", "must_include must be a JSON list of ids, got 'refund'"),
}
PROMPT = "How do I reset my password when the reset email never arrives in my inbox?"


def write_every_kind(src: Path) -> None:
    write_jsonl(
        src / "documents" / "a.jsonl",
        [
            doc(1),
            "{not json",
            doc(2, id=""),
            {"text": TEXT},
            doc(4, text="   "),
            {"id": "KB-0005"},
            doc(6, text="short"),
            doc(7, text="x" * 201),
            doc(8, updated_at="yesterday"),
            doc(9, valid_from="2024-02-30"),
            doc(10, valid_until="01/02/2025"),
            doc(11, visibility="secret"),
            doc(
                12, valid_from="2024-05-01", valid_until="2024-05-01T01:00:00+02:00"
            ),  # 23:00Z before
            doc(1, text="a second KB-0001"),
            doc(
                14,
                visibility="INTERNAL",
                valid_from="2024-05-01",
                valid_until="2024-05-01",
                extra=1,
            ),
        ],
    )
    (src / "documents" / "b.csv").write_text(
        f'id,text,title\nKB-0020,"{TEXT}",Reset\nKB-0021,no comma here,Reset,surplus\n',
        encoding="utf-8",
    )
    (src / "documents" / "c.jsonl").write_bytes(json.dumps(doc(30)).encode("utf-16"))
    (src / "documents" / "d.parquet").write_bytes(b"PAR1 truncated")
    (src / "documents" / "e.md").write_text("---\ntitle: [oops\n---\nbody\n", encoding="utf-8")
    (src / "documents" / "f.md").write_text(
        f"---\nid: KB-0040\ntitle: Reset\nvisibility: internal\n---\n# Reset\n{TEXT}\n",
        encoding="utf-8",
    )
    (src / "documents" / "g.html").write_text(
        '<html><head><title>Refunds</title><meta name="tandem:id" content="KB-0050">'
        '<meta name="tandem:updated_at" content="2024-06-01T09:00:00-05:00"></head>'
        f"<body><p>{TEXT}</p></body></html>",
        encoding="utf-8",
    )
    write_jsonl(src / "documents" / "z.jsonl", [doc(1)])
    write_hostile(src / "documents")
    write_jsonl(
        src / "sft" / "s.jsonl",
        [
            {"id": "s1", "prompt": PROMPT, "response": "Check spam.", "gold_doc_ids": ["KB-0001"]},
            {"id": "s2", "prompt": "", "response": "r"},
            {"id": "s3", "prompt": "p", "response": None},
            {"id": "s4", "prompt": "p", "response": "r", "gold_doc_ids": "KB-0001"},
            {"id": "s1", "prompt": "another prompt", "response": "r"},
            {
                "id": "s6",
                "prompt": "Which data centers store my nightly snapshots?",
                "response": "EU.",
            },
        ],
    )
    reworded = PROMPT.lower().rstrip("?") + " today"
    write_jsonl(
        src / "eval" / "e.jsonl",
        [
            {"id": "e1", "question": PROMPT, "reference_answer": "Check spam."},
            {"id": "e2", "question": reworded, "reference_answer": "a"},
            {"id": "e3", "question": " ", "reference_answer": "a"},
            {"id": "e4", "question": "How long do refunds take to reach my card?"},
            {"id": "e5", "question": "Refund?", "reference_answer": "a", "must_include": "refund"},
            {"id": "e6", "question": "What regions hold my backups?", "reference_answer": "EU.",
             "gold_doc_ids": ["KB-0001"], "must_include": ["EU"]},
        ],
    )  # fmt: skip


def write_hostile(documents: Path) -> None:
    nested: Any = "leaf"
    for _ in range(12):
        nested = {"deeper": nested}
    write_jsonl(
        documents / "h.jsonl",
        [
            f'{{"id": "KB-0060", "id": "KB-0061", "text": "{TEXT}"}}',
            f'{{"id": "KB-0062", "text": "{TEXT}", "n": {"7" * 5000}}}',
            f'{{"id": "KB-0063", "text": "{TEXT}", "m": {"[" * 100_000}{"]" * 100_000}}}',
            f'{{"id": "KB-0064", "text": "{TEXT} \\ud800"}}',
            doc(65, updated_at="9999-12-31T23:59:59-01:00"),  # past year 9999 in UTC
            doc(66, text="\u200b" * 60 + "A"),  # invisible characters do not count
            doc(67, source="ticket", customer_id="   "),  # per-customer, no customer: not shared
            doc(68, id="KB[68]"),
            "[1, 2]",
            doc(69, meta=nested),
        ],
    )
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["KB-0070"], "text": pa.array([b"\xff\xfe" + b"x" * 60])})
    pq.write_table(table, documents / "i.parquet")
    (documents / "j.md").write_text(
        f"---\nid: &name KB-0071\ntitle: *name\n---\n{TEXT}\n", encoding="utf-8"
    )
    (documents / "k.html").write_text(
        '<html><head><title>T</title><meta name="tandem:id" content="KB-0072"></head>'
        f"<body><script>{'track();' * 20}</script></body></html>",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def every_kind(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Params, validate.ValidationReport]:
    src = tmp_path_factory.mktemp("src")
    write_every_kind(src)
    params = params_for(
        src,
        tmp_path_factory.mktemp("out"),
        "validate.max_chars=200",
        "validate.max_quarantine_fraction=1.0",
    )
    return params, validate.run(params)


@pytest.mark.parametrize("where", sorted(EVERY_KIND), ids=lambda w: f"{w[0]}:{w[1]}")
def test_each_bad_row_is_quarantined_with_its_reason(
    every_kind: tuple[Params, Any], where: tuple[str, int]
) -> None:
    params, _ = every_kind
    kind, detail = EVERY_KIND[where]
    reasons = quarantined(params)[where]
    assert any(r.startswith(f"{kind}: ") and detail in r for r in reasons), reasons


def test_only_the_bad_rows_are_quarantined(every_kind: tuple[Params, Any]) -> None:
    params, report = every_kind
    assert set(quarantined(params)) == set(EVERY_KIND)
    assert (report.documents, report.sft, report.eval) == (5, 2, 1)
    assert report.quarantined == len(EVERY_KIND)
    assert report.read == report.quarantined + report.documents + report.sft + report.eval


def test_a_row_shows_each_reason_once(every_kind: tuple[Params, Any]) -> None:
    params, _ = every_kind
    # "2024-02-30" fails both date expectations; the reason is shown once
    assert len(quarantined(params)[("documents/a.jsonl", 10)]) == 1


def test_validated_files_hold_normalized_accepted_rows(every_kind: tuple[Params, Any]) -> None:
    params, _ = every_kind
    validated = params.paths.validated_dir
    documents = pd.read_parquet(validated / "documents.parquet")
    assert tuple(documents.columns) == DOCUMENT_COLUMNS
    by_id = documents.set_index("id")
    assert sorted(by_id.index) == ["KB-0001", "KB-0014", "KB-0020", "KB-0040", "KB-0050"]
    first = by_id.loc["KB-0001"]
    assert (first["source_file"], first["updated_at"], first["visibility"]) == (
        "documents/a.jsonl", "2024-05-01T12:00:00Z", "internal",  # named none: fail closed
    )  # fmt: skip
    fourteen = by_id.loc["KB-0014"]
    assert (fourteen["visibility"], fourteen["valid_until"]) == ("internal", "2024-05-01T00:00:00Z")
    assert json.loads(fourteen["metadata"]) == {"extra": 1}
    assert by_id.loc["KB-0040", "text"] == f"# Reset\n{TEXT}\n"
    html = by_id.loc["KB-0050"]
    assert html["text"] == f"<p>{TEXT}</p>" and html["title"] == "Refunds"
    assert html["updated_at"] == "2024-06-01T14:00:00Z"
    assert json.loads(html["metadata"]) == {}  # HTML is known by its file, not by a field
    assert html["source_file"].endswith(".html")
    assert all(isinstance(v, str) for column in documents for v in documents[column])

    sft = pd.read_parquet(validated / "sft.parquet")
    assert tuple(sft.columns) == SFT_COLUMNS
    assert list(sft["id"]) == ["s1", "s6"]
    assert (
        list(sft["gold_doc_ids"].iloc[0]) == ["KB-0001"] and list(sft["gold_doc_ids"].iloc[1]) == []
    )
    evals = pd.read_parquet(validated / "eval.parquet")
    assert tuple(evals.columns) == EVAL_COLUMNS
    assert list(evals["id"]) == ["e6"] and list(evals["must_include"].iloc[0]) == ["EU"]


def test_report_counts_add_up_per_file_source_and_total(every_kind: tuple[Params, Any]) -> None:
    params, report = every_kind
    body = json.loads((params.paths.reports_dir / "validation.json").read_text())
    assert body["passed"] is True
    for counts in [body["total"], *body["sources"].values()] + [
        f for s in body["sources"].values() for f in s["files"].values()
    ]:
        assert counts["read"] == counts["accepted"] + counts["quarantined"]
    files = body["sources"]["documents"]["files"]
    assert files["documents/c.jsonl"] == {
        "read": 1,
        "accepted": 0,
        "quarantined": 1,
        "reasons": {"not_utf8": 1},
    }
    assert files["documents/a.jsonl"]["reasons"]["missing_id"] == 2
    eval_reasons = {
        "leakage": 2,
        "missing_question": 1,
        "missing_reference_answer": 1,
        "bad_list": 1,
    }
    assert body["sources"]["eval"]["reasons"] == eval_reasons
    assert body["total"]["quarantined"] == report.quarantined
    assert [c.source for c in report.sources] == ["documents", "sft", "eval"]


def test_data_docs_are_written(every_kind: tuple[Params, Any]) -> None:
    params, _ = every_kind
    docs = params.paths.reports_dir / "data_docs"
    assert (docs / "index.html").is_file()
    pages = {p.name for p in (docs / "validations").rglob("*.html")}
    assert pages == {"tandem-documents.html", "tandem-sft.html", "tandem-eval.html"}


# ---- a thousand rows, thirty bad ---------------------------------------------------------------


def thousand_rows() -> tuple[list[Any], dict[int, str]]:
    """1,000 JSONL lines; 30 of them bad, by line number -> expected reason kind."""
    bad: dict[int, tuple[str, Any]] = {}
    for n in range(3):
        bad[10 + n] = ("not_json", '{"id": "broken", ')
        bad[50 + n] = ("missing_id", doc(50 + n, id=None))
        bad[100 + n] = ("missing_text", doc(100 + n, text=""))
        bad[150 + n] = ("text_too_short", doc(150 + n, text="too short"))
        bad[200 + n] = ("text_too_long", doc(200 + n, text="y" * 20_001))
        bad[250 + n] = ("bad_date", doc(250 + n, updated_at="2024-13-01"))
        bad[300 + n] = ("bad_visibility", doc(300 + n, visibility="private"))
        bad[350 + n] = (
            "bad_validity_window",
            doc(350 + n, valid_from="2025-01-01", valid_until="2024-01-01"),
        )
        bad[400 + n] = ("duplicate_id", doc(1))  # line 1 holds KB-0001
        bad[450 + n] = ("bad_date", doc(450 + n, valid_from="not a date"))
    rows = [bad[line][1] if line in bad else doc(line) for line in range(1, 1001)]
    return rows, {line: kind for line, (kind, _) in bad.items()}


def test_thousand_rows_with_thirty_bad(tmp_path: Path) -> None:
    rows, expected = thousand_rows()
    write_jsonl(tmp_path / "src" / "documents" / "kb.jsonl", rows)
    params = params_for(tmp_path / "src", tmp_path / "out")
    report = validate.run(params)

    assert (report.read, report.documents, report.quarantined) == (1000, 970, 30)
    found = quarantined(params)
    assert {line for _, line in found} == set(expected)
    for (_, line), reasons in found.items():
        assert [r.split(":")[0] for r in reasons] == [expected[line]], (line, reasons)
    body = json.loads((params.paths.reports_dir / "validation.json").read_text())
    documents = body["sources"]["documents"]
    assert documents["read"] == documents["accepted"] + documents["quarantined"] == 1000
    assert documents["reasons"]["bad_date"] == 6 and documents["reasons"]["duplicate_id"] == 3
    assert len(pd.read_parquet(params.paths.validated_dir / "documents.parquet")) == 970


# ---- too many bad rows -------------------------------------------------------------------------


def test_too_many_bad_rows_exit_3_and_keep_the_previous_validated_data(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    write_jsonl(src / "documents" / "kb.jsonl", [doc(i) for i in range(20)])
    params = params_for(src, out)
    validate.run(params)
    validated = {p.name: p.read_bytes() for p in params.paths.validated_dir.iterdir()}
    assert sorted(validated) == ["documents.parquet", "eval.parquet", "sft.parquet"]

    write_jsonl(src / "documents" / "kb.jsonl", [doc(i) for i in range(17)] + ["{oops"] * 3)
    write_jsonl(src / "eval" / "e.jsonl", [{"id": "e1", "question": "q", "reference_answer": "a"}])
    with pytest.raises(DataQualityError) as raised:
        validate.run(params)
    assert raised.value.exit_code == 3
    message = str(raised.value)
    assert "documents: 3 of 20 rows bad (15.0%)" in message and "not_json (3)" in message
    assert "eval:" not in message
    assert {p.name: p.read_bytes() for p in params.paths.validated_dir.iterdir()} == validated
    body = json.loads((params.paths.reports_dir / "validation.json").read_text())
    assert body["passed"] is False and body["sources"]["documents"]["quarantined"] == 3
    assert len(quarantined(params)) == 3


def test_failing_first_run_writes_no_validated_files(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "src" / "sft" / "s.jsonl", [{"id": "s1", "prompt": "p"}])
    params = params_for(tmp_path / "src", tmp_path / "out")
    with pytest.raises(
        DataQualityError, match=r"sft: 1 of 1 rows bad \(100.0%\); top reasons: missing_response"
    ):
        validate.run(params)
    assert not params.paths.validated_dir.exists() or not any(params.paths.validated_dir.iterdir())
    assert (params.paths.reports_dir / "data_docs" / "index.html").is_file()


def test_ids_that_cannot_round_trip_as_citations_are_quarantined(tmp_path: Path) -> None:
    """Any id is citable as `[id]` except those a citation would break (docs/data.md)."""
    src = tmp_path / "src"
    citable = ["guides/setup.md", "faq.billing.3", "Ärger über Rechnung", "kb 12 (draft)"]
    broken = ["a]b", "see [x", "two\nlines", "x" * 129]
    write_jsonl(
        src / "documents" / "ids.jsonl", [{"id": i, "text": TEXT} for i in citable + broken]
    )
    params = params_for(src, tmp_path / "out", "validate.max_quarantine_fraction=0.9")
    report = validate.run(params)
    assert report.documents == len(citable)
    reasons = quarantined(params)
    assert sorted(reasons) == [("documents/ids.jsonl", n) for n in range(5, 9)]
    assert all(r[0].startswith("uncitable_id: id ") for r in reasons.values())
    accepted = pd.read_parquet(params.paths.validated_dir / "documents.parquet")
    assert sorted(accepted["id"]) == sorted(citable)


def test_the_command_exits_0_with_no_stack_trace_and_skips_what_it_must_not_read(
    tmp_path: Path,
) -> None:
    import os
    import subprocess

    from tests.servers import BIN

    src = tmp_path / "src"
    write_every_kind(src)
    os.mkfifo(src / "documents" / "pipe.jsonl")  # reading it would hang the run
    (src / "documents" / "outside.jsonl").symlink_to("/etc/passwd")
    out = tmp_path / "out"
    result = subprocess.run(
        [str(BIN / "tandem"), "validate", "-S", f"paths.source_dir={src}",
         "-S", f"paths.out_dir={out}", "-S", "validate.max_chars=200",
         "-S", "validate.max_quarantine_fraction=1.0"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    body = json.loads((out / "reports" / "validation.json").read_text())
    total = body["total"]
    accepted = 5 + 2 + 1  # documents, sft, eval, as in the in-process run
    assert total["read"] == total["accepted"] + total["quarantined"] == len(EVERY_KIND) + accepted
    skipped = body["skipped_files"]
    assert {"documents/pipe.jsonl", "documents/outside.jsonl"} <= set(skipped), skipped
    assert "root:" not in (out / "quarantine" / "quarantine.jsonl").read_text()
