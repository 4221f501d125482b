"""A provider's block: what it read, as the prompt shows it and as the answer cites it."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tasks.schema import Hit

CELL_CHARS = 300  # a long cell (a ticket body) is clipped: the block frames, the index explains


class ProviderError(Exception):
    """A provider could not read its data (a dead database, a 5xx, a missing env var): the
    answer still comes, with the block marked unavailable and this message as the reason."""


@dataclass(frozen=True)
class ContextBlock:
    id: str  # what the answer cites: `<provider>/<customer_id>`, or `<provider>` when shared
    title: str
    text: str
    provider: str
    unavailable: str = ""  # why it could not be read; "" when it was

    def as_hit(self, customer_id: str) -> Hit:
        """The block in the shape retrieved chunks have, so one prompt template and one
        citation parser serve both."""
        return Hit(self.id, self.id, self.title, self.text, 0.0, self.provider, customer_id)


def block_id(provider: str, customer_id: str, shared: bool) -> str:
    return provider if shared else f"{provider}/{customer_id}"


def cell(value: Any) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    return text if len(text) <= CELL_CHARS else text[:CELL_CHARS].rstrip() + " ..."


def rows_text(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None, no_rows: str
) -> str:
    """One line a row, `column: value; ...`, in the declared column order."""
    if not rows:
        return no_rows
    names = list(columns) if columns else list(rows[0].keys())
    return "\n".join("; ".join(f"{name}: {cell(row.get(name))}" for name in names) for row in rows)


def flat_lines(reply: Any, prefix: str = "") -> list[str]:
    """A JSON reply as `path: value` lines (`tiers.tier2.on_shift: 3`)."""
    if isinstance(reply, Mapping):
        return [line for k, v in reply.items() for line in flat_lines(v, f"{prefix}{k}.")]
    if isinstance(reply, list):
        return [line for i, v in enumerate(reply) for line in flat_lines(v, f"{prefix}{i}.")]
    return [f"{prefix.rstrip('.')}: {cell(reply)}" if prefix else cell(reply)]


def json_text(reply: Any, template: str | None) -> str:
    """The reply through the provider's `template` (str.format: `{tiers[tier2][on_shift]}`),
    or every value on its own line."""
    if template is None:
        return "\n".join(flat_lines(reply))
    fields = reply if isinstance(reply, Mapping) else {"reply": reply}
    try:
        return string.Formatter().vformat(template, (), dict(fields))
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise ProviderError(f"its template does not fit the reply ({error!r})") from None
