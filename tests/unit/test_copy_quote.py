"""A constrained quote is a span of the context, whatever the model's scores prefer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tasks.copilot.copy_quote import QuoteCopier, constrain, copiers, vocabulary
from tasks.params_loader import load_params

REPO = Path(__file__).resolve().parents[2]
SOURCE = (
    "Context documents:\n[KB-7] Refunds\nA refund of $14.20 is paid within 30 days. Plans "
    "renew monthly.\nCall us first.\n\nQuestion: How long does a refund take?"
)


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def copier_for(tokenizer: Any, **generate: Any) -> QuoteCopier:
    p = load_params(REPO / "params.yaml").generate.model_copy(
        update={"quote_open": ']: "', "quote_close": '"', **generate}
    )
    conversation = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": SOURCE}]
    found = copiers(tokenizer, [conversation], p)
    assert found is not None
    return found[0]


def feed(copier: QuoteCopier, tokenizer: Any, text: str) -> None:
    for token in tokenizer(text, add_special_tokens=False)["input_ids"]:
        copier.advance(token)


def test_off_unless_a_quote_opens(tokenizer: Any) -> None:
    p = load_params(REPO / "params.yaml").generate
    assert p.quote_open is None
    assert copiers(tokenizer, [[{"role": "user", "content": SOURCE}]], p) is None
    copier = copier_for(tokenizer)
    feed(copier, tokenizer, "Summary: see [KB-7]")
    assert copier.allowed() is None  # no quote opened yet: free decoding


@pytest.mark.parametrize("seed", range(8))
def test_any_scores_give_a_quote_copied_from_the_context(tokenizer: Any, seed: int) -> None:
    copier = copier_for(tokenizer)
    feed(copier, tokenizer, 'Quote [KB-7]: "')
    generator = torch.Generator().manual_seed(seed)
    vocab = vocabulary(tokenizer, '"')
    for _ in range(40):
        scores = torch.randn(1, len(tokenizer), generator=generator)
        scores[0, tokenizer.convert_tokens_to_ids("A")] += 4.0  # not the only choice
        token = int(constrain(scores, [copier], torch.zeros(1, dtype=torch.bool)).argmax())
        copier.advance(token)
        if copier.closed:
            break
    assert copier.quoted, "the quote took at least one token"
    assert copier.quoted in SOURCE
    assert "\n" not in copier.quoted
    if copier.closed:
        assert copier.text.startswith('Quote [KB-7]: "' + copier.quoted)
        assert vocab.texts[token].startswith('"')
        assert copier.allowed() is None  # free again after the quote


def test_a_quote_may_start_inside_a_word_tokenization(tokenizer: Any) -> None:
    copier = copier_for(tokenizer)
    feed(copier, tokenizer, 'Quote [KB-7]: "')
    allowed = copier.allowed()
    assert allowed is not None
    first = tokenizer("A refund", add_special_tokens=False)["input_ids"][0]
    assert first in allowed  # "A" without its leading space, as the quote writes it
    assert tokenizer(" Zebra", add_special_tokens=False)["input_ids"][0] not in allowed
    feed(copier, tokenizer, "A refund of $14.20")
    assert copier.quoted == "A refund of $14.20"


def test_a_garbled_fact_cannot_be_quoted(tokenizer: Any) -> None:
    copier = copier_for(tokenizer)
    feed(copier, tokenizer, 'Quote [KB-7]: "A refund of $1')
    vocab = vocabulary(tokenizer, '"')
    words = (copier.allowed() or set()) - set(vocab.closers)
    rest = "4.20 is paid within 30 days. Plans renew monthly."
    assert words and all(rest.startswith(vocab.texts[t]) for t in words)
    assert tokenizer.convert_tokens_to_ids("5") not in words


def test_when_every_allowed_token_is_banned_the_quote_closes(tokenizer: Any) -> None:
    copier = copier_for(tokenizer)
    feed(copier, tokenizer, 'Quote [KB-7]: "Plans')
    scores = torch.full((1, len(tokenizer)), float("-inf"))
    token = int(constrain(scores, [copier], torch.zeros(1, dtype=torch.bool)).argmax())
    copier.advance(token)
    assert copier.closed and copier.quoted == "Plans"


def test_a_quote_close_no_token_starts_with_is_refused(tokenizer: Any) -> None:
    from tasks.errors import UserError

    with pytest.raises(UserError, match=r"generate\.quote_close"):
        copier_for(tokenizer, quote_close="\u2e3b\u2e3b")


def test_a_quote_starts_and_closes_only_at_sentence_bounds(tokenizer: Any) -> None:
    copier = copier_for(tokenizer)
    vocab = vocabulary(tokenizer, '"')
    feed(copier, tokenizer, 'Quote [KB-7]: "')
    opening = copier.allowed() or set()
    assert tokenizer.convert_tokens_to_ids("Pl") in opening or any(
        vocab.texts[t].startswith("Pl") for t in opening
    )  # "Plans renew monthly." starts a sentence
    assert not any(vocab.texts[t].startswith("ref") for t in opening)  # mid-sentence word
    feed(copier, tokenizer, "A refund of $14.20 is paid")
    assert set(vocab.closers).isdisjoint(copier.allowed() or set())  # half a sentence
    feed(copier, tokenizer, " within 30 days.")
    assert set(vocab.closers) <= (copier.allowed() or set())
