"""Recorded snapshots of the providers' blocks on sft and eval rows (`context`: provider name ->
the block's text as the provider returned it then): build-sft and evaluate show them where the
live copilot shows what its providers return now, so the model is trained and measured on the
prompt it answers with (docs/data.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tasks.context.blocks import ContextBlock, block_id
from tasks.context_sections import NAME, ContextParams
from tasks.schema import Hit, is_missing

SNAPSHOT_FIELD = "context"


def snapshot_problem(value: Any) -> str | None:
    """Why a row's `context` is not a snapshot (None: it is one, or there is none): a JSON
    object of provider name -> the recorded block text. A missing cell (None, or pandas' NaN
    where other rows of the file have one) is none."""
    if is_missing(value):
        return None
    try:
        snapshot = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return "is not a JSON object"
    if not isinstance(snapshot, dict):
        return "is not a JSON object"
    for name, text in snapshot.items():
        if not NAME.match(name):
            return f"names {name!r}, which is not a provider name (letters, digits, _ . -)"
        if not isinstance(text, str):
            return f"gives {name!r} a {type(text).__name__}, not the block's text"
    return None


def parse_snapshot(value: str) -> dict[str, str]:
    """A curated row's `context` cell (validated JSON, or "" for none)."""
    return dict(json.loads(value)) if value else {}


def snapshot_ids(value: Any, customer_id: str) -> set[str]:
    """The block ids a row's snapshot can be cited by, whether or not its provider is shared:
    what its gold ids may name besides documents."""
    if is_missing(value) or snapshot_problem(value) is not None:
        return set()
    names = set(json.loads(value) if isinstance(value, str) else value)
    return names | ({f"{n}/{customer_id}" for n in names} if customer_id else set())


def snapshot_blocks(
    snapshot: Mapping[str, str], customer_id: str, section: ContextParams
) -> list[Hit]:
    """The blocks the live copilot would show, in `context.providers` order, from what was
    recorded: a per-customer provider only for a row with a customer (its hit carries that
    customer; a shared one none), a provider not declared (or not recorded) not at all."""
    shown = []
    for p in section.providers:
        if p.name not in snapshot or (not p.shared and not customer_id):
            continue
        bid = block_id(p.name, customer_id, p.shared)
        block = ContextBlock(bid, p.title, snapshot[p.name], p.name)
        shown.append(block.as_hit("" if p.shared else customer_id))
    return shown


def recorded_first(
    value: str, customer_id: str, hits: Sequence[Hit], section: ContextParams
) -> list[Hit]:
    """An eval row's context as the copilot shows it: the recorded blocks, then the hits."""
    return [*snapshot_blocks(parse_snapshot(value), customer_id, section), *hits]


def undeclared(snapshot: Mapping[str, str], section: ContextParams) -> set[str]:
    """Recorded providers the copilot does not ask: not shown, and reported as such."""
    return set(snapshot) - {p.name for p in section.providers}
