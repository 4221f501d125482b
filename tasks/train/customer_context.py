"""What of a customer's text may enter training (the one adapter answers every customer), and
in what form: their documents and recorded provider blocks, PII-redacted, or not at all
(`sft.customer_context`, a provider's `train`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from tasks.context.snapshots import parse_snapshot, snapshot_blocks, snapshot_ids, undeclared
from tasks.context_sections import ContextParams
from tasks.params import Params
from tasks.schema import Hit, SftExample

log = logging.getLogger(__name__)


def redact_hits(hits: Sequence[Hit], redactor: Any, cache: dict[str, Hit]) -> list[Hit]:
    """Retrieved context can hold a customer's ticket: redact each chunk whole, before the prompt
    cuts it to `prompt.context_chars` (a cut can split a phone number past recognition)."""
    redacted = []
    for hit in hits:
        if hit.chunk_id not in cache:
            cache[hit.chunk_id] = replace(hit, text=redactor.redact(hit.text).text)
        redacted.append(cache[hit.chunk_id])
    return redacted


def trainable(section: ContextParams) -> set[str]:
    """Providers whose blocks may train the adapter under `exclude`: shared ones, and those a
    customer's block of which is declared fit for it (`train: true`)."""
    return {p.name for p in section.providers if p.shared or p.train}


def customer_scoped(
    examples: list[SftExample], chunks: pd.DataFrame, params: Params
) -> tuple[list[SftExample], int]:
    """What customer-scoped text may enter training (the one adapter answers every customer):
    with `exclude`, no example whose gold is a customer's document or a block of a provider
    not declared `train: true`, and none of those as context; with `redact`, all of it,
    PII-redacted (what is not PII, a door code, stays)."""
    if params.sft.customer_context != "exclude":
        return examples, 0
    owned = set(chunks.loc[chunks["customer_id"].fillna("") != "", "doc_id"])
    allowed = trainable(params.context)

    def customers_own(e: SftExample) -> set[str]:
        blocks = snapshot_ids(e.context, e.customer_id)
        return owned | {b for b in blocks if "/" in b and b.split("/", 1)[0] not in allowed}

    kept = [e for e in examples if not set(e.gold_doc_ids) & customers_own(e)]
    return kept, len(examples) - len(kept)


def recorded_blocks(
    examples: list[SftExample], params: Params, redactor: Any
) -> tuple[list[list[Hit]], list[str]]:
    """Each example's recorded provider blocks as the copilot would show them, PII-redacted
    (with `exclude`, only those of `trainable` providers); -> (blocks per example, providers
    recorded but not in `context.providers`, which are not shown)."""
    per_example, ignored = [], set()
    allowed = trainable(params.context)
    for e in examples:
        snapshot = parse_snapshot(e.context)
        ignored |= undeclared(snapshot, params.context)
        blocks = snapshot_blocks(snapshot, e.customer_id, params.context)
        if params.sft.customer_context == "exclude":
            blocks = [b for b in blocks if b.source in allowed]
        per_example.append(redact_hits(blocks, redactor, {}))  # a block id recurs: no cache
    if ignored:
        log.warning(
            "sft examples carry snapshots of providers not in context.providers (%s): not shown; "
            "declare them to train with them",
            ", ".join(sorted(ignored)),
        )
    return per_example, sorted(ignored)
