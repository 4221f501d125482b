"""Tenancy fails closed: a per-customer row without a usable customer id is quarantined, never
shared; an example naming another customer's document as gold is refused; and no customer's
text (PII or not: a door code) reaches the training records of the one shared adapter."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tasks.data import curate, validate
from tasks.index import index
from tasks.params import Params
from tasks.train import build_sft

pytestmark = pytest.mark.integration
SECRETS = ("door code 4711-ZETA", "serial SN-99812-QX", "wire reference WX-5531-ALPHA")
TEXT = "The customer reports the sync client stops after the 4.8 update on two laptops."


def jsonl(path: Path, rows: list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def corpus(root: Path) -> Path:
    kb = [
        {"id": f"kb-{n}", "source": "kb", "visibility": "public", "title": f"Article {n}",
         "text": f"{TEXT} Article {n} explains the fix: reinstall version 4.8.{n}."}
        for n in range(4)
    ]  # fmt: skip
    tickets = [
        {"id": f"t-{n}", "source": "ticket", "customer_id": f"cus-{n % 2}",
         "visibility": "internal", "title": f"Ticket {n}",
         "text": f"{TEXT} Our {secret} is needed on site."}
        for n, secret in enumerate(SECRETS)
    ]  # fmt: skip
    unusable = [
        {"id": "t-blank", "source": "ticket", "customer_id": "", "text": TEXT},
        {"id": "t-space", "source": "ticket", "customer_id": "   ", "text": TEXT},
        {"id": "t-none", "source": "ticket", "text": TEXT},
        '{"id": "t-twice", "source": "ticket", "customer_id": "cus-0", "customer_id": "", '
        f'"text": "{TEXT}"}}',
    ]
    jsonl(root / "documents" / "docs.jsonl", [*kb, *tickets, *unusable])
    sft = [
        {"id": f"s-kb-{n}", "prompt": f"How do I fix the sync client, article {n}?",
         "response": f"Reinstall version 4.8.{n}.", "gold_doc_ids": [f"kb-{n}"]}
        for n in range(4)
    ] + [
        {"id": f"s-t-{n}", "prompt": f"What do we need on site for ticket {n}?",
         "response": f"You need your {secret}.", "customer_id": f"cus-{n % 2}",
         "gold_doc_ids": [f"t-{n}"]}
        for n, secret in enumerate(SECRETS)
    ] + [
        {"id": "s-foreign", "prompt": "What is the other customer's code?", "response": "x",
         "customer_id": "cus-1", "gold_doc_ids": ["t-0"]},
        {"id": "s-shared", "prompt": "Anyone's code?", "response": "x", "gold_doc_ids": ["t-0"]},
    ]  # fmt: skip
    jsonl(root / "sft" / "sft.jsonl", sft)
    jsonl(root / "eval" / "eval.jsonl", [
        {"id": "e-1", "question": "Which version fixes the sync client?",
         "reference_answer": "Reinstall 4.8.1.", "gold_doc_ids": ["kb-1"]},
    ])  # fmt: skip
    (root / "params.yaml").write_text("{}\n")
    return root


@pytest.fixture
def tenant_params(make_params: Callable[..., Params], tmp_path: Path) -> Callable[..., Params]:
    source = corpus(tmp_path / "source")

    def build(*overrides: str) -> Params:
        return make_params(
            f"paths.source_dir={source}", "validate.max_quarantine_fraction=0.9",
            "index.min_recall=0", "sft.oracle_fraction=1.0", *overrides,
        )  # fmt: skip

    return build


def quarantined(params: Params) -> dict[str, list[str]]:
    lines = (params.paths.quarantine_dir / "quarantine.jsonl").read_text().splitlines()
    found = {}
    for entry in map(json.loads, lines):
        key = json.loads(entry["raw"]).get("id") if entry["raw"].startswith("{") else entry["line"]
        found[str(key)] = [r.split(":")[0] for r in entry["reasons"]]
    return found


def test_rows_whose_tenant_is_unclear_are_not_shared(tenant_params: Callable[..., Params]) -> None:
    params = tenant_params()
    validate.run(params)
    reasons = quarantined(params)
    for ticket in ("t-blank", "t-space", "t-none"):
        assert reasons[ticket] == ["missing_customer_id"]
    assert ["duplicate_key"] in reasons.values()  # the one with customer_id given twice
    assert reasons["s-foreign"] == ["foreign_gold_doc"] and reasons["s-shared"] == [
        "foreign_gold_doc"
    ]


@pytest.mark.parametrize(("policy", "leaks"), [("exclude", False), ("redact", True)])
def test_no_customer_text_reaches_training_unless_asked(
    tenant_params: Callable[..., Params], policy: str, leaks: bool
) -> None:
    """Why `exclude` is the default: redaction removes PII, and a door code is no PII."""
    params = tenant_params(f"sft.customer_context={policy}")
    for step in (validate, curate, index):
        step.run(params)
    report = build_sft.run(params)
    training = "".join(p.read_text() for p in params.paths.sft_dir.glob("*.jsonl"))
    assert any(secret in training for secret in SECRETS) == leaks
    assert (report.excluded_customer_examples == len(SECRETS)) == (policy == "exclude")
