"""Asking as one customer never shows or cites another customer's documents, even when the
question is another customer's own ticket text (the adversarial case)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tasks.copilot.copilot import Copilot
from tasks.data import curate, validate
from tasks.index import index
from tasks.params import Params
from tasks.params_loader import load_params

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Params:
    out = tmp_path_factory.mktemp("tenancy")
    params = load_params(
        REPO / "params.yaml",
        [f"paths.out_dir={out}", "generate.max_new_tokens=8", "model.dtype=fp32"],
    )
    (out / "models").mkdir()
    (out / "models" / "base").symlink_to(tiny_model_dir, target_is_directory=True)
    for step in (validate.run, curate.run, index.run):
        step(params)
    return params


def test_no_customer_sees_or_cites_another_customers_documents(indexed: Params) -> None:
    documents = pd.read_parquet(indexed.paths.curated_dir / "documents.parquet")
    owner = dict(zip(documents["id"], documents["customer_id"], strict=True))
    tickets = documents[documents["source"] == "ticket"].drop_duplicates("customer_id").head(6)
    customers = list(tickets["customer_id"])
    # each customer asks with the NEXT customer's ticket text as the question
    questions = [tickets.iloc[(i + 1) % len(tickets)]["text"][:300] for i in range(len(tickets))]
    copilot = Copilot(indexed, adapter_dir=None)
    try:
        answers = copilot.answer_many(questions, customers)
        # control: asked by its owner, each question does find its ticket, so the queries
        # above really aim at another customer's document
        for i, question in enumerate(questions):
            target = tickets.iloc[(i + 1) % len(tickets)]
            own = copilot.retriever.search(question, customer_id=target["customer_id"], k=3)
            assert target["id"] in {h.doc_id for h in own}
    finally:
        copilot.close()
    for customer, answer in zip(customers, answers, strict=True):
        assert answer.retrieved, "the copilot retrieved nothing"
        foreign = [d for d in answer.retrieved if owner.get(d, "") not in ("", customer)]
        assert not foreign, f"{customer} was shown {foreign}"
        assert {s.id for s in answer.sources} <= set(answer.retrieved)
    # the question's own ticket belongs to someone else and must not come back
    assert all(
        tickets.iloc[(i + 1) % len(tickets)]["id"] not in answers[i].retrieved
        for i in range(len(tickets))
    )
