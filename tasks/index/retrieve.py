"""retrieve: the copilot's search over the current index version.

The asker's filters run inside Qdrant, never after it: global chunks or the asker's own (never
another customer's), valid at `at` (valid_from <= at < valid_until, empty = open-ended), with a
visibility from retrieve.visibility and optionally from some sources only.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tasks.errors import UserError
from tasks.index.embed import embed_texts, embedder_identity, load_embedder
from tasks.index.store.base import IndexBusy, Scored, Store, Visible
from tasks.index.store.catalog import open_catalog
from tasks.params import Params
from tasks.schema import Hit

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


def parse_time(text: str | None) -> datetime | None:
    """ISO 8601 (`2025-06-01`, `2025-06-01T12:00:00Z`, with an offset); naive means UTC."""
    if text is None or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"time '{text}' is not ISO 8601; use e.g. 2025-06-01 or 2025-06-01T12:00:00Z"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_epoch(value: datetime) -> int:
    """Whole seconds, rounded down: `valid_until > at` stays exact at second boundaries."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return math.floor(aware.timestamp())


def to_hit(scored: Scored) -> Hit:
    payload = scored.payload
    return Hit(
        chunk_id=str(payload.get("chunk_id", "")),
        doc_id=str(payload.get("doc_id", "")),
        title=str(payload.get("title") or ""),
        text=str(payload.get("text") or ""),
        score=scored.score,
        source=str(payload.get("source") or ""),
        customer_id=str(payload.get("customer_id") or ""),
        url=str(payload.get("url") or ""),
    )


def search_hits(
    store: Store,
    model: SentenceTransformer,
    queries: Sequence[str],
    where: Sequence[Visible],
    k: int,
    batch_size: int,
) -> list[list[Hit]]:
    """Embed all queries in one batch, then one batched filtered search."""
    if not queries:
        return []
    vectors = embed_texts(model, queries, batch_size)
    return [[to_hit(s) for s in hits] for hits in store.search(vectors, list(where), k)]


def own_or_global(hits: list[Hit], customer_id: str) -> list[Hit]:
    """Belt and braces: the filter already ran inside Qdrant; a hit of another customer here
    would be a bug, and it is dropped, never shown."""
    foreign = [h for h in hits if h.customer_id and h.customer_id != customer_id]
    if foreign:
        log.error("index returned %d chunks of other customers; dropped", len(foreign))
    return [h for h in hits if h not in foreign]


class Retriever:
    """The current index version, opened once; a long-lived one (the served copilot) moves to a
    newly published version within retrieve.refresh_seconds."""

    def __init__(
        self,
        params: Params,
        embedder: SentenceTransformer | None = None,
        snapshots_dir: Path | None = None,
    ) -> None:
        self.params = params
        self._mutex = threading.Lock()
        self._store: Store | None = None
        self.version = ""
        self._state = ""  # what the catalog published when we opened; see _refresh
        self._checked = 0.0
        self._catalog = open_catalog(params.index, params.paths.index_dir, snapshots_dir)
        try:
            state = self._catalog.state()
            opened = self._catalog.open_current(params.index.lock_timeout)
            if opened is None:
                raise UserError(
                    f"no index in '{params.paths.index_dir}' (backend {params.index.backend}); "
                    "run `tandem index` first"
                )
            version, manifest, store = opened
            self._adopt(version, manifest, store, state)
            self._model = embedder or load_embedder(params)
        except BaseException:
            self.close()
            raise

    def _adopt(self, version: str, manifest: dict[str, Any], store: Store, state: str) -> None:
        built_with, wanted = manifest.get("embedding_model"), embedder_identity(self.params)
        if built_with != wanted:
            store.close()
            raise UserError(
                f"index version {version} was built with embedder '{built_with}' but the "
                f"params' embedder is '{wanted}'; run `tandem index` (it rebuilds) or set "
                "embedding.model / finetune_embedder back"
            )
        backend = manifest.get("embedding_backend")
        if backend and backend != self.params.embedding.backend:
            log.warning(
                "index version %s was embedded with the %s backend, questions are with %s: "
                "close vectors, not identical ones; `tandem index` rebuilds it",
                version,
                backend,
                self.params.embedding.backend,
            )
        old, self._store = self._store, store
        if old is not None:
            old.close()
        self.version, self._state, self._checked = version, state, time.monotonic()

    def _refresh(self) -> None:
        """Cheap state check at most every refresh_seconds; reopen when something was published."""
        if time.monotonic() - self._checked < self.params.retrieve.refresh_seconds:
            return
        self._checked = time.monotonic()
        try:
            state = self._catalog.state()
        except Exception as error:  # a server hiccup must not fail searches on a working index
            log.warning("could not check for a newer index, keeping %s: %s", self.version, error)
            return
        if state == self._state:
            return
        try:
            opened = self._catalog.open_current(timeout=0)
        except IndexBusy:
            return  # a writer is mid-sync: keep the snapshot, look again next time
        if opened is None:
            return
        version, manifest, store = opened
        try:
            self._adopt(version, manifest, store, state)
        except UserError as error:
            log.warning("keeping index version %s: %s", self.version, error)
            return
        log.info("retriever moved to index version %s", version)

    def search(
        self,
        query: str,
        customer_id: str = "",
        at: datetime | None = None,
        k: int | None = None,
        sources: tuple[str, ...] | None = None,
    ) -> list[Hit]:
        return self.search_many([query], [customer_id], at=at, k=k, sources=sources)[0]

    def search_many(
        self,
        queries: list[str],
        customer_ids: list[str],
        at: datetime | None = None,
        k: int | None = None,
        sources: tuple[str, ...] | None = None,
    ) -> list[list[Hit]]:
        if len(queries) != len(customer_ids):
            raise ValueError(f"{len(queries)} queries but {len(customer_ids)} customer ids")
        moment = to_epoch(at or datetime.now(UTC))
        visibility = tuple(self.params.retrieve.visibility)
        where = [Visible(c or "", moment, visibility, sources) for c in customer_ids]
        with self._mutex:
            self._refresh()
            if self._store is None:
                raise RuntimeError("the retriever is closed")
            found = search_hits(
                self._store,
                self._model,
                queries,
                where,
                k or self.params.retrieve.k,
                self.params.embedding.encode_batch,
            )
        return [
            own_or_global(hits, asker.customer_id) for hits, asker in zip(found, where, strict=True)
        ]

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        self._catalog.close()

    def __enter__(self) -> Retriever:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
