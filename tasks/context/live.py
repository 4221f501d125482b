"""Asking every provider at once for the asking customer, each within its own timeout: a slow or
dead system of record costs at most its timeout and leaves a visible "unavailable" block; it
never fails the answer."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Protocol

from tasks.context.blocks import ContextBlock, ProviderError, block_id
from tasks.context_sections import ContextParams, ProviderParams

log = logging.getLogger(__name__)

WORKERS_PER_PROVIDER = 4  # a call still running past its timeout does not hold up the next one


class Provider(Protocol):
    def read(self, customer_id: str, at: datetime) -> str: ...

    def close(self) -> None: ...


def open_provider(p: ProviderParams, section: ContextParams) -> Provider:
    if p.kind == "sql":
        from tasks.context.sql import SqlProvider

        return SqlProvider(p, section)
    from tasks.context.http import HttpProvider

    return HttpProvider(p, section)


class LiveContext:
    """The providers of `context.providers`, opened once per copilot."""

    def __init__(self, section: ContextParams) -> None:
        self.section = section
        self.declared = section.providers
        self.providers: list[Provider | ProviderError] = []
        for p in self.declared:
            try:
                self.providers.append(open_provider(p, section))
            except ProviderError as error:  # every answer will say so; nothing else fails
                log.warning("context provider %s cannot open: %s", p.name, error)
                self.providers.append(error)
        self.pool = (
            ThreadPoolExecutor(WORKERS_PER_PROVIDER * len(self.declared), "context")
            if self.declared
            else None
        )

    def gather(self, customer_id: str, at: datetime | None = None) -> list[ContextBlock]:
        """One block per provider that applies: a shared one always, a per-customer one only
        when a customer asks (it is given that customer's id and nothing else)."""
        if self.pool is None:
            return []
        moment = at or datetime.now(UTC).replace(microsecond=0)  # readable in a URL
        started = time.monotonic()
        asked: list[tuple[ProviderParams, Provider | ProviderError, Future[str] | None]] = []
        for p, provider in zip(self.declared, self.providers, strict=True):
            if not p.shared and not customer_id:
                continue
            future = (
                None
                if isinstance(provider, ProviderError)
                else self.pool.submit(provider.read, customer_id, moment)
            )
            asked.append((p, provider, future))
        blocks = []
        for p, provider, future in asked:
            bid = block_id(p.name, customer_id, p.shared)
            if future is None:  # it could not open
                blocks.append(self.unavailable(bid, p, str(provider)))
                continue
            timeout = p.timeout_s or self.section.timeout_s
            try:
                left = timeout - (time.monotonic() - started)
                blocks.append(ContextBlock(bid, p.title, future.result(max(0.0, left)), p.name))
            except FutureTimeout:
                future.cancel()
                blocks.append(self.unavailable(bid, p, f"no reply within {timeout:g} s"))
            except ProviderError as error:
                blocks.append(self.unavailable(bid, p, str(error)))
            except Exception as error:  # a provider's failure never fails the answer
                log.warning("context provider %s failed", p.name, exc_info=True)
                blocks.append(self.unavailable(bid, p, f"{type(error).__name__}: {error}"))
        return blocks

    def unavailable(self, bid: str, p: ProviderParams, reason: str) -> ContextBlock:
        log.warning("context provider %s unavailable: %s", p.name, reason)
        text = self.section.unavailable_text.format(reason=reason)
        return ContextBlock(bid, p.title, text, p.name, unavailable=reason)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        for provider in self.providers:
            if not isinstance(provider, ProviderError):
                provider.close()
