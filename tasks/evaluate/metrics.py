"""Retrieval and answer metrics. ROUGE comes from rouge-score; token F1 is SQuAD's. Nothing
here knows a corpus: the answer format and the abstention text come in as params."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from tasks.copilot.prompting import bracketed, cited_ids

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


# A sentence ends at . ! ? or a line break; a step's number ("2.") opens a unit of its own.
_UNITS = re.compile(r"(?<=[.!?])\s+|\n+|(?:^|\s)\d{1,2}[.)]\s")
MIN_REPEATED_WORDS = 3  # "Thank you." twice is not a loop
LOOP_WORDS = 8  # a run of this many words said twice is a loop, sentence or not


def repeats(prediction: str) -> float:
    """1.0 when the answer says a sentence or a step twice, or loops on a phrase (normalized
    words), else 0.0."""
    tokens = normalize_tokens(prediction)
    runs = [tuple(tokens[i : i + LOOP_WORDS]) for i in range(len(tokens) - LOOP_WORDS + 1)]
    if len(set(runs)) < len(runs):
        return 1.0
    seen: set[tuple[str, ...]] = set()
    for unit in _UNITS.split(prediction):
        words = tuple(normalize_tokens(unit or ""))
        if len(words) < MIN_REPEATED_WORDS:
            continue
        if words in seen:
            return 1.0
        seen.add(words)
    return 0.0


def must_include_coverage(prediction: str, facts: Sequence[str]) -> float:
    if not facts:
        return math.nan
    lowered = prediction.lower()
    return sum(fact.lower() in lowered for fact in facts) / len(facts)


def follows_format(prediction: str, pattern: str | None) -> float:
    """1 when the answer matches `evaluate.answer_format` whole; nan when no format is declared."""
    if pattern is None:
        return math.nan
    return float(bool(_compiled(pattern).match(prediction)))


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


def citation_precision(prediction: str, retrieved: Sequence[str], gold: Sequence[str]) -> float:
    """Share of cited spans (`[...]`) that name a document both shown to the model and gold;
    nan when nothing is cited."""
    cited = bracketed(prediction)
    if not cited:
        return math.nan
    allowed = set(retrieved) & set(gold)
    return sum(doc in allowed for doc in cited) / len(cited)


def cites_gold(prediction: str, retrieved: Sequence[str], gold: Sequence[str]) -> float:
    """When a gold document was shown: 1 if the answer cites one of them; nan otherwise (no gold
    shown, nothing to cite)."""
    shown_gold = set(retrieved) & set(gold)
    if not shown_gold:
        return math.nan
    return float(bool(set(cited_ids(prediction, shown_gold))))


def abstained(prediction: str, abstain_response: str, similarity: float) -> bool:
    """The answer is (close to) the configured abstention text, in whatever wording and
    language it is written: token F1 with `sft.abstain_response` at least `similarity`."""
    return token_f1(prediction, abstain_response) >= similarity


def abstention_correct(abstains: bool, context_has_answer: bool) -> float:
    """Right to answer when the context holds the gold document, right to abstain when not."""
    return float(abstains != context_has_answer)


def facts(coverage: float, abstention_ok: float, f1: float, answerable: bool) -> float:
    """Whether the answer keeps the facts: must_include coverage where the question lists them,
    else token F1 with the reference; for a question the knowledge cannot answer, whether the
    model declined."""
    if not math.isnan(coverage):
        return coverage
    return f1 if answerable else abstention_ok


def answer_score(parts: dict[str, float], weights: dict[str, float]) -> float:
    """The weighted mean of the parts this question supports (nan parts are left out)."""
    defined = {name: w for name, w in weights.items() if not math.isnan(parts[name])}
    total = sum(defined.values())
    return sum(parts[n] * w for n, w in defined.items()) / total if total else math.nan


def mean(values: Sequence[float]) -> float:
    defined = [v for v in values if not math.isnan(v)]
    return sum(defined) / len(defined) if defined else math.nan
