"""sft and eval rows carrying recorded provider blocks, through the real steps: validate keeps
what is a snapshot and quarantines what is not, a gold may name the row's own block, and
build-sft shows the blocks in the copilot's order and cites them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tasks.data import curate, validate
from tasks.index import index
from tasks.params import Params
from tasks.train import build_sft
from tests.integration.test_tenancy_fails_closed import jsonl, quarantined

pytestmark = pytest.mark.integration

TEXT = "Plans and seats: an owner changes the plan in Settings > Billing; seats follow the plan."
PROVIDERS = [
    {"name": "crm", "kind": "sql", "title": "CRM record", "url": "sqlite:///nowhere.sqlite",
     "query": "SELECT plan FROM customers WHERE id = :customer_id", "train": True},
    {"name": "staffing", "kind": "http", "title": "On shift", "shared": True,
     "url": "http://127.0.0.1:9/now"},
]  # fmt: skip
RECORDED = {"crm": "plan: Enterprise; seats: 60", "staffing": "Tier 2 on shift: 2"}


def corpus(root: Path) -> Path:
    jsonl(root / "documents" / "kb.jsonl", [
        {"id": f"kb-{n}", "source": "kb", "visibility": "public", "title": f"Plans {n}",
         "text": f"{TEXT} Article {n}."} for n in range(3)
    ])  # fmt: skip
    live = {
        "prompt": "Which plan are we on?", "customer_id": "cus-1",
        "response": "You are on the Enterprise plan.", "gold_doc_ids": ["crm/cus-1"],
    }  # fmt: skip
    jsonl(root / "sft" / "sft.jsonl", [
        {"id": "s-live", **live, "context": RECORDED},
        {"id": "s-kb", "prompt": "How do I change plans?", "response": "In Settings > Billing.",
         "gold_doc_ids": ["kb-0"], "context": {"staffing": "Tier 2 on shift: 0"}},
        {"id": "s-text", **live, "prompt": "Our plan, please?", "context": "plan: Enterprise"},
        {"id": "s-list", **live, "prompt": "What plan is it?", "context": ["crm"]},
        {"id": "s-other", **live, "prompt": "And our plan?", "gold_doc_ids": ["crm/cus-2"],
         "context": RECORDED},
        {"id": "s-none", **live, "prompt": "Plan now?", "context": {"staffing": "x"}},
        {"id": "s-plain", "prompt": "Where are plans changed?", "response": "In Settings.",
         "gold_doc_ids": ["kb-1"]},  # no context at all, beside rows that have one
    ])  # fmt: skip
    jsonl(root / "eval" / "eval.jsonl", [
        {"id": "e-live", "question": "Tell me the subscription tier of my account",
         "reference_answer": "Enterprise.", "customer_id": "cus-1",
         "gold_doc_ids": ["crm/cus-1", "staffing"], "context": RECORDED},
    ])  # fmt: skip
    (root / "params.yaml").write_text("{}\n")
    return root


@pytest.fixture
def params(make_params: Callable[..., Params], tmp_path: Path) -> Params:
    return make_params(
        f"paths.source_dir={corpus(tmp_path / 'source')}", "validate.max_quarantine_fraction=0.9",
        "index.min_recall=0", "sft.oracle_fraction=0.0", "sft.val_fraction=0.0",
        f"context.providers={json.dumps(PROVIDERS)}",
    )  # fmt: skip


def test_snapshots_are_validated_and_shown_as_the_copilot_shows_blocks(params: Params) -> None:
    report = validate.run(params)
    reasons = quarantined(params)
    assert reasons == {
        "s-text": ["bad_context", "unknown_gold_doc"],  # no snapshot: its crm gold is not there
        "s-list": ["bad_context", "unknown_gold_doc"],
        "s-other": ["unknown_gold_doc"],  # another customer's block is nothing this row holds
        "s-none": ["unknown_gold_doc"],  # its snapshot has no crm block to be gold
    }
    assert (report.sft, report.eval) == (3, 1)
    curate.run(params)
    index.run(params)
    built = build_sft.run(params)
    assert built.context_blocks == 3 and built.undeclared_providers == []  # s-plain shows none
    records = {
        r["id"]: r
        for r in map(json.loads, (params.paths.sft_dir / "train.jsonl").read_text().splitlines())
    }
    live = records["s-live"]
    assert live["oracle"] and live["context_doc_ids"][:2] == ["crm/cus-1", "staffing"]
    assert "plan: Enterprise; seats: 60" in live["messages"][1]["content"]
    assert "[crm/cus-1]" in live["messages"][-1]["content"]
    kb = records["s-kb"]  # oracle_fraction 0: it abstains, still shown the shared block
    assert not kb["oracle"] and kb["context_doc_ids"][0] == "staffing"
