"""Quotes copied, not recalled: once an answer opens a quote (`generate.quote_open`, e.g. the
`]: "` of a quote-then-answer target), each next token must continue a span of what the model
was shown, until it closes the quote (a token starting with `generate.quote_close`).

A 135M model that was trained to quote its evidence still garbles the copy (a digit, a plan
name, a loop on the quote line); the facts it chose are then lost. Constraining the quote to
the context keeps them, the way a copy mechanism would, without changing the weights. The
span is matched on characters, not token ids, so a quote may start inside a word's
tokenization (`The` at the quote's start, ` The` in the document). A quote stays on one line,
starts where a sentence starts and closes only where one ends: a model that would paraphrase
has to finish the sentence it began copying instead of cutting it short.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tasks.copilot.prompting import SENTENCE
from tasks.errors import UserError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from tasks.sections import GenerateParams

LONGEST_PIECE = 24  # characters of one token looked up at each copy position


@dataclass(frozen=True)
class Vocabulary:
    """Each token's text, and the token of each text (the first id when several decode alike)."""

    texts: tuple[str, ...]
    by_text: dict[str, int]
    closers: tuple[int, ...]  # tokens that end a quote


@functools.cache
def vocabulary(tokenizer: PreTrainedTokenizerBase, close: str) -> Vocabulary:
    ids = [[i] for i in range(len(tokenizer))]
    texts = tuple(tokenizer.batch_decode(ids, clean_up_tokenization_spaces=False))
    by_text: dict[str, int] = {}
    for token, text in enumerate(texts):
        if text and "\ufffd" not in text:  # a lone byte of a longer character copies nothing
            by_text.setdefault(text, token)
    closers = tuple(t for t, text in enumerate(texts) if text.startswith(close))
    if not closers:
        raise UserError(
            f"generate.quote_close {close!r} begins no token of the tokenizer; "
            "set it to the mark that closes a quote in sft.target_template"
        )
    return Vocabulary(texts, by_text, closers)


@dataclass
class QuoteCopier:
    """One answer's state: outside a quote it allows anything; inside, the tokens that continue
    the quote as a span of `source` (whole sentences, as the training targets quote), or end it
    at a sentence's end."""

    source: str
    vocab: Vocabulary
    opener: str
    text: str = ""
    ends: list[int] | None = None  # inside a quote: where in `source` the quote so far ends
    quoted: str = ""
    closed: bool = False
    starts: list[int] = field(default_factory=list)
    sentence_ends: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        bounds = [(m.start(), m.end()) for m in SENTENCE.finditer(self.source)]
        starts = [0, *(end for _, end in bounds)]
        self.starts = [p for p in starts if p < len(self.source)]
        self.sentence_ends = {start for start, _ in bounds} | {len(self.source.rstrip())}

    def allowed(self) -> set[int] | None:
        """The tokens that may come next; None when unconstrained."""
        if self.ends is None:
            return None
        at_end = bool(self.quoted) and not self.sentence_ends.isdisjoint(self.ends)
        tokens = set(self.vocab.closers) if at_end else set()
        for end in self.ends:
            for length in range(1, LONGEST_PIECE + 1):
                piece = self.source[end : end + length]
                if len(piece) < length or "\n" in piece:
                    break
                token = self.vocab.by_text.get(piece)
                if token is not None:
                    tokens.add(token)
        return tokens or set(self.vocab.closers)

    def advance(self, token: int) -> None:
        piece = self.vocab.texts[token]
        self.text += piece
        if self.ends is not None:
            if self.quoted and token in self.vocab.closers:
                self.ends, self.closed = None, True
            else:
                self.quoted += piece
                self.ends = [e + len(piece) for e in self.ends if self.source.startswith(piece, e)]
        elif not self.closed and self.text.endswith(self.opener):
            self.ends = list(self.starts)


def copiers(
    tokenizer: PreTrainedTokenizerBase,
    conversations: Sequence[list[dict[str, str]]],
    p: GenerateParams,
    sources: Sequence[str] | None = None,
) -> list[QuoteCopier] | None:
    """One copier per conversation, quoting from its `sources` entry (the context documents as
    shown), else from its last user message; None when quotes are not constrained."""
    if not p.quote_open:
        return None
    vocab = vocabulary(tokenizer, p.quote_close)
    if sources is None:
        sources = [
            next(m["content"] for m in reversed(c) if m["role"] == "user") for c in conversations
        ]
    return [QuoteCopier(source, vocab, p.quote_open) for source in sources]


def constrain(scores: Any, rows: Sequence[QuoteCopier], finished: Any) -> Any:
    """Scores with every token a quote may not take at -inf (in place). When the n-gram ban
    left none of the allowed ones, the quote closes."""
    for row, copier in enumerate(rows):
        allowed = None if bool(finished[row]) else copier.allowed()
        if allowed is None:
            continue
        keep = sorted(allowed)
        kept = scores[row, keep].clone()
        scores[row] = float("-inf")
        if bool((kept == float("-inf")).all()):
            scores[row, copier.vocab.closers[0]] = 0.0
        else:
            scores[row, keep] = kept
    return scores
