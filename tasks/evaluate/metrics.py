"""Retrieval and answer metrics. ROUGE comes from rouge-score; the rest are defined by our
format."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from tasks.copilot.prompting import cited_ids

# The structure the sft data teaches: a summary, numbered steps, then the sources line.
ANSWER_FORMAT = re.compile(
    r"^\s*Summary:\s*\S.*?\n\s*Steps:\s*\n\s*1\.\s*\S.*?\n\s*Sources:\s*(none|(\[[A-Z]{2,5}-\d+\]\s*)+)\s*$",
    re.DOTALL,
)
# Declining to answer (the sft abstention text and close paraphrases), not merely "escalate":
# escalation is also a normal procedure step.
ABSTENTION = re.compile(
    r"(could not|couldn't|cannot|can't) find (this|that|it|any\w*) in the knowledge base"
    r"|(do|does) not have (enough )?information",
    re.IGNORECASE,
)


# --- retrieval (document level: chunks of one document count once, in rank order) ---


def ranked_docs(retrieved_doc_ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(retrieved_doc_ids))


def recall_at_k(retrieved: Sequence[str], gold: Sequence[str], k: int) -> float:
    if not gold:
        return math.nan
    top = set(ranked_docs(retrieved)[:k])
    return len(top & set(gold)) / len(set(gold))


def mrr(retrieved: Sequence[str], gold: Sequence[str]) -> float:
    if not gold:
        return math.nan
    for rank, doc in enumerate(ranked_docs(retrieved), start=1):
        if doc in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(retrieved: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Binary relevance nDCG@k."""
    if not gold:
        return math.nan
    gains = [1.0 if doc in gold else 0.0 for doc in ranked_docs(retrieved)[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(set(gold)))))
    return dcg / ideal


# --- answers ---


def normalize_tokens(text: str) -> list[str]:
    """SQuAD's normalization: lowercase, strip punctuation and articles."""
    text = text.lower()
    text = "".join(ch if ch not in string.punctuation else " " for ch in text)
    return [t for t in text.split() if t not in {"a", "an", "the"}]


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_tokens(prediction), normalize_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


@lru_cache(maxsize=1)
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(prediction: str, reference: str) -> float:
    return float(_rouge_scorer().score(reference, prediction)["rougeL"].fmeasure)


def must_include_coverage(prediction: str, facts: Sequence[str]) -> float:
    if not facts:
        return math.nan
    lowered = prediction.lower()
    return sum(fact.lower() in lowered for fact in facts) / len(facts)


def follows_format(prediction: str) -> float:
    return float(bool(ANSWER_FORMAT.match(prediction)))


def citation_precision(prediction: str, retrieved: Sequence[str], gold: Sequence[str]) -> float:
    """Share of cited ids that were both shown to the model and gold; nan when nothing is cited."""
    cited = cited_ids(prediction)
    if not cited:
        return math.nan
    allowed = set(retrieved) & set(gold)
    return sum(doc in allowed for doc in cited) / len(cited)


def abstained(prediction: str) -> bool:
    return bool(ABSTENTION.search(prediction))


def abstention_correct(prediction: str, context_has_answer: bool) -> float:
    """Right to answer when the context holds the gold document, right to abstain when not."""
    return float(abstained(prediction) != context_has_answer)


def answer_score(format_ok: float, rouge: float, coverage: float, abstention_ok: float) -> float:
    """The gate's default primary metric: form, overlap with the reference, and the facts
    (or, for a question the context cannot answer, whether the model declined)."""
    facts = abstention_ok if math.isnan(coverage) else coverage
    return (format_ok + rouge + facts) / 3


def mean(values: Sequence[float]) -> float:
    defined = [v for v in values if not math.isnan(v)]
    return sum(defined) / len(defined) if defined else math.nan
