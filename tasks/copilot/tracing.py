"""Every served answer as an MLflow trace: retrieval (query, filters, hits with scores), the
prompt, generation (tokens, latency) and the citations, tagged with the model, the index
version and the customer (hashed where `serve.hash_customer_ids`). Without a tracking store,
answering works the same and nothing is traced."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from tasks.reports import text_sha256

log = logging.getLogger(__name__)

SALT = "tandem-customer"  # hashed ids stay comparable between traces, not reversible by lookup


def customer_tag(customer_id: str, hashed: bool) -> str:
    if not customer_id:
        return ""
    return f"sha256:{text_sha256(SALT + customer_id)[:16]}" if hashed else customer_id


class Tracer:
    """Spans when `enabled`, a no-op otherwise (so a caller writes its steps once)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @contextlib.contextmanager
    def span(self, name: str, kind: str, inputs: dict[str, Any]) -> Iterator[Any]:
        if not self.enabled:
            yield None
            return
        import mlflow

        with mlflow.start_span(name=name, span_type=kind) as span:
            span.set_inputs(inputs)
            yield span

    def tag(self, tags: dict[str, str]) -> None:
        if self.enabled:
            import mlflow

            mlflow.update_current_trace(tags={k: v for k, v in tags.items() if v})

    @staticmethod
    def trace_id(span: Any) -> str:
        return str(getattr(span, "trace_id", "") or getattr(span, "request_id", "") or "")
