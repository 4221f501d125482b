"""Each metric on small examples computed by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tasks.evaluate import metrics
from tasks.params_loader import load_params

pytestmark = pytest.mark.unit
# The sample's declared answer style and abstention text (data/sample/params.yaml).
SAMPLE = load_params(Path(__file__).resolve().parents[2] / "params.yaml")
FORMAT = SAMPLE.evaluate.answer_format

GOOD = (
    "Summary: The Business plan costs $14 per user per month.\n"
    "Steps:\n1. Open Billing.\n2. Pick a plan.\n"
    "Sources: [KB-012] [POL-003]"
)


def test_recall_mrr_ndcg_by_hand() -> None:
    retrieved = ["KB-1", "KB-2", "KB-1", "KB-3"]  # chunks of KB-1 twice: counted once
    gold = ["KB-3", "KB-9"]
    assert metrics.recall_at_k(retrieved, gold, k=3) == 0.5  # docs KB-1, KB-2, KB-3
    assert metrics.recall_at_k(retrieved, gold, k=2) == 0.0
    assert metrics.mrr(retrieved, gold) == pytest.approx(1 / 3)
    # one relevant doc at rank 3 of 3; ideal has two relevant at ranks 1 and 2
    expected = (1 / math.log2(4)) / (1 / math.log2(2) + 1 / math.log2(3))
    assert metrics.ndcg_at_k(retrieved, gold, k=3) == pytest.approx(expected)
    assert math.isnan(metrics.mrr(retrieved, []))


def test_token_f1_by_hand() -> None:
    # pred tokens: [cat, sat]; ref tokens: [cat, sat, down] -> p=1, r=2/3, f1=0.8
    assert metrics.token_f1("The cat sat.", "the cat sat down") == pytest.approx(0.8)
    assert metrics.token_f1("dog", "cat") == 0.0


def test_rouge_l_uses_longest_common_subsequence() -> None:
    # LCS of "a b c d" and "a c d e" is "a c d": p = 3/4, r = 3/4
    assert metrics.rouge_l("a b c d", "a c d e") == pytest.approx(0.75)


def test_must_include_is_case_insensitive_share() -> None:
    assert metrics.must_include_coverage(
        "Costs $14, renews in 30 Days", ["$14", "30 days", "E-4012"]
    ) == pytest.approx(2 / 3)
    assert math.isnan(metrics.must_include_coverage("x", []))


def test_format_adherence() -> None:
    assert metrics.follows_format(GOOD, FORMAT) == 1.0
    assert metrics.follows_format("Summary: x\nSteps:\n1. y\nSources: none", FORMAT) == 1.0
    assert metrics.follows_format("The plan costs $14.", FORMAT) == 0.0
    assert metrics.follows_format("Summary: x\nSources: [KB-1]", FORMAT) == 0.0  # no steps
    # the sample's quote-then-answer form: the quoted evidence line, then the structure
    assert metrics.follows_format(f'Quote [KB-012]: "It costs $14."\n{GOOD}', FORMAT) == 1.0
    assert metrics.follows_format('Quote [KB-012]: "It costs $14."', FORMAT) == 0.0
    assert math.isnan(metrics.follows_format(GOOD, None))  # no declared format: no metric


def test_cites_gold_needs_a_shown_gold_document() -> None:
    assert metrics.cites_gold(GOOD, retrieved=["KB-012"], gold=["KB-012"]) == 1.0
    assert metrics.cites_gold(GOOD, retrieved=["KB-5", "POL-003"], gold=["KB-5"]) == 0.0
    assert math.isnan(metrics.cites_gold(GOOD, retrieved=["KB-5"], gold=["KB-012"]))


def test_citation_precision() -> None:
    # cites KB-012 (shown and gold) and POL-003 (gold, but not shown): 1/2
    assert (
        metrics.citation_precision(GOOD, retrieved=["KB-012", "KB-5"], gold=["KB-012", "POL-003"])
        == 0.5
    )
    assert math.isnan(metrics.citation_precision("no citations", ["KB-1"], ["KB-1"]))


def abstains(answer: str) -> bool:
    return metrics.abstained(
        answer, SAMPLE.sft.abstain_response, SAMPLE.evaluate.abstention_similarity
    )


def test_abstention() -> None:
    abstain = "Summary: I could not find this in the knowledge base, so I will not guess."
    assert metrics.abstention_correct(abstains(abstain), context_has_answer=False) == 1.0
    assert metrics.abstention_correct(abstains(abstain), context_has_answer=True) == 0.0
    assert metrics.abstention_correct(abstains(GOOD), context_has_answer=True) == 1.0
    assert abstains("Steps:\n1. Escalate to Tier 2 if the refund exceeds $500.") is False


def test_abstention_is_recognised_in_the_configured_words_whatever_the_language() -> None:
    german = "Das steht nicht in der Wissensdatenbank; ich leite die Frage weiter."
    assert metrics.abstained(german, german, 0.5)
    assert metrics.abstained("Das steht nicht in der Wissensdatenbank.", german, 0.5)
    assert not metrics.abstained("Öffnen Sie die Einstellungen und wählen Sie Konto.", german, 0.5)


def score(format_ok: float, rouge: float, coverage: float, abstention_ok: float) -> float:
    """The sample's answer_score: format, ROUGE-L and the facts, equally weighted."""
    facts = metrics.facts(coverage, abstention_ok, f1=0.0, answerable=False)
    parts = {"format": format_ok, "rougeL": rouge, "facts": facts}
    return metrics.answer_score(parts, SAMPLE.evaluate.answer_score.weights())


def test_answer_score_uses_abstention_when_no_facts_expected() -> None:
    assert score(1.0, 0.5, 0.0, 1.0) == pytest.approx(0.5)
    assert score(1.0, 0.5, math.nan, 1.0) == pytest.approx(2.5 / 3)


def test_facts_are_must_include_else_token_f1_else_right_abstention() -> None:
    assert metrics.facts(0.5, 1.0, f1=0.2, answerable=True) == 0.5
    assert metrics.facts(math.nan, 1.0, f1=0.2, answerable=True) == 0.2
    assert metrics.facts(math.nan, 1.0, f1=0.2, answerable=False) == 1.0


def test_answer_score_leaves_out_the_parts_a_question_does_not_support() -> None:
    weights = {"rougeL": 1.0, "facts": 1.0, "cites_gold": 1.0}
    parts = {"rougeL": 0.5, "facts": 1.0, "cites_gold": math.nan}
    assert metrics.answer_score(parts, weights) == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Steps:\n1. Confirm the plan is active. 2. Confirm the plan is active. 3. Done", 1.0),
        ("Summary: Reset it.\nSteps:\n1. Open Settings and click Reset.\n2. Wait.", 0.0),
        ('Quote [KB-6]: "Quote [KB-6]: "Quote [KB-6]: "Quote [KB-6]: "Quote [KB-6]: "', 1.0),
        ("Thank you. Thank you.", 0.0),  # too short to be a loop
    ],
)
def test_repeats_flags_a_sentence_a_step_or_a_phrase_said_twice(
    answer: str, expected: float
) -> None:
    assert metrics.repeats(answer) == expected
