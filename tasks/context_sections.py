"""The typed config of live context providers (`context.*`): systems of record the copilot asks
at answer time, each rendered as one cited block of the prompt (tasks/context/).

A provider's own budget fields are optional: unset, it takes the section's (declared once, in
params.yaml). `shared` and `train` are the defaults here, and they fail closed: a provider whose
query or URL does not take the asking customer's id must say that its data is for every customer,
and a customer's block enters training only if its provider says it may.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from tasks.sections import Section

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # a citable id: no brackets, no spaces


class ProviderBase(Section):
    name: str  # the block's id: `<name>/<customer_id>`, or `<name>` for a shared provider
    title: str  # the block's title in the prompt
    shared: bool = False  # true: the same data for every customer (no :customer_id needed)
    # true: its recorded blocks may train the one adapter although they are a customer's (with
    # sft.customer_context: exclude); for account facts (plan, seats), never for ticket text
    train: bool = False
    timeout_s: float | None = Field(default=None, gt=0)  # None: context.timeout_s

    @model_validator(mode="after")
    def _name(self) -> ProviderBase:
        if not NAME.match(self.name):
            raise ValueError(
                f"provider name {self.name!r}: letters, digits, '_', '.', '-' only (it is cited)"
            )
        return self


class SqlProviderParams(ProviderBase):
    kind: Literal["sql"]
    url: str  # a SQLAlchemy URL; sqlite:///relative.db is read from the working directory
    query: str  # parameterized: `:customer_id` (and `:at`, ISO time) are bound, never formatted
    columns: tuple[str, ...] | None = None  # shown, in this order; None: every column returned
    max_rows: int | None = Field(default=None, gt=0)  # None: context.max_rows

    @model_validator(mode="after")
    def _bound(self) -> SqlProviderParams:
        if not self.shared and not re.search(r":customer_id\b", self.query):
            raise ValueError(
                f"provider {self.name!r}: its query must filter by :customer_id, or declare "
                "`shared: true` if its rows are for every customer"
            )
        return self


class HttpProviderParams(ProviderBase):
    kind: Literal["http"]
    url: str  # a template: {customer_id} (URL-quoted) and {at} are filled
    headers: dict[str, str] = Field(default_factory=dict)  # header -> the env var holding it
    template: str | None = None  # str.format over the JSON reply; None: one `key: value` a line
    retries: int | None = Field(default=None, ge=0)  # None: context.retries
    cache_s: float | None = Field(default=None, ge=0)  # None: context.cache_s

    @model_validator(mode="after")
    def _bound(self) -> HttpProviderParams:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"provider {self.name!r}: url {self.url!r} is not http(s)")
        if not self.shared and "{customer_id}" not in self.url:
            raise ValueError(
                f"provider {self.name!r}: its url must take {{customer_id}}, or declare "
                "`shared: true` if its reply is for every customer"
            )
        return self


ProviderParams = Annotated[SqlProviderParams | HttpProviderParams, Field(discriminator="kind")]


class ContextParams(Section):
    providers: tuple[ProviderParams, ...]
    timeout_s: float = Field(gt=0)
    retries: int = Field(ge=0)
    cache_s: float = Field(ge=0)
    max_rows: int = Field(gt=0)
    unavailable_text: str  # the block of a provider that failed; slot: {reason}
    no_rows_text: str  # the block of a query that found nothing

    @model_validator(mode="after")
    def _unique(self) -> ContextParams:
        names = [p.name for p in self.providers]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"context.providers: names must be unique, repeated: {dupes}")
        return self
