"""The Python FAQ converter (data/python_faq/convert.py) on Debian's python3.11-doc: one document
per answer, a stable held-out eval share, no eval question that repeats an sft prompt."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[2]
FAQ = Path("/usr/share/doc/python3.11/html/faq")


def converter() -> Any:
    spec = importlib.util.spec_from_file_location("convert", REPO / "data/python_faq/convert.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.skipif(not FAQ.is_dir(), reason="Debian's python3.11-doc is not installed")
def test_the_faq_becomes_documents_sft_and_a_held_out_eval(tmp_path: Path) -> None:
    counts = converter().convert(FAQ, tmp_path)
    documents = rows(tmp_path / "documents" / "faq.jsonl")
    sft, evaluation = rows(tmp_path / "sft" / "sft.jsonl"), rows(tmp_path / "eval" / "eval.jsonl")
    missing = [e for e in evaluation if not e["gold_doc_ids"]]
    answerable = [e for e in evaluation if e["gold_doc_ids"]]
    assert counts == {
        "documents": len(documents),
        "sft": len(sft),
        "eval": len(answerable),
        "unanswerable": len(missing),
    }
    assert len(documents) > 150 and len({d["id"] for d in documents}) == len(documents)
    assert 0.15 < len(answerable) / len(documents) < 0.35
    ids = {d["id"] for d in documents}
    assert all(r["gold_doc_ids"] and set(r["gold_doc_ids"]) <= ids for r in sft + answerable)
    key = lambda text: re.sub(r"\W+", " ", text.lower()).strip()  # noqa: E731
    assert not {key(e["question"]) for e in evaluation} & {key(s["prompt"]) for s in sft}
    # questions the knowledge base cannot answer: their entry is nowhere, nor is the question
    assert len(missing) >= 10
    assert not {e["id"] for e in missing} & ids
    assert not {key(e["question"]) for e in missing} & {key(d["title"]) for d in documents}
    abstain = converter().abstain_response()
    assert abstain and all(e["reference_answer"] == abstain for e in missing)
    assert all(
        "/" in d["id"] and d["url"].startswith("https://docs.python.org/") for d in documents
    )
    assert all(len(r["response"].split()) <= 90 for r in sft)  # the answer's opening, not all of it
    again = tmp_path / "again"
    converter().convert(FAQ, again)
    assert rows(again / "eval" / "eval.jsonl") == evaluation  # the split is stable
