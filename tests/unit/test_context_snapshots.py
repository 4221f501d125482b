"""Recorded provider blocks on sft/eval rows: what counts as a snapshot, how it is shown (the
live copilot's order and ids), and what of it may train the shared adapter."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from tasks.context.snapshots import (
    recorded_first,
    snapshot_blocks,
    snapshot_ids,
    snapshot_problem,
    undeclared,
)
from tasks.copilot.prompting import cited_ids
from tasks.params import Params
from tasks.schema import Hit, SftExample
from tasks.train.build_sft import make_record
from tasks.train.customer_context import customer_scoped, recorded_blocks
from tests.unit.context_helpers import section, sql_provider

pytestmark = pytest.mark.unit

CRM = sql_provider("sqlite:///crm.sqlite", title="CRM record (live)")
STAFFING = {"name": "staffing", "kind": "http", "title": "On shift", "shared": True,
            "url": "http://127.0.0.1:1/now"}  # fmt: skip
SNAPSHOT = {"staffing": "Tier 2 on shift: 0", "crm": "plan: Business; seats: 18"}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, None),
        (float("nan"), None),  # pandas' missing cell, where other rows of the file have one
        (json.dumps(SNAPSHOT), None),
        (SNAPSHOT, None),
        ("crm", "is not a JSON object"),
        ('["crm"]', "is not a JSON object"),
        ('{"crm": 3}', "gives 'crm' a int, not the block's text"),
        ('{"c rm": "x"}', "names 'c rm', which is not a provider name"),
        ('{"[crm]": "x"}', "names '[crm]', which is not a provider name"),
    ],
)
def test_a_snapshot_is_an_object_of_provider_name_to_text(value: Any, problem: str | None) -> None:
    found = snapshot_problem(value)
    assert found == problem or (problem is not None and found is not None and problem in found)


def test_blocks_come_in_declared_order_with_the_live_ids() -> None:
    declared = section(CRM, STAFFING)
    blocks = snapshot_blocks(SNAPSHOT, "CUS-004", declared)
    assert [(b.doc_id, b.title, b.text) for b in blocks] == [
        ("crm/CUS-004", "CRM record (live)", "plan: Business; seats: 18"),
        ("staffing", "On shift", "Tier 2 on shift: 0"),
    ]
    assert [b.customer_id for b in blocks] == ["CUS-004", ""]  # a shared block is no one's
    # no customer: a per-customer provider is not shown, as it is not asked live
    assert [b.doc_id for b in snapshot_blocks(SNAPSHOT, "", declared)] == ["staffing"]
    # recorded but not declared: the copilot does not show it, so neither does training
    assert [b.doc_id for b in snapshot_blocks(SNAPSHOT, "CUS-004", section(STAFFING))] == [
        "staffing"
    ]
    assert undeclared(SNAPSHOT, section(STAFFING)) == {"crm"}
    hit = Hit("KB-1-0", "KB-1", "t", "x", 0.9)
    shown = recorded_first(json.dumps(SNAPSHOT), "CUS-004", [hit], declared)
    assert [h.doc_id for h in shown] == ["crm/CUS-004", "staffing", "KB-1"]
    assert recorded_first("", "CUS-004", [hit], declared) == [hit]


def test_a_rows_gold_may_name_only_its_own_recorded_blocks() -> None:
    assert snapshot_ids(json.dumps(SNAPSHOT), "CUS-004") == {
        "crm", "staffing", "crm/CUS-004", "staffing/CUS-004",
    }  # fmt: skip
    assert snapshot_ids(json.dumps(SNAPSHOT), "") == {"crm", "staffing"}
    assert snapshot_ids("not json", "CUS-004") == set() and snapshot_ids(None, "x") == set()
    assert snapshot_ids(float("nan"), "x") == set()


LIVE = SftExample(
    id="SFT-0900",
    prompt="What plan are we on?",
    response="Summary: You are on the Business plan.\nSources: [crm/CUS-004]",
    customer_id="CUS-004",
    gold_doc_ids=("crm/CUS-004",),
    context=json.dumps(SNAPSHOT),
)


def test_a_block_that_answers_is_shown_first_cited_and_never_traded_for_abstention(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(
        "sft.oracle_fraction=0.0", f"context.providers={json.dumps([CRM, STAFFING])}"
    )
    blocks = snapshot_blocks(SNAPSHOT, LIVE.customer_id, params.context)
    hits = [Hit(f"KB-{n}-0", f"KB-{n}", "t", "x", 0.5) for n in range(3)]
    record = make_record(LIVE, hits, {}, params, blocks)
    assert record.oracle  # the evidence is always in the prompt: no abstention target
    assert record.context_doc_ids[:2] == ("crm/CUS-004", "staffing")
    user, answer = record.messages[1]["content"], record.messages[-1]["content"]
    assert user.index("[crm/CUS-004]") < user.index("[staffing]") < user.index("[KB-")
    assert "crm/CUS-004" in cited_ids(answer, record.context_doc_ids)


class NoRedaction:
    def redact(self, text: str) -> Any:
        return type("Redacted", (), {"text": text})()


@pytest.mark.parametrize(("train", "kept"), [(False, False), (True, True)])
def test_under_exclude_a_customers_block_trains_only_if_its_provider_says_so(
    make_params: Callable[..., Params], train: bool, kept: bool
) -> None:
    providers = [{**CRM, "train": train}, STAFFING]
    params = make_params(
        "sft.customer_context=exclude", f"context.providers={json.dumps(providers)}"
    )
    chunks = pd.DataFrame({"doc_id": ["KB-1"], "customer_id": [""]})
    shared = SftExample(id="SFT-1", prompt="q", response="r", context=json.dumps(SNAPSHOT))
    examples, excluded = customer_scoped([LIVE, shared], chunks, params)
    assert [e.id for e in examples] == ([LIVE.id, shared.id] if kept else [shared.id])
    assert excluded == (0 if kept else 1)
    blocks, ignored = recorded_blocks([LIVE], params, NoRedaction())
    assert [b.doc_id for b in blocks[0]] == (["crm/CUS-004", "staffing"] if kept else ["staffing"])
    assert ignored == []
