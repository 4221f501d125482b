"""Batched greedy generation, shared by evaluate, ask and the registered model.

The same greedy decoding as transformers' `generate`, token for token (bench/bench_generate.py
checks), with less work per token: the key/value cache is written in place into buffers
reserved for the answer, instead of a `torch.cat` of the whole cache per layer and token (35%
of a decoding step here). Dropping finished rows from the batch was measured too: no faster
on CPU (each step is dominated by per-op cost, not rows) and it changes bf16 rounding, so
answers differ. Optionally, an n-gram may not repeat within the answer
(`generate.no_repeat_ngram_size`): the 135M model otherwise loops on a step; the context is
not counted, so copying a fact from a document stays free. A quote the answer opens can be held
to a span of the context (`generate.quote_open`, tasks/copilot/copy_quote.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from tasks.copilot.copy_quote import QuoteCopier, constrain, copiers

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

    from tasks.sections import GenerateParams

log = logging.getLogger(__name__)


def render_prompts(
    tokenizer: PreTrainedTokenizerBase, conversations: Sequence[list[dict[str, str]]]
) -> list[str]:
    return [
        str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
        for messages in conversations
    ]


@functools.cache
def reserved_cache_class() -> type:
    """A DynamicCache whose layers write into buffers with room for the answer (imported late:
    transformers takes seconds to import)."""
    from transformers.cache_utils import Cache, DynamicCache, DynamicLayer

    class ReservedLayer(DynamicLayer):
        def __init__(self, reserve: int) -> None:
            super().__init__()
            self.reserve, self.filled = reserve, 0
            self.key_buffer: Any = None
            self.value_buffer: Any = None

        def update(self, key_states: Any, value_states: Any, cache_kwargs: Any = None) -> Any:
            if not self.is_initialized:
                self.lazy_initialization(key_states)
            new = key_states.shape[-2]
            if self.key_buffer is None or self.filled + new > self.key_buffer.shape[-2]:
                size = self.filled + new + self.reserve
                shape = (*key_states.shape[:-2], size, key_states.shape[-1])
                keys, values = key_states.new_empty(shape), value_states.new_empty(shape)
                if self.filled:
                    keys[..., : self.filled, :] = self.keys
                    values[..., : self.filled, :] = self.values
                self.key_buffer, self.value_buffer = keys, values
            end = self.filled + new
            self.key_buffer[..., self.filled : end, :] = key_states
            self.value_buffer[..., self.filled : end, :] = value_states
            self.filled = end
            self.keys = self.key_buffer[..., :end, :]
            self.values = self.value_buffer[..., :end, :]
            return self.keys, self.values

    class ReservedCache(DynamicCache):
        def __init__(self, reserve: int) -> None:
            layers: Any = functools.partial(ReservedLayer, reserve)  # called with no argument
            Cache.__init__(self, layer_class_to_replicate=layers)

    return ReservedCache


def stop_ids(model: Any, tokenizer: PreTrainedTokenizerBase) -> set[int]:
    eos = model.generation_config.eos_token_id
    ids = set(eos if isinstance(eos, list) else [eos]) if eos is not None else set()
    return ids | ({tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set())


def padded(answers: list[list[int]], pad: int) -> list[list[int]]:
    """Rows of equal length: a finished answer is followed by padding, as generate does."""
    width = max(len(a) for a in answers)
    return [a + [pad] * (width - len(a)) for a in answers]


def greedy_batch(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    stop: set[int],
    pad: int,
    max_new_tokens: int,
    no_repeat_ngram_size: int,
    quotes: list[QuoteCopier] | None = None,
) -> list[list[int]]:
    """Greedy decoding of one left-padded batch; each row's new tokens (its stop token last)."""
    import torch
    from transformers import NoRepeatNGramLogitsProcessor

    ban = NoRepeatNGramLogitsProcessor(no_repeat_ngram_size) if no_repeat_ngram_size else None
    cache = reserved_cache_class()(max_new_tokens)
    width = input_ids.shape[1]
    positions = attention_mask.long().cumsum(-1) - 1
    positions.masked_fill_(attention_mask == 0, 1)
    output = model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        position_ids=positions,
        past_key_values=cache,
        use_cache=True,
        cache_position=torch.arange(width, device=input_ids.device),
        logits_to_keep=1,
    )
    rows = range(input_ids.shape[0])
    answers: list[list[int]] = [[] for _ in rows]
    finished = torch.zeros(len(rows), dtype=torch.bool)
    position = positions[:, -1:]
    for step in range(max_new_tokens):
        scores = output.logits[:, -1, :].to(dtype=torch.float32)
        if ban is not None and step >= no_repeat_ngram_size:
            so_far = torch.tensor(padded(answers, pad), device=scores.device)
            scores = ban(so_far, scores)
        if quotes is not None:
            scores = constrain(scores, quotes, finished)
        chosen = scores.argmax(dim=-1)
        for row, token in zip(rows, chosen.tolist(), strict=True):
            if not finished[row]:
                answers[row].append(token)
                if quotes is not None:
                    quotes[row].advance(token)
        finished |= torch.tensor([token in stop for token in chosen.tolist()])
        if bool(finished.all()) or step == max_new_tokens - 1:
            break
        chosen = chosen.masked_fill(finished.to(chosen.device), pad)  # as generate pads them
        attention_mask = torch.cat([attention_mask, attention_mask.new_ones(len(rows), 1)], -1)
        position = position + 1
        output = model(
            input_ids=chosen[:, None],
            attention_mask=attention_mask,
            position_ids=position,
            past_key_values=cache,
            use_cache=True,
            cache_position=torch.tensor([width + step], device=chosen.device),
        )
    return answers


def generate(
    model: Any,  # a PreTrainedModel or a PeftModel wrapping one
    tokenizer: PreTrainedTokenizerBase,
    conversations: Sequence[list[dict[str, str]]],
    p: GenerateParams,
    progress: str | None = None,
    quote_sources: Sequence[str] | None = None,
) -> list[str]:
    """Answers in input order. Prompts are sorted by length so each batch pads little.
    `quote_sources`: what each answer's quote may copy (the context as shown; default: its
    last user message)."""
    import torch

    prompts = render_prompts(tokenizer, conversations)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    answers: dict[int, str] = {}
    device = next(model.parameters()).device
    stop = stop_ids(model, tokenizer)
    batches = [order[i : i + p.batch_size] for i in range(0, len(order), p.batch_size)]
    for batch in tqdm(batches, desc=progress or "generating", disable=progress is None):
        encoded = tokenizer(
            [prompts[i] for i in batch],
            return_tensors="pt",
            padding=True,
            add_special_tokens=False,  # the chat template already has them
        ).to(device)
        with torch.inference_mode():
            tokens = greedy_batch(
                model,
                encoded["input_ids"],
                encoded["attention_mask"],
                stop,
                tokenizer.pad_token_id,
                p.max_new_tokens,
                p.no_repeat_ngram_size,
                copiers(
                    tokenizer,
                    [conversations[i] for i in batch],
                    p,
                    None if quote_sources is None else [quote_sources[i] for i in batch],
                ),
            )
        texts = tokenizer.batch_decode(tokens, skip_special_tokens=True)
        for i, text in zip(batch, texts, strict=True):
            answers[i] = text.strip()
    return [answers[i] for i in range(len(prompts))]
