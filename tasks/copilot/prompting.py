"""The one prompt format: used to build sft records, to evaluate, to answer, and inside the
registered model.

Training on exactly the prompts the copilot sees at inference (retrieved context included) is
what lets fine-tuning and retrieval work together (RAFT, Zhang et al. 2024).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tasks.schema import Hit

CITATION = re.compile(r"\[([A-Z]{2,5}-\d{1,6})\]")
NO_CONTEXT = "(no documents retrieved)"


def format_context(hits: Sequence[Hit], context_chars: int) -> str:
    if not hits:
        return NO_CONTEXT
    blocks = []
    for hit in hits:
        text = (
            hit.text
            if len(hit.text) <= context_chars
            else hit.text[:context_chars].rstrip() + " ..."
        )
        blocks.append(f"[{hit.doc_id}] {hit.title}\n{text}")
    return "\n\n".join(blocks)


def build_messages(
    system: str,
    question: str,
    hits: Sequence[Hit],
    context_chars: int,
    customer_id: str = "",
) -> list[dict[str, str]]:
    asker = f"Customer: {customer_id}\n" if customer_id else ""
    user = (
        f"Context documents:\n{format_context(hits, context_chars)}\n\n"
        f"{asker}Question: {question.strip()}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def cited_ids(answer: str) -> list[str]:
    """Document ids cited as `[KB-012]`, in order of first appearance."""
    return list(dict.fromkeys(CITATION.findall(answer)))
