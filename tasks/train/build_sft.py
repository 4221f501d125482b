"""build-sft: curated examples -> training records in the copilot's own prompt format (RAFT).

Each record's context comes from the real retriever: the gold documents (with probability
`sft.oracle_fraction`) plus top-ranked non-gold hits as hard negatives, shuffled. Without the
gold documents the target is the abstention text, so the model learns to escalate instead of
guessing.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.copilot.prompting import SENTENCE, build_messages, citation_line
from tasks.errors import DataQualityError, UserError
from tasks.evaluate.metrics import token_f1
from tasks.params import Params
from tasks.reports import write_jsonl_atomic, write_report
from tasks.schema import FEEDBACK_TASK, Hit, SftExample, in_share, read_sft
from tasks.sections import SftParams
from tasks.train.customer_context import customer_scoped, recorded_blocks, redact_hits
from tasks.train.leak_scan import scan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SftRecord:
    id: str
    task_type: str
    oracle: bool
    context_doc_ids: tuple[str, ...]
    messages: tuple[dict[str, str], ...]


def is_validation(example_id: str, val_fraction: float) -> bool:
    """The sft/val split: stable by id."""
    return in_share(example_id, val_fraction)


def split(records: list[SftRecord], p: SftParams) -> tuple[list[SftRecord], list[SftRecord]]:
    """Train and val by a stable hash of the id; reviewed feedback always trains, repeated
    `sft.feedback_repeat` times: one example among hundreds, seen at most once in a short
    fine-tune, would not change what the model answers."""
    train, val = [], []
    for record in records:
        if record.task_type == FEEDBACK_TASK:
            train += [record] * p.feedback_repeat  # same id: one example, weighted
        elif is_validation(record.id, p.val_fraction):
            val.append(record)
        else:
            train.append(record)
    return train, val


def cite_gold(response: str, gold_doc_ids: Sequence[str], p: SftParams) -> str:
    """One citation form for every target (`sft.cite_as`, e.g. `Sources: [a] [b]`): a line that
    `sft.cite_replaces` matches is replaced, else the citation is appended."""
    if p.cite_as is None or not gold_doc_ids:
        return response
    sources = citation_line(p.cite_as, gold_doc_ids)
    if p.cite_replaces is not None:
        line = re.compile(p.cite_replaces, re.MULTILINE)
        if line.search(response):
            return line.sub(lambda _: sources, response, count=1)
    return f"{response.rstrip()}\n{sources}"


def ordered(context: list[Hit], hits: Sequence[Hit], p: SftParams, rng: random.Random) -> list[Hit]:
    """The context in `sft.context_order`: shuffled (RAFT), or as the retriever ranked it, which
    is what the copilot sees at inference (a gold chunk it did not retrieve goes anywhere)."""
    if p.context_order == "shuffled":
        return rng.sample(context, len(context))
    rank: dict[str, int] = {}
    for position, hit in enumerate(hits):
        rank.setdefault(hit.doc_id, position)
    placed = sorted((h for h in context if h.doc_id in rank), key=lambda h: rank[h.doc_id])
    for hit in (h for h in context if h.doc_id not in rank):
        placed.insert(rng.randrange(len(placed) + 1), hit)
    return placed


def quote_of(chunk: Hit, response: str, sentences: int) -> str:
    """The chunk's sentences that share the most words with the ideal answer, in their order:
    the evidence a quote-first target copies before it answers."""
    found = [s for s in SENTENCE.split(chunk.text) if s.strip()]
    best = sorted(range(len(found)), key=lambda i: -token_f1(found[i], response))[:sentences]
    return " ".join(found[i].strip() for i in sorted(best))


def target(example: SftExample, gold: list[str], evidence: dict[str, Hit], p: SftParams) -> str:
    """The answer to train on: the response with its citation, in `sft.target_template` (which
    may name the source first, or quote it, before answering)."""
    response = cite_gold(example.response, gold, p)
    quote = quote_of(evidence[gold[0]], example.response, p.quote_sentences)
    return p.target_template.format(response=response, source_id=gold[0], quote=quote)


def make_record(
    example: SftExample,
    hits: Sequence[Hit],
    gold_chunks: dict[str, Hit],
    params: Params,
    blocks: Sequence[Hit] = (),
) -> SftRecord:
    """Pure: one example, its retrieved hits and its recorded provider blocks -> one training
    record. The blocks come first, as the live copilot shows them, and are always shown: a gold
    that is a block is never traded for the abstention."""
    p = params.sft
    rng = random.Random(f"{p.seed}:{example.id}")  # per-example seed: order-independent
    shown_blocks = {b.doc_id: b for b in blocks}
    evidence = {**gold_chunks, **shown_blocks}
    gold = [d for d in example.gold_doc_ids if d in evidence]
    gold_docs = [d for d in gold if d not in shown_blocks]
    distractors = [h for h in hits if h.doc_id not in example.gold_doc_ids]
    distractors = list({h.doc_id: h for h in reversed(distractors)}.values())[::-1]  # one per doc
    # a reviewer's answer is the answer in its own context: never traded for the abstention
    always = example.task_type == FEEDBACK_TASK or len(gold_docs) < len(gold)
    oracle = bool(gold) and (always or rng.random() < p.oracle_fraction)
    if oracle:
        context = [gold_chunks[d] for d in gold_docs] + distractors[: p.num_distractors]
        response = target(example, gold, evidence, p)
    else:
        context = distractors[: p.num_distractors + max(1, len(gold))]
        response = p.abstain_response
    context = [*blocks, *ordered(context, hits, p, rng)]
    messages = build_messages(params.prompt, example.prompt, context, example.customer_id)
    messages.append({"role": "assistant", "content": response})
    return SftRecord(
        id=example.id,
        task_type=example.task_type,
        oracle=oracle,
        context_doc_ids=tuple(h.doc_id for h in context),
        messages=tuple(messages),
    )


def best_gold_chunks(chunks: pd.DataFrame, doc_ids: set[str]) -> dict[str, Hit]:
    """The first chunk of each gold document: where articles state their main facts."""
    wanted = chunks[chunks["doc_id"].isin(doc_ids)].sort_values(["doc_id", "position"])
    first = wanted.groupby("doc_id", sort=False).head(1)
    return {
        row["doc_id"]: Hit(
            chunk_id=row["chunk_id"],
            doc_id=row["doc_id"],
            title=row.get("title") or "",
            text=row["text"],
            score=1.0,
            source=row.get("source") or "",
            customer_id=row.get("customer_id") or "",
        )
        for row in first.to_dict("records")
    }


def redact_composed(records: list[SftRecord], redactor: Any) -> tuple[list[SftRecord], int]:
    """The composed records with what the redactor finds in them now redacted -> (records, count).

    Every part was redacted on its own; a name is found by its context, so a part's neighbours
    in the prompt (a block's title after its id) can make one: it is redacted here. Any other
    entity left is a redaction that failed, and stops the step.
    """
    redacted, late = [], 0
    for record in records:
        messages = []
        for message in record.messages:
            found = redactor.find(message["content"])
            kinds = sorted({f.entity_type for f in found if f.entity_type != "PERSON"})
            if kinds:
                raise DataQualityError(
                    f"sft record '{record.id}' still contains PII ({', '.join(kinds)}) after "
                    "redaction; fix the example in sft/ or extend curate.redact_entities"
                )
            if found:
                late += len(found)
                message = {**message, "content": redactor.redact(message["content"]).text}
            messages.append(message)
        redacted.append(replace(record, messages=tuple(messages)))
    return redacted, late


def assert_no_leak(records: list[SftRecord], params: Params) -> None:
    """The independent check (leak_scan.py): what the redactor let through stops the step."""
    texts = ((r.id, m["content"]) for r in records for m in r.messages)
    leaks = scan(texts, params.curate.redact_allow, params.curate.id_patterns)
    if leaks:
        shown = "; ".join(
            f"{leak.record_id}: {leak.kind} in {leak.excerpt!r}" for leak in leaks[:5]
        )
        raise DataQualityError(
            f"{len(leaks)} training records still hold what looks like PII after redaction "
            f"({shown}); fix the examples or documents, or add the value to curate.redact_allow "
            "if it is not personal"
        )


def write_jsonl(path: Path, records: list[SftRecord]) -> None:
    write_jsonl_atomic(path, ({**r.__dict__, "messages": list(r.messages)} for r in records))


@dataclass(frozen=True)
class BuildSftReport:
    examples: int
    train: int
    val: int
    oracle: int
    abstain: int
    mean_context_docs: float
    excluded_customer_examples: int
    context_blocks: int  # recorded provider blocks shown in the prompts
    undeclared_providers: list[str]  # recorded, but not in context.providers: not shown
    names_in_composed: int  # names found only once the prompt was put together (redacted)
    seconds: float


def run(params: Params) -> BuildSftReport:
    from tasks.data.ner import VOCABULARY_COLUMNS, capitalized_words, published_vocabulary
    from tasks.data.pii import Redactor
    from tasks.index.retrieve import Retriever

    started = time.perf_counter()
    curated = params.paths.curated_dir
    if not (curated / "sft.parquet").is_file():
        raise UserError(f"'{curated / 'sft.parquet'}' not found; run `tandem curate` first")
    examples = read_sft(curated / "sft.parquet")
    chunks = pd.read_parquet(curated / "chunks.parquet")
    examples, excluded = customer_scoped(examples, chunks, params)
    gold_chunks = best_gold_chunks(chunks, {d for e in examples for d in e.gold_doc_ids})
    with Retriever(params) as retriever:
        hits = retriever.search_many(
            [e.prompt for e in examples], [e.customer_id for e in examples], k=params.sft.search_k
        )
    documents = pd.read_parquet(curated / "documents.parquet", columns=list(VOCABULARY_COLUMNS))
    # the prompt's and the abstention's own words are the operator's, not a customer's
    prompt_texts = [v for v in params.prompt.model_dump().values() if isinstance(v, str)]
    own_words = capitalized_words(*prompt_texts, params.sft.abstain_response)
    vocabulary = published_vocabulary(documents.to_dict("records")) | own_words
    redactor = Redactor(params.curate, vocabulary)
    cache: dict[str, Hit] = {}
    gold_chunks = {d: redact_hits([h], redactor, cache)[0] for d, h in gold_chunks.items()}
    if params.sft.customer_context == "exclude":
        hits = [[h for h in per_example if not h.customer_id] for per_example in hits]
    hits = [redact_hits(h, redactor, cache) for h in hits]
    blocks, undeclared_providers = recorded_blocks(examples, params, redactor)
    records = [
        make_record(e, h, gold_chunks, params, b)
        for e, h, b in zip(examples, hits, blocks, strict=True)
    ]
    records, names_in_composed = redact_composed(records, redactor)
    assert_no_leak(records, params)

    train, val = split(records, params.sft)
    write_jsonl(params.paths.sft_dir / "train.jsonl", train)
    write_jsonl(params.paths.sft_dir / "val.jsonl", val)
    report = BuildSftReport(
        examples=len(examples),
        train=len(train),
        val=len(val),
        oracle=sum(r.oracle for r in records),
        abstain=sum(not r.oracle for r in records),
        mean_context_docs=round(
            sum(len(r.context_doc_ids) for r in records) / max(1, len(records)), 2
        ),
        excluded_customer_examples=excluded,
        context_blocks=sum(len(b) for b in blocks),
        undeclared_providers=undeclared_providers,
        names_in_composed=names_in_composed,
        seconds=round(time.perf_counter() - started, 2),
    )
    write_report(params.paths.reports_dir, "build_sft", report)
    return report
