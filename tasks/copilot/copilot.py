"""The copilot itself: identify the customer, gather context, generate, return cited sources.

Used by `tandem ask` directly and, inside the registered MLflow pyfunc, by
`models:/tandem-copilot@champion` and `mlflow models serve`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tasks.copilot.prompting import build_messages, cited_ids
from tasks.params import Params
from tasks.schema import Hit

log = logging.getLogger(__name__)

SNIPPET_CHARS = 200


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    snippet: str
    url: str = ""


@dataclass(frozen=True)
class Answer:
    question: str
    customer_id: str
    answer: str
    sources: tuple[Source, ...]
    retrieved: tuple[str, ...] = field(default_factory=tuple)
    model: str = ""


def gather_context(
    retriever: Any, question: str, customer_id: str, k: int, at: datetime | None = None
) -> list[Hit]:
    """What a support agent would pull up: the customer's own profile first (documents of
    `retrieve.profile_source`: their plan and status frame every answer), then the top hits
    across the knowledge. The retriever's filters keep other customers' data and expired facts
    out."""
    hits = list(retriever.search(question, customer_id=customer_id, at=at, k=k))
    profile_source = retriever.params.retrieve.profile_source
    if customer_id and profile_source:
        profile = retriever.search(
            question, customer_id=customer_id, at=at, k=1, sources=(profile_source,)
        )
        own = [
            h
            for h in profile
            if h.customer_id == customer_id and h.doc_id not in {x.doc_id for x in hits}
        ]
        hits = own + hits[: max(1, k - len(own))]
    return hits


def sources_of(answer: str, hits: Sequence[Hit]) -> tuple[Source, ...]:
    """Cited ids that were really shown to the model; anything else cited is not a source."""
    by_doc = {h.doc_id: h for h in hits}
    return tuple(
        Source(
            doc_id, by_doc[doc_id].title, by_doc[doc_id].text[:SNIPPET_CHARS], by_doc[doc_id].url
        )
        for doc_id in cited_ids(answer, by_doc)
    )


class Copilot:
    """A loaded model (base + optional LoRA adapter) and a retriever over the live index."""

    def __init__(
        self,
        params: Params,
        adapter_dir: Path | None,
        model_name: str = "",
        snapshots_dir: Path | None = None,
    ) -> None:
        from tasks.index.retrieve import Retriever
        from tasks.models import load_base

        self.params = params
        model: Any
        model, self.tokenizer, _ = load_base(params)
        if adapter_dir is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter_dir)
            model.eval()
        self.model = model
        self.retriever = Retriever(params, snapshots_dir=snapshots_dir)
        self.model_name = model_name

    def answer_many(
        self,
        questions: Sequence[str],
        customer_ids: Sequence[str],
        moments: Sequence[datetime | None] | None = None,
    ) -> list[Answer]:
        """Answers in order; `moments`: when each question's facts must be valid (None: now)."""
        from tasks.copilot.generate import generate

        p = self.params
        when = list(moments) if moments is not None else [None] * len(questions)
        contexts = [
            gather_context(self.retriever, q, c, p.retrieve.k, at)
            for q, c, at in zip(questions, customer_ids, when, strict=True)
        ]
        conversations = [
            build_messages(p.prompt, q, hits, c)
            for q, c, hits in zip(questions, customer_ids, contexts, strict=True)
        ]
        texts = generate(self.model, self.tokenizer, conversations, p.generate)
        return [
            Answer(
                q, c, text, sources_of(text, hits), tuple(h.doc_id for h in hits), self.model_name
            )
            for q, c, text, hits in zip(questions, customer_ids, texts, contexts, strict=True)
        ]

    def close(self) -> None:
        self.retriever.close()
