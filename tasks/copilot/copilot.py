"""The copilot itself: identify the customer, gather context, generate, return cited sources.

Used by `tandem ask` directly and, inside the registered MLflow pyfunc, by
`models:/tandem-copilot@champion` and `mlflow models serve`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tasks.context.blocks import ContextBlock
from tasks.context.live import LiveContext
from tasks.copilot.prompting import build_messages, cited_ids, format_context
from tasks.copilot.tracing import Tracer, customer_tag
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
    trace_id: str = ""
    unavailable: tuple[str, ...] = ()  # `<block id>: <reason>` of each provider that failed


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


def with_live(
    live: LiveContext, hits: list[Hit], customer_id: str, at: datetime | None
) -> tuple[list[Hit], list[ContextBlock]]:
    """The providers' blocks first (the customer's record frames the answer), then the index's
    hits; -> (hits, the blocks)."""
    blocks = live.gather(customer_id, at)
    return [b.as_hit(customer_id) for b in blocks] + hits, blocks


def unavailable_of(blocks: Sequence[ContextBlock]) -> tuple[str, ...]:
    return tuple(f"{b.id}: {b.unavailable}" for b in blocks if b.unavailable)


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
        progress: Callable[[str], None] | None = None,
    ) -> None:
        """Loads the generator and opens the index (with its embedder) at once: a cold start
        waits for the slower of the two, not for both."""
        from concurrent.futures import ThreadPoolExecutor

        from tasks.index.retrieve import Retriever
        from tasks.models import load_base

        self.params = params
        self.model_name = model_name
        progress = progress or log.info
        model: Any
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="open-index") as pool:
            opening = pool.submit(Retriever, params, snapshots_dir=snapshots_dir)
            progress("loading the base model, opening the index beside it")
            model, self.tokenizer, _ = load_base(params)
            if adapter_dir is not None:
                from peft import PeftModel

                progress("applying the adapter")
                model = PeftModel.from_pretrained(model, adapter_dir)
                model.eval()
            self.model = model
            self.retriever = opening.result()
        self.live = LiveContext(params.context)
        progress(f"ready: index version {self.retriever.version}")

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
        gathered = [
            with_live(self.live, gather_context(self.retriever, q, c, p.retrieve.k, at), c, at)
            for q, c, at in zip(questions, customer_ids, when, strict=True)
        ]
        contexts = [hits for hits, _ in gathered]
        conversations = [
            build_messages(p.prompt, q, hits, c)
            for q, c, hits in zip(questions, customer_ids, contexts, strict=True)
        ]
        shown = [format_context(hits, p.prompt) for hits in contexts]
        texts = generate(self.model, self.tokenizer, conversations, p.generate, None, shown)
        return [
            Answer(
                q, c, text, sources_of(text, hits), tuple(h.doc_id for h in hits),
                self.model_name, unavailable=unavailable_of(blocks),
            )
            for q, c, text, (hits, blocks) in zip(
                questions, customer_ids, texts, gathered, strict=True
            )
        ]  # fmt: skip

    def answer_one(
        self,
        question: str,
        customer_id: str,
        at: datetime | None,
        tracer: Tracer,
        hash_customer: bool,
        tags: dict[str, str],
    ) -> Answer:
        """One answer, its steps traced as spans of one trace (when the tracer is on)."""
        from tasks.copilot.generate import generate

        p = self.params
        asked = {"question": question, "customer": customer_tag(customer_id, hash_customer)}
        with tracer.span("answer", "CHAIN", asked) as root:
            filters = {"customer": asked["customer"], "at": str(at or "now"), "k": p.retrieve.k}
            with tracer.span("retrieve", "RETRIEVER", {"query": question, **filters}) as span:
                hits = gather_context(self.retriever, question, customer_id, p.retrieve.k, at)
                if span is not None:
                    span.set_outputs([{"id": h.doc_id, "score": round(h.score, 4)} for h in hits])
            providers = [x.name for x in p.context.providers]
            with tracer.span("context", "TOOL", {"providers": providers, **filters}) as span:
                hits, blocks = with_live(self.live, hits, customer_id, at)
                if span is not None:
                    # provider names, not block ids: those hold the raw customer id
                    span.set_outputs(
                        [{"provider": b.provider, "unavailable": b.unavailable} for b in blocks]
                    )
            unavailable = unavailable_of(blocks)
            messages = build_messages(p.prompt, question, hits, customer_id)
            with tracer.span("generate", "LLM", {"messages": messages}) as span:
                shown = [format_context(hits, p.prompt)]
                [text] = generate(self.model, self.tokenizer, [messages], p.generate, None, shown)
                if span is not None:
                    span.set_outputs(
                        {"answer": text, "tokens": len(self.tokenizer(text)["input_ids"])}
                    )
            sources = sources_of(text, hits)
            with tracer.span("citations", "PARSER", {"answer": text}) as span:
                if span is not None:
                    span.set_outputs([s.id for s in sources])
            tracer.tag(
                {"model": self.model_name, "index_version": self.retriever.version,
                 "customer": asked["customer"], **tags}
            )  # fmt: skip
            if root is not None:
                root.set_outputs({"answer": text, "sources": [s.id for s in sources]})
            trace_id = Tracer.trace_id(root)
        retrieved = tuple(h.doc_id for h in hits)
        return Answer(
            question, customer_id, text, sources, retrieved, self.model_name, trace_id, unavailable
        )

    def close(self) -> None:
        self.live.close()
        self.retriever.close()
