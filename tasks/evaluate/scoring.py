"""Scoring the evaluation: every metric of one answer, the table per configuration, retrieval
metrics, and which metric stands for "the facts" on this eval set."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from tasks.evaluate import metrics
from tasks.params import Params
from tasks.schema import EvalExample, Hit

# The table's columns, in order; answer_score is the weighted mean of evaluate.answer_score.
ANSWER_METRICS = (
    "answer_score",
    "format",
    "must_include",
    "facts",
    "rougeL",
    "token_f1",
    "cites_gold",
    "citation_precision",
    "abstention_accuracy",
    "abstains_when_missing",
    "answers_when_present",
    "repeats",  # share of answers that say a sentence or a step twice: lower is better
)


def score_answer(
    answer: str, example: EvalExample, context_doc_ids: Sequence[str], params: Params
) -> dict[str, float]:
    """Pure: every answer metric for one answer, given the documents its context showed."""
    gold = example.gold_doc_ids
    has_answer = bool(set(gold) & set(context_doc_ids))
    abstains = metrics.abstained(
        answer, params.sft.abstain_response, params.evaluate.abstention_similarity
    )
    row = {
        "format": metrics.follows_format(answer, params.evaluate.answer_format),
        "must_include": metrics.must_include_coverage(answer, example.must_include),
        "rougeL": metrics.rouge_l(answer, example.reference_answer),
        "token_f1": metrics.token_f1(answer, example.reference_answer),
        "cites_gold": metrics.cites_gold(answer, context_doc_ids, gold),
        "citation_precision": metrics.citation_precision(answer, context_doc_ids, gold),
        "abstention_accuracy": metrics.abstention_correct(abstains, has_answer),
        # the two halves of it: declining without the evidence, answering with it
        "abstains_when_missing": math.nan if has_answer else float(abstains),
        "answers_when_present": float(not abstains) if has_answer else math.nan,
        "repeats": metrics.repeats(answer),
    }
    row["facts"] = metrics.facts(
        row["must_include"], row["abstention_accuracy"], row["token_f1"], bool(gold)
    )
    row["answer_score"] = metrics.answer_score(row, params.evaluate.answer_score.weights())
    return row


def facts_metric(examples: Sequence[EvalExample]) -> str:
    """What "keeps the facts" is measured by: must_include where the eval set lists facts to
    include, token F1 against the reference otherwise."""
    return "must_include" if any(e.must_include for e in examples) else "token_f1"


def score_retrieval(
    examples: Sequence[EvalExample], hits: Sequence[Sequence[Hit]], k: int
) -> dict[str, float]:
    docs = [[h.doc_id for h in per_question] for per_question in hits]
    pairs = list(zip(docs, examples, strict=True))
    return {
        f"recall_at_{k}": metrics.mean(
            [metrics.recall_at_k(d, e.gold_doc_ids, k) for d, e in pairs]
        ),
        "mrr": metrics.mean([metrics.mrr(d, e.gold_doc_ids) for d, e in pairs]),
        f"ndcg_at_{k}": metrics.mean([metrics.ndcg_at_k(d, e.gold_doc_ids, k) for d, e in pairs]),
    }


def summarize(rows: pd.DataFrame, configs: Sequence[str]) -> dict[str, dict[str, float]]:
    table = {}
    for config in configs:
        part = rows[rows["config"] == config]
        table[config] = {m: round(metrics.mean(part[m].tolist()), 4) for m in ANSWER_METRICS}
    return table
