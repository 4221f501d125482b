"""Each metric on small examples computed by hand."""

from __future__ import annotations

import math

import pytest

from tasks.evaluate import metrics

pytestmark = pytest.mark.unit

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
    assert metrics.follows_format(GOOD) == 1.0
    assert metrics.follows_format("Summary: x\nSteps:\n1. y\nSources: none") == 1.0
    assert metrics.follows_format("The plan costs $14.") == 0.0
    assert metrics.follows_format("Summary: x\nSources: [KB-1]") == 0.0  # no steps


def test_citation_precision() -> None:
    # cites KB-012 (shown and gold) and POL-003 (gold, but not shown): 1/2
    assert (
        metrics.citation_precision(GOOD, retrieved=["KB-012", "KB-5"], gold=["KB-012", "POL-003"])
        == 0.5
    )
    assert math.isnan(metrics.citation_precision("no citations", ["KB-1"], ["KB-1"]))


def test_abstention() -> None:
    abstain = "Summary: I could not find this in the knowledge base, so I will not guess."
    assert metrics.abstention_correct(abstain, context_has_answer=False) == 1.0
    assert metrics.abstention_correct(abstain, context_has_answer=True) == 0.0
    assert metrics.abstention_correct(GOOD, context_has_answer=True) == 1.0
    assert metrics.abstained("Steps:\n1. Escalate to Tier 2 if the refund exceeds $500.") is False


def test_answer_score_uses_abstention_when_no_facts_expected() -> None:
    assert metrics.answer_score(1.0, 0.5, 0.0, 1.0) == pytest.approx(0.5)
    assert metrics.answer_score(1.0, 0.5, math.nan, 1.0) == pytest.approx(2.5 / 3)
