"""The `http` provider: a GET on a URL template (the asking customer's id URL-quoted into it),
headers from env vars, retries with backoff on what is transient, all within the provider's
timeout, and a short-lived cache so a burst of questions asks once."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

from tasks.context.blocks import ProviderError, json_text
from tasks.context_sections import ContextParams, HttpProviderParams


class Transient(ProviderError):
    """Worth another attempt: a timeout, a refused connection, a 5xx."""


class HttpProvider:
    def __init__(self, p: HttpProviderParams, section: ContextParams) -> None:
        import httpx
        from cachetools import TTLCache

        self.p = p
        self.timeout_s = p.timeout_s or section.timeout_s
        self.retries = section.retries if p.retries is None else p.retries
        self.cache_s = cache_s = section.cache_s if p.cache_s is None else p.cache_s
        self.cache: TTLCache[str, str] | None = (
            TTLCache(maxsize=4096, ttl=cache_s) if cache_s > 0 else None
        )
        self.lock = threading.Lock()  # TTLCache is not thread-safe
        self.client = httpx.Client(follow_redirects=False, trust_env=False)

    def headers(self) -> dict[str, str]:
        if missing := sorted(var for var in self.p.headers.values() if var not in os.environ):
            names = ", ".join(missing)
            raise ProviderError(f"env var {names} is not set (a header of its request)")
        return {header: os.environ[var] for header, var in self.p.headers.items()}

    def url(self, customer_id: str, at: datetime) -> str:
        """The URL for this customer at `at`, which is rounded down to the cache period: a
        reply may be that old anyway, and questions within it then share one request (unrounded,
        a URL with {at} would change every second and never be cached)."""
        if self.cache_s > 0:
            at = datetime.fromtimestamp(at.timestamp() // self.cache_s * self.cache_s, at.tzinfo)
        return self.p.url.format(
            customer_id=quote(customer_id, safe=""), at=quote(at.isoformat(), safe="")
        )

    def get(self, url: str, headers: dict[str, str], deadline: float) -> Any:
        import httpx

        left = deadline - time.monotonic()
        if left <= 0:
            raise ProviderError(f"no reply within {self.timeout_s:g} s")
        try:
            reply = self.client.get(url, headers=headers, timeout=left)
        except httpx.TimeoutException:
            raise Transient(f"no reply within {self.timeout_s:g} s") from None
        except httpx.TransportError as error:
            raise Transient(f"cannot connect ({type(error).__name__})") from None
        if reply.status_code >= 500:
            raise Transient(f"HTTP {reply.status_code}")
        if reply.status_code >= 400:
            raise ProviderError(f"HTTP {reply.status_code}")
        try:
            return reply.json()
        except ValueError:
            raise ProviderError("the reply is not JSON") from None

    def read(self, customer_id: str, at: datetime) -> str:
        from tenacity import (
            Retrying,
            retry_if_exception_type,
            stop_after_attempt,
            wait_exponential,
        )

        url = self.url(customer_id, at)
        if self.cache is not None:
            with self.lock:
                if (hit := self.cache.get(url)) is not None:
                    return hit
        headers = self.headers()
        deadline = time.monotonic() + self.timeout_s
        for attempt in Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_exponential(multiplier=0.1, max=1.0),
            retry=retry_if_exception_type(Transient),
            reraise=True,
        ):
            with attempt:
                text = json_text(self.get(url, headers, deadline), self.p.template)
        if self.cache is not None:
            with self.lock:
                self.cache[url] = text
        return text

    def close(self) -> None:
        self.client.close()
