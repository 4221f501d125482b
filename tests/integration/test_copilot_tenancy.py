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


def test_live_context_reaches_only_the_asking_customers_prompt(
    indexed: Params, tmp_path: Path
) -> None:
    """The sample's providers (data/sample/params.yaml) in a real copilot: each answer is
    shown its own customer's CRM block first; the availability stub is not running, so its block
    is marked unavailable in the answer, within its timeout, and the answer still comes."""
    import json
    import sqlite3

    from flows.demo_live import local_providers
    from tests.servers import free_port

    crm = REPO / "data" / "sample" / "crm"
    database = tmp_path / "crm.sqlite"
    with sqlite3.connect(database) as db:
        db.executescript((crm / "crm.sql").read_text(encoding="utf-8"))
    providers = local_providers(load_params(REPO / "params.yaml"), database, free_port())
    params = load_params(
        REPO / "params.yaml",
        [f"paths.out_dir={indexed.paths.out_dir}", "generate.max_new_tokens=8", "model.dtype=fp32",
         f"context.providers={json.dumps(providers)}", "context.retries=0"],
    )  # fmt: skip
    copilot = Copilot(params, adapter_dir=None)
    try:
        answers = copilot.answer_many(["What plan am I on?"] * 2, ["CUS-004", "CUS-007"])
    finally:
        copilot.close()
    for answer in answers:
        assert answer.answer  # a dead provider never fails the answer
        assert answer.retrieved[:2] == (f"crm/{answer.customer_id}", "staffing")  # declared order
        assert [x for x in answer.retrieved if x.startswith("crm/")] == [
            f"crm/{answer.customer_id}"
        ]
        [note] = answer.unavailable
        assert note.startswith("staffing: cannot connect")


def test_the_demos_live_step_reads_a_crm_update_in_the_next_answer(indexed: Params) -> None:
    """flows/demo_live.py on the sample: its stub in its own process, its CRM in SQLite."""
    from flows.demo_live import run_live, served

    said: list[str] = []
    with served(indexed) as live:
        assert live is not None
        assert run_live(*live, said.append) is True
    shown = "\n".join(said)
    assert "[crm/CUS-004] name: " in shown and "plan: Business; seats: 18" in shown
    assert "plan: Enterprise; seats: 60" in shown
    assert "[staffing] Tier 1 agents on shift:" in shown
    assert "Unavailable:" not in shown
