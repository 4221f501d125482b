"""Reading the params a copilot was registered with by an older tandem.

A registered copilot must answer as it was evaluated, so a key added since it was registered is
filled with the value that means what tandem did before the key existed, not with today's
default from params.yaml (`generate.no_repeat_ngram_size` was added at 0 and is 6 today).
A key this table does not know is still an error: guessing it could change the answers.
Add a line here with every key added to params.yaml.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

log = logging.getLogger(__name__)

# key -> the value that keeps an older copilot's behaviour (commit that added the key)
ADDED_KEYS: dict[str, Any] = {
    "generate.no_repeat_ngram_size": 0,  # de88273: decoding had no n-gram rule
    "paths.cache": "cache",  # de88273: the base answers' cache (evaluate only)
    "finetune_embedder.enabled": False,  # 7edb258: the embedder was never tuned
    "finetune_embedder.hard_negatives": 1,
    "finetune_embedder.learning_rate": 2e-05,
    "finetune_embedder.num_train_epochs": 1.0,
    "finetune_embedder.per_device_train_batch_size": 32,
    "finetune_embedder.seed": 42,
    "finetune_embedder.warmup_ratio": 0.1,
    "sft.context_order": "shuffled",  # 7edb258: training shuffled the context
    "sft.quote_sentences": 2,
    "sft.target_template": "{response}",  # 7edb258: targets were the response as written
    "validate.customer_sources": ["ticket", "customer"],  # 9b8d388
    "curate.allow_no_redaction": False,  # 53a99a3
    "sft.customer_context": "exclude",
    "serve.feedback_min_upvotes": 2,  # b9f706c: serving keys of this machine's server
    "serve.feedback_needs_approval": True,
    "serve.hash_customer_ids": True,
    "serve.host": "127.0.0.1",
    "serve.port": 8501,
    "serve.tracing": True,
    "sft.feedback_repeat": 4,  # c149d90
    "embedding.batch_invariant": False,  # 571f03a: int8 encoded texts in batches
    "generate.quote_open": None,  # f0d109f: quotes decoded freely
    "generate.quote_close": '"',
    "context.providers": [],  # this commit: the prompt held what the index retrieved only
    "context.timeout_s": 2.0,  # the rest are unused without a provider
    "context.retries": 2,
    "context.cache_s": 30,
    "context.max_rows": 20,
    "context.unavailable_text": "(unavailable right now: {reason}.)",
    "context.no_rows_text": "(no record found)",
    "curate.ner_model": "",  # this commit: names were found by their context only
}


def has_key(tree: dict[str, Any], key: str) -> bool:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def migrate_registered(tree: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`tree` (registered params) with every key added since filled: -> (tree, keys filled).
    A section missing whole is created; the input is not changed."""
    migrated = copy.deepcopy(tree)
    filled = []
    for key, value in ADDED_KEYS.items():
        if has_key(migrated, key):
            continue
        *sections, name = key.split(".")
        node = migrated
        for part in sections:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):  # a malformed tree: validation will say where
                break
        else:
            node[name] = copy.deepcopy(value)
            filled.append(key)
    if filled:
        log.warning(
            "registered params predate %d keys; filled with the values that keep its behaviour: %s",
            len(filled),
            ", ".join(f"{key}={ADDED_KEYS[key]!r}" for key in filled),
        )
    return migrated, filled
