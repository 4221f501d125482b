"""The one prompt format: used to build sft records, to evaluate, to answer, and inside the
registered model. Every word of it is a param (`prompt.*`), so any corpus and language fit.

Training on exactly the prompts the copilot sees at inference (retrieved context included) is
what lets fine-tuning and retrieval work together (RAFT, Zhang et al. 2024).

A citation is a shown document's id in square brackets, exactly as the prompt shows it: `[id]`.
Any id the input contract accepts round-trips (validate quarantines those with brackets or line
breaks), so citations are found by the ids that were shown, never by a shape of id.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence

from tasks.schema import Hit
from tasks.sections import PromptParams

ESCAPE = "» "  # marks a document line that would read as the prompt's structure
# What an answer writes as a citation: a bracketed span on one line, no nested brackets.
BRACKETED = re.compile(r"\[([^\[\]\n]{1,256})\]")
# Where a sentence ends: after . ! ? and whitespace, or at a line break (a title, a list item).
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars].rstrip() + " ..."


def structure_starts(p: PromptParams) -> tuple[str, ...]:
    """How the prompt's own lines begin (a document's `[id]`, `Question:`, `Customer:`, ...):
    read off the templates, so it holds for any wording."""
    starts: set[str] = set()
    for template in (p.user_template, p.customer_template, p.document_template):
        for literal, *_ in string.Formatter().parse(template):
            starts.update(part.strip() for part in literal.split("\n") if part.strip())
    return tuple(sorted(starts))


def defused(text: str, starts: tuple[str, ...]) -> str:
    """A document's text cannot forge the prompt's structure (a fake `[TCK-B1]` block, a
    `Customer: ... Question: ...` line): such lines are marked as the document's own, in
    training as at inference."""
    lines = text.split("\n")
    return "\n".join(
        f"{ESCAPE}{line}" if line.lstrip().startswith(starts) else line for line in lines
    )


def format_context(hits: Sequence[Hit], p: PromptParams) -> str:
    if not hits:
        return p.no_context
    starts = structure_starts(p)
    blocks = [
        p.document_template.format(
            id=h.doc_id, title=h.title, text=defused(clip(h.text, p.context_chars), starts)
        )
        for h in hits
    ]
    return p.document_separator.join(blocks)


def build_messages(
    p: PromptParams, question: str, hits: Sequence[Hit], customer_id: str = ""
) -> list[dict[str, str]]:
    customer = p.customer_template.format(customer_id=customer_id) if customer_id else ""
    user = p.user_template.format(
        context=format_context(hits, p), customer=customer, question=question.strip()
    )
    return [{"role": "system", "content": p.system}, {"role": "user", "content": user}]


def bracketed(answer: str) -> list[str]:
    """Every `[...]` span an answer writes, in order of first appearance: what it cites."""
    return list(dict.fromkeys(BRACKETED.findall(answer)))


def cited_ids(answer: str, shown: Iterable[str]) -> list[str]:
    """The shown document ids the answer cites as `[id]`, exactly (case and spaces count), in
    order of first appearance; a bracketed span naming no shown document is not a source."""
    allowed = set(shown)
    return [span for span in bracketed(answer) if span in allowed]


def citation_line(template: str, doc_ids: Sequence[str]) -> str:
    """`sft.cite_as` filled with the ids in bracket form: "Sources: [a] [b]"."""
    return template.format(ids=" ".join(f"[{d}]" for d in doc_ids))
