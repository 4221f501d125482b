"""curate: normalization, HTML, boilerplate, duplicates, chunking, and the step on small data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tasks.data import chunking, curate
from tasks.data.cleaning import (
    clean_document,
    compile_boilerplate,
    html_to_text,
    normalize_text,
    remove_boilerplate,
)
from tasks.data.dedupe import dedupe
from tasks.params import Params
from tasks.params_loader import load_params
from tasks.schema import CHUNK_COLUMNS, DOCUMENT_COLUMNS, EVAL_COLUMNS, SFT_COLUMNS
from tasks.sections import CurateParams

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]

ARTICLE = (  # ~150 words: one changed word keeps 5-word-shingle Jaccard above 0.9
    "To rotate an API key, open Settings and choose API keys. Select the key you want to "
    "replace and click Rotate. The old key keeps working for twenty four hours so that your "
    "deployments can pick up the new one without downtime. After that window the old key is "
    "revoked and every request signed with it fails with a 401 error. Store the new key in "
    "your secret manager and never commit it to a repository. If a key has leaked, do not "
    "wait for the window to close: choose Revoke now instead of Rotate, which stops the old "
    "key at once. Every rotation and revocation is written to the audit log with the name of "
    "the person who made it, the time, and the address it came from. Keys created by a "
    "service account can only be rotated by an owner of the project. Automation can rotate "
    "keys through the API as well, using the same endpoint the dashboard uses, and a "
    "webhook tells your systems when a new key becomes active."
)
OTHER_ARTICLE = (
    "Invoices are issued on the first day of each month and list every project on the "
    "account. You can download them as PDF from the Billing page, change the billing email, "
    "or add a purchase order number that appears on every future invoice. Refunds for unused "
    "capacity are credited to the next invoice rather than paid out to the card on file."
)


def make_params(tmp_path: Path, *overrides: str) -> Params:
    return load_params(
        REPO / "params.yaml",
        [f"paths.source_dir={tmp_path / 'src'}", f"paths.out_dir={tmp_path / 'out'}", *overrides],
    )


def doc(doc_id: str, text: str, **fields: str) -> dict[str, str]:
    base = {c: "" for c in DOCUMENT_COLUMNS}
    return {
        **base,
        "id": doc_id,
        "text": text,
        "title": f"Title {doc_id}",
        "source": "kb",
        "visibility": "public",
        "metadata": "{}",
        **fields,
    }


def write_validated(
    params: Params,
    documents: Sequence[dict[str, Any]],
    sft: Sequence[dict[str, Any]] = (),
    evals: Sequence[dict[str, Any]] = (),
) -> None:
    out = params.paths.validated_dir
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(documents, columns=list(DOCUMENT_COLUMNS)).to_parquet(out / "documents.parquet")
    pd.DataFrame(list(sft), columns=list(SFT_COLUMNS)).to_parquet(out / "sft.parquet")
    pd.DataFrame(list(evals), columns=list(EVAL_COLUMNS)).to_parquet(out / "eval.parquet")


@cache
def tokenizer() -> Any:
    return chunking.load_tokenizer(load_params(REPO / "params.yaml"))


# ---------------------------------------------------------------- normalization


def test_normalize_text_applies_nfkc_and_cleans_whitespace() -> None:
    raw = (
        "\ufeffＨｅｌｌｏ\u00a0 world\u200b,   the  ﬁle   is ready.\r\n\r\n\r\n\r\n  - step one  \n"
    )
    assert normalize_text(raw) == "Hello world, the file is ready.\n\n  - step one"


def test_html_to_text_drops_chrome_and_keeps_blocks_as_lines() -> None:
    markup = """
    <header><a href="/">Home</a> Skip to content</header>
    <nav><ul><li>Docs</li><li>Pricing</li></ul></nav>
    <script>var tracking = 1;</script><style>p { color: red }</style>
    <!-- a comment -->
    <h1>Reset   your
        password</h1>
    <p>Open <b>Settings</b> and click <a href="#">Reset</a>.<br>Then sign in again.</p>
    <ol><li>First step</li><li>Second <em>step</em></li></ol>
    <footer>© 2026 Larkspur Cloud</footer>
    """
    text = normalize_text(html_to_text(markup))
    assert text.split("\n") == [
        "Reset your password",
        "Open Settings and click Reset.",
        "Then sign in again.",
        "- First step",
        "- Second step",
    ]
    for dropped in ("Home", "Docs", "tracking", "color", "comment", "Larkspur"):
        assert dropped not in text


def test_boilerplate_lines_are_removed_and_content_kept() -> None:
    patterns = compile_boilerplate(load_params(REPO / "params.yaml").curate.boilerplate_patterns)
    text = "\n".join(
        [
            "Skip to content",
            "We use cookies to improve your experience. Accept all cookies",
            "Session cookies expire after 30 days of inactivity.",
            "Was this article helpful?",
            "© 2026 Larkspur Cloud. All rights reserved.",
            "Copyright 2025 Larkspur",
            "Contact support if the problem persists.",
        ]
    )
    assert remove_boilerplate(text, patterns) == (
        "Session cookies expire after 30 days of inactivity.\n"
        "Contact support if the problem persists."
    )


def test_html_to_text_keeps_preformatted_text_and_table_cells() -> None:
    markup = "<table><tr><td>Plan</td><td>Price</td></tr></table><pre>run:\n  tandem run</pre>"
    assert normalize_text(html_to_text(markup)) == "Plan Price\nrun:\n  tandem run"


def test_clean_document_converts_html_only_for_html_files() -> None:
    html = doc("KB-1", "<p>Use <code>tandem&nbsp;run</code></p>", source_file="documents/a.html")
    # a row's own `format` field is metadata: it cannot make a JSONL text parsed as markup
    markdown = doc(
        "KB-2", "Use <code>tandem run</code>", metadata='{"format": "html"}',
        source_file="documents/b.jsonl",
    )  # fmt: skip
    assert clean_document(html, [])["text"] == "Use tandem run"
    assert clean_document(markdown, [])["text"] == "Use <code>tandem run</code>"
    assert html["text"].startswith("<p>")  # the argument is not mutated


def curate_params(**changes: object) -> CurateParams:
    """The shipped curate section (params.yaml holds every default), with `changes`."""
    shipped = load_params(REPO / "params.yaml").curate
    return CurateParams.model_validate({**shipped.model_dump(), **changes})


# ---------------------------------------------------------------- duplicates


def test_dedupe_counts_exact_and_near_duplicates_keeping_the_first() -> None:
    p = curate_params()
    one_word_changed = ARTICLE.replace("secret manager", "secrets manager")
    texts = [ARTICLE, OTHER_ARTICLE, ARTICLE, one_word_changed]
    result = dedupe(texts, [("",)] * 4, p)
    assert result.kept == (0, 1)
    assert (result.exact_duplicates, result.near_duplicates) == (1, 1)
    assert result.duplicate_of == {2: 0, 3: 0}


def test_dedupe_never_crosses_customers() -> None:
    ticket = "My deployment in eu-west fails with error 503 since this morning, " + ARTICLE
    texts = [ticket, ticket, ticket.replace("this morning", "yesterday")]
    result = dedupe(texts, [("acme",), ("globex",), ("globex",)], curate_params())
    assert result.kept == (0, 1)
    assert result.near_duplicates == 1


def test_document_scope_keeps_visibility_and_validity_windows_apart() -> None:
    p = curate_params()
    spec = curate.kind_specs(p)["documents"]
    docs = [
        doc("POL-1", ARTICLE, visibility="internal"),
        doc("POL-2", ARTICLE, visibility="public"),  # the public cannot see POL-1
        doc(
            "POL-3", ARTICLE, visibility="public", valid_from="2027-01-01T00:00:00Z"
        ),  # next version
        doc("POL-4", ARTICLE, visibility="public"),  # a true copy of POL-2
    ]
    result = dedupe([d["text"] for d in docs], [spec.scope(d) for d in docs], p)
    assert result.kept == (0, 1, 2)
    assert result.duplicate_of == {3: 1}


def test_curate_run_counts_and_remaps_gold_ids(tmp_path: Path) -> None:
    params = make_params(tmp_path)
    documents = [
        doc("KB-1", ARTICLE),
        doc("KB-2", ARTICLE.replace("secret manager", "secrets manager")),  # near twin of KB-1
        doc("KB-3", OTHER_ARTICLE),
        doc("KB-4", f"  {OTHER_ARTICLE}\n\nWas this article helpful?"),  # exact twin once clean
        doc("T-1", f"Hi, card charged twice. {OTHER_ARTICLE}", customer_id="acme"),
        doc("T-2", f"Hi, card charged twice. {OTHER_ARTICLE}", customer_id="globex"),
        doc("KB-5", "<nav>Docs</nav><script>x()</script>", source_file="documents/k.html"),
    ]
    sft = [
        {
            "id": "S-1",
            "prompt": "How do I rotate a key?",
            "response": "Open Settings.",
            "task_type": "qa",
            "customer_id": "",
            "gold_doc_ids": ["KB-2", "KB-1"],
        },
        {
            "id": "S-2",
            "prompt": "How do I rotate a key?",
            "response": "Open Settings.",
            "task_type": "qa",
            "customer_id": "",
            "gold_doc_ids": ["KB-1"],
        },
    ]
    evals = [
        {
            "id": "E-1",
            "question": "Where are invoices?",
            "reference_answer": "Billing page.",
            "gold_doc_ids": ["KB-4"],
            "customer_id": "",
            "must_include": ["Billing"],
        },
    ]
    write_validated(params, documents, sft, evals)

    report = curate.run(params)

    curation = json.loads((params.paths.reports_dir / "curation.json").read_text())
    assert curation["documents"] | {"seconds": 0} == {
        "in": 7,
        "empty": 1,
        "exact_duplicates": 1,
        "near_duplicates": 1,
        "out": 4,
        "redactions": {},
        "chunks": report.chunks,
        "seconds": 0,
    }
    assert (curation["sft"]["in"], curation["sft"]["exact_duplicates"], curation["sft"]["out"]) == (
        2,
        1,
        1,
    )
    assert report.gold_remapped == 2
    curated = params.paths.curated_dir
    docs_out = pd.read_parquet(curated / "documents.parquet")
    assert list(docs_out.columns) == [*DOCUMENT_COLUMNS, "content_hash"]
    assert list(docs_out["id"]) == ["KB-1", "KB-3", "T-1", "T-2"]
    assert "Was this article helpful" not in "".join(docs_out["text"])
    assert list(pd.read_parquet(curated / "chunks.parquet").columns) == list(CHUNK_COLUMNS)
    sft_out = pd.read_parquet(curated / "sft.parquet")
    assert list(sft_out.columns) == list(SFT_COLUMNS)
    assert list(sft_out.iloc[0]["gold_doc_ids"]) == ["KB-1"]
    eval_out = pd.read_parquet(curated / "eval.parquet")
    assert list(eval_out.columns) == list(EVAL_COLUMNS)
    assert list(eval_out.iloc[0]["gold_doc_ids"]) == ["KB-3"]


def test_shared_documents_are_redacted_and_customer_tickets_kept(tmp_path: Path) -> None:
    params = make_params(tmp_path)
    pii = "Email jane.roe@example.com or call (415) 867-5309."
    write_validated(
        params,
        [doc("KB-1", f"{OTHER_ARTICLE} {pii}"), doc("T-1", f"{ARTICLE} {pii}", customer_id="acme")],
    )
    report = curate.run(params)
    texts = dict(
        pd.read_parquet(params.paths.curated_dir / "documents.parquet")[["id", "text"]].values
    )
    assert "jane.roe@example.com" not in texts["KB-1"]
    assert "<EMAIL_ADDRESS>" in texts["KB-1"] and "<PHONE_NUMBER>" in texts["KB-1"]
    assert "jane.roe@example.com" in texts["T-1"]
    assert report.kinds["documents"].redactions == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}


def test_missing_validated_input_is_a_user_error(tmp_path: Path) -> None:
    from tasks.errors import UserError

    with pytest.raises(UserError, match="tandem validate"):
        curate.run(make_params(tmp_path))


# ---------------------------------------------------------------- chunking


def test_token_windows_cover_everything_with_overlap() -> None:
    assert chunking.token_windows(0, 10, 2) == []
    assert chunking.token_windows(7, 10, 2) == [(0, 7)]
    assert chunking.token_windows(10, 10, 2) == [(0, 10)]
    assert chunking.token_windows(25, 10, 2) == [(0, 10), (8, 18), (16, 25)]


def chunk(text: str, p: CurateParams, doc_id: str = "KB-1") -> list[dict[str, Any]]:
    return chunking.chunk_documents([doc(doc_id, text)], tokenizer(), p)


def test_chunks_cut_the_original_text_at_token_boundaries() -> None:
    p = curate_params(chunk_tokens=32, chunk_overlap=8)
    text = f"{ARTICLE}\n\n{OTHER_ARTICLE} Zoë's café—naïve résumé."
    chunks = chunk(text, p)
    assert len(chunks) > 3
    for position, c in enumerate(chunks):
        assert c["position"] == position
        assert c["text"] in text  # a slice of the original, not a decoded (lower-cased) string
        assert c["text"] == c["text"].strip()
        tokens = tokenizer()(c["text"], add_special_tokens=False)["input_ids"]
        assert len(tokens) <= p.chunk_tokens
        assert set(CHUNK_COLUMNS) == set(c)
    assert chunks[0]["text"].startswith("To rotate")
    assert chunks[-1]["text"].endswith("résumé.")
    first_tail = tokenizer()(chunks[0]["text"], add_special_tokens=False)["input_ids"][-8:]
    second_head = tokenizer()(chunks[1]["text"], add_special_tokens=False)["input_ids"][:8]
    assert first_tail == second_head  # consecutive chunks share chunk_overlap tokens


def test_chunk_ids_are_stable_and_follow_content() -> None:
    p = curate_params(chunk_tokens=32, chunk_overlap=8)
    first = chunk(ARTICLE, p)
    again = chunk(ARTICLE, p)
    assert [c["chunk_id"] for c in first] == [c["chunk_id"] for c in again]
    assert all(len(c["chunk_id"]) == 32 for c in first)
    assert len({c["chunk_id"] for c in first}) == len(first)
    edited = chunk(ARTICLE.replace("Rotate", "Renew"), p)
    assert first[0]["chunk_id"] != edited[0]["chunk_id"]
    assert first[-1]["chunk_id"] == edited[-1]["chunk_id"]  # untouched tail keeps its id
    assert first[0]["chunk_id"] != chunk(ARTICLE, p, doc_id="KB-9")[0]["chunk_id"]
