from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from tasks.copilot.prompting import cited_ids
from tasks.params import Params
from tasks.schema import FEEDBACK_TASK, Hit, SftExample
from tasks.train.build_sft import cite_gold, is_validation, make_record, split
from tasks.train.finetune import IGNORE_INDEX, tokenize_record

pytestmark = pytest.mark.unit


def hit(doc_id: str, text: str = "some text") -> Hit:
    return Hit(chunk_id=f"{doc_id}-0", doc_id=doc_id, title=f"Title {doc_id}", text=text, score=0.5)


EXAMPLE = SftExample(
    id="SFT-0001",
    prompt="How do I reactivate my account?",
    response="Summary: Pay the balance.\nSteps:\n1. Pay.\nSources: KB-007",
    task_type="account_reactivation",
    gold_doc_ids=("KB-007",),
)
HITS = [hit("KB-007"), hit("KB-100"), hit("KB-100"), hit("KB-200"), hit("KB-300")]
GOLD = {"KB-007": hit("KB-007", "gold text")}


def test_oracle_record_has_gold_and_distractors_and_cites_gold(
    make_params: Callable[..., Params],
) -> None:
    params = make_params("sft.oracle_fraction=1.0", "sft.num_distractors=2")
    record = make_record(EXAMPLE, HITS, GOLD, params)
    assert record.oracle
    assert sorted(record.context_doc_ids) == ["KB-007", "KB-100", "KB-200"]  # one chunk per doc
    assert record.messages[-1]["role"] == "assistant"
    assert cited_ids(record.messages[-1]["content"], record.context_doc_ids) == ["KB-007"]
    assert "gold text" in record.messages[1]["content"]


def test_non_oracle_record_drops_gold_and_abstains(make_params: Callable[..., Params]) -> None:
    params = make_params("sft.oracle_fraction=0.0")
    record = make_record(EXAMPLE, HITS, GOLD, params)
    assert not record.oracle
    assert "KB-007" not in record.context_doc_ids
    assert record.messages[-1]["content"] == params.sft.abstain_response


def test_records_are_deterministic_for_a_seed_and_oracle_share_follows_param(
    make_params: Callable[..., Params],
) -> None:
    params = make_params("sft.oracle_fraction=0.7")
    examples = [SftExample(**{**EXAMPLE.__dict__, "id": f"SFT-{i:04d}"}) for i in range(400)]
    first = [make_record(e, HITS, GOLD, params) for e in examples]
    again = [make_record(e, HITS, GOLD, params) for e in reversed(examples)][::-1]
    assert first == again
    share = sum(r.oracle for r in first) / len(first)
    assert 0.6 < share < 0.8


def test_cite_gold_rewrites_sources_line(make_params: Callable[..., Params]) -> None:
    p = make_params().sft
    assert cite_gold("Summary: x\nSources: KB-1, KB-2", ["KB-1", "POL-2"], p).endswith(
        "Sources: [KB-1] [POL-2]"
    )
    # Nothing to cite: the target stays as written (the sample's abstention text carries its
    # own "Sources: none"; the words of a citation line are sft.cite_as, a param).
    assert cite_gold("Summary: x", [], p) == "Summary: x"
    plain = make_params("sft.cite_as=null").sft
    assert cite_gold("Open Settings.", ["guides/setup.md"], plain) == "Open Settings."


def test_validation_split_is_stable_by_id() -> None:
    ids = [f"SFT-{i:04d}" for i in range(1000)]
    held_out = {i for i in ids if is_validation(i, 0.1)}
    assert 60 < len(held_out) < 140
    assert held_out == {i for i in reversed(ids) if is_validation(i, 0.1)}


def test_tokenize_record_masks_prompt_and_keeps_response(tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    record = {
        "messages": [
            {"role": "system", "content": "sys " * 50},
            {"role": "user", "content": "question " * 200},
            {"role": "assistant", "content": "Summary: ok\nSources: none"},
        ]
    }
    encoded = tokenize_record(record, tokenizer, max_length=64)
    assert len(encoded["input_ids"]) == 64
    labelled = [t for t in encoded["labels"] if t != IGNORE_INDEX]
    assert tokenizer.decode(labelled).startswith("Summary: ok")
    assert encoded["labels"][0] == IGNORE_INDEX


def test_reviewed_feedback_always_answers_always_trains_and_is_weighted(
    make_params: Callable[..., Params],
) -> None:
    params = make_params("sft.oracle_fraction=0.0", "sft.val_fraction=0.9", "sft.feedback_repeat=3")
    reviewed = replace(EXAMPLE, id="fb-tr-1", task_type=FEEDBACK_TASK)
    ordinary = [replace(EXAMPLE, id=f"SFT-{n}") for n in range(20)]
    records = [make_record(e, HITS, GOLD, params) for e in [reviewed, *ordinary]]
    assert records[0].oracle  # no abstention target traded for the reviewer's answer
    assert not any(r.oracle for r in records[1:])  # oracle_fraction=0 still rules the rest
    train, val = split(records, params.sft)
    assert [r.id for r in train].count("fb-tr-1") == 3
    assert "fb-tr-1" not in {r.id for r in val}
    assert len(val) + len(train) == len(ordinary) + 3 and val  # the others split as before
