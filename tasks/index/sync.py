"""Filling one index version: embed the changed chunks (here or on a task runner's workers),
write them, and measure what a version finds (its point count, its recall on the eval)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from tasks.index.embed import PROGRESS_MIN_TEXTS, embed_texts, shared_embedder
from tasks.index.plan import SYNC_FIELDS, Desired, SyncPlan, plan_sync
from tasks.index.retrieve import search_hits
from tasks.index.store.base import Store, Visible
from tasks.params import Params
from tasks.schema import read_eval

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

# Batches of texts in, one vector array per batch out, in order: in this process by default,
# or fanned out over a Prefect task runner (flows/fanout.py).
EmbedBatches = Callable[[list[list[str]]], Iterator[np.ndarray]]


@dataclass(frozen=True)
class SyncCounts:
    embedded: int
    payload_updated: int
    deleted: int
    unchanged: int
    embed_seconds: float
    write_seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.embedded or self.payload_updated or self.deleted)


class Embedder:
    """The embedding model, loaded on first use: a sync with nothing to embed never pays for
    torch and the model (seconds, on every scheduled re-index)."""

    def __init__(
        self,
        params: Params,
        model: SentenceTransformer | None = None,
        embed_batches: EmbedBatches | None = None,
    ) -> None:
        self._params = params
        self._model = model
        self._embed_batches = embed_batches

    def __call__(self) -> SentenceTransformer:
        if self._model is None:
            self._model = shared_embedder(self._params)  # the one embed-batch tasks use here
        return self._model

    def batches(self, texts: list[list[str]]) -> Iterator[np.ndarray]:
        if self._embed_batches is not None:
            return self._embed_batches(texts)
        size = self._params.embedding.encode_batch
        return (embed_texts(self(), batch, size) for batch in texts)


def planned(store: Store, desired: dict[str, Desired]) -> SyncPlan:
    plan = plan_sync(desired, store.scroll(SYNC_FIELDS))
    log.info(
        "sync plan: %d to embed, %d payloads, %d to delete, %d unchanged",
        len(plan.embed),
        len(plan.repayload),
        len(plan.delete),
        plan.unchanged,
    )
    return plan


def embedded(
    plan: SyncPlan, desired: dict[str, Desired], model: Embedder, params: Params
) -> Iterator[tuple[list[str], np.ndarray]]:
    """(point ids, their vectors) per upsert batch, embedded lazily as they are consumed."""
    size = params.index.upsert_batch
    batches = [plan.embed[start : start + size] for start in range(0, len(plan.embed), size)]
    vectors = model.batches([[desired[pid].text for pid in ids] for ids in batches])
    bar_options = {} if len(plan.embed) > PROGRESS_MIN_TEXTS else {"disable": True}
    with tqdm(total=len(plan.embed), desc="index", unit="chunk", **bar_options) as bar:
        for ids in batches:
            yield list(ids), next(vectors)
            bar.update(len(ids))


def write(
    store: Store,
    plan: SyncPlan,
    batches: Iterable[tuple[list[str], np.ndarray]],
    desired: dict[str, Desired],
    embed_seconds: float = 0.0,
) -> SyncCounts:
    """Write what the plan says; `batches` may still be embedding (its wait counts as embed
    time) or be embedded already (then `embed_seconds` says how long that took)."""
    write_seconds = 0.0
    pending = iter(batches)
    while True:
        started = time.perf_counter()
        batch = next(pending, None)  # waiting on the embedder (or its workers)
        embed_seconds += time.perf_counter() - started
        if batch is None:
            break
        started = time.perf_counter()
        store.upsert(batch[0], batch[1], [desired[pid].payload for pid in batch[0]])
        write_seconds += time.perf_counter() - started
    started = time.perf_counter()
    store.overwrite_payloads(list(plan.repayload), [desired[pid].payload for pid in plan.repayload])
    store.delete(list(plan.delete))  # last: readers never see a replaced document missing
    write_seconds += time.perf_counter() - started
    return SyncCounts(
        len(plan.embed),
        len(plan.repayload),
        len(plan.delete),
        plan.unchanged,
        round(embed_seconds, 3),
        round(write_seconds, 3),
    )


def sync(store: Store, desired: dict[str, Desired], model: Embedder, params: Params) -> SyncCounts:
    """Embed and write as one stream (a version no reader sees yet: memory stays one batch)."""
    plan = planned(store, desired)
    return write(store, plan, embedded(plan, desired, model, params), desired)


def measure_recall(
    store: Store, model: SentenceTransformer, params: Params
) -> tuple[float | None, int]:
    """recall@k on the eval gold documents: a question counts when a gold doc is in its top k."""
    path = params.paths.curated_dir / "eval.parquet"
    if not path.is_file():
        return None, 0
    questions = [e for e in read_eval(path) if e.gold_doc_ids]
    if not questions:
        return None, 0
    now = int(datetime.now(UTC).timestamp())
    where = [Visible(e.customer_id, now, tuple(params.retrieve.visibility)) for e in questions]
    hits = search_hits(
        store,
        model,
        [e.question for e in questions],
        where,
        params.retrieve.k,
        params.embedding.encode_batch,
    )
    found = sum(
        bool({h.doc_id for h in per} & set(e.gold_doc_ids))
        for e, per in zip(questions, hits, strict=True)
    )
    return found / len(questions), len(questions)


def check_count(store: Store, desired: dict[str, Desired], version: str) -> int:
    points = store.count()
    if points != len(desired):
        raise RuntimeError(
            f"index version {version} holds {points} points after the sync, expected {len(desired)}"
        )
    return points
