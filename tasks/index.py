"""index: curated chunks -> the Qdrant index, synced incrementally or rebuilt as a new version.

What the index holds is read from the index itself (a complete scroll), never from a file that
could drift: a sync embeds only chunks whose text changed, rewrites payloads whose metadata
changed, and deletes points no curated chunk maps to. Point ids derive from chunk ids, so a sync
killed at any moment and run again converges, without duplicates or orphans.

A rebuild (`full`, no index yet, or a new embedding model or chunking) fills a new version,
checks its point count and its recall@k on the eval gold documents, and only then switches
readers to it; the previous version stays for `rollback`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from filelock import FileLock
from tqdm.auto import tqdm

from tasks.embed import PROGRESS_MIN_TEXTS, embed_texts, embedding_dim, shared_embedder
from tasks.errors import UserError
from tasks.params import Params
from tasks.reports import write_json_atomic, write_report
from tasks.retrieve import search_hits
from tasks.schema import CHUNK_COLUMNS, read_eval, read_table
from tasks.vector_store import (
    Catalog,
    Store,
    Visible,
    acquire,
    open_catalog,
    point_id,
    version_name,
    version_number,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

# Batches of texts in, one vector array per batch out, in order: in this process by default,
# or fanned out over a Prefect task runner (flows/fanout.py).
EmbedBatches = Callable[[list[list[str]]], Iterator[np.ndarray]]

BUILD_KEYS = ("embedding_model", "embedding_backend", "chunk_tokens", "chunk_overlap")
SYNC_FIELDS = ["embed_hash", "payload_hash"]
TIME_FIELDS = ("updated_at", "valid_from", "valid_until")


# --------------------------------------------------------------------------- pure core


@dataclass(frozen=True)
class Desired:
    """One curated chunk as its point should be: the text to embed and the payload."""

    point_id: str
    text: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class SyncPlan:
    embed: tuple[str, ...]  # new points, or new text: embed and upsert
    repayload: tuple[str, ...]  # same text, other metadata: rewrite the payload only
    delete: tuple[str, ...]  # in the index, in no curated chunk
    unchanged: int


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embedding_text(title: str, text: str) -> str:
    """What gets embedded: the title carries the topic a chunk from a document's middle lacks."""
    return f"{title}\n{text}" if title else text


def epoch_of(value: str, field: str, chunk_id: str) -> int | None:
    from tasks.retrieve import parse_time, to_epoch

    try:
        moment = parse_time(value)
    except UserError:
        raise UserError(
            f"chunk '{chunk_id}': {field} '{value}' is not ISO 8601; fix the source document "
            "and run `tandem curate` again"
        ) from None
    return None if moment is None else to_epoch(moment)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def to_desired(chunk: dict[str, Any]) -> Desired:
    chunk_id = _text(chunk["chunk_id"])
    fields = {name: _text(chunk.get(name)) for name in CHUNK_COLUMNS if name != "position"}
    payload: dict[str, Any] = {
        **fields,
        "position": int(chunk.get("position") or 0),
        "customer_id": fields["customer_id"] or None,  # null, not "": is_empty must match globals
    }
    for name in TIME_FIELDS:
        payload[f"{name}_epoch"] = epoch_of(fields[name], name, chunk_id)
    text = embedding_text(fields["title"], fields["text"])
    payload["embed_hash"] = sha256(text)
    payload["payload_hash"] = sha256(json.dumps(payload, sort_keys=True))
    return Desired(point_id(chunk_id), text, payload)


def desired_points(chunks: Sequence[dict[str, Any]]) -> dict[str, Desired]:
    desired: dict[str, Desired] = {}
    for chunk in chunks:
        if not _text(chunk.get("chunk_id")):
            raise UserError(
                "chunks.parquet has a chunk without chunk_id; run `tandem curate` again"
            )
        item = to_desired(chunk)
        if item.point_id in desired:
            raise UserError(
                f"chunks.parquet has chunk_id '{chunk['chunk_id']}' twice; "
                "run `tandem curate` again"
            )
        desired[item.point_id] = item
    return desired


def plan_sync(
    desired: dict[str, Desired], stored: Sequence[tuple[str, dict[str, Any]]]
) -> SyncPlan:
    """Compare what should be with what a complete scroll found."""
    have = dict(stored)
    embed, repayload, unchanged = [], [], 0
    for pid, item in desired.items():
        found = have.get(pid)
        if found is None or found.get("embed_hash") != item.payload["embed_hash"]:
            embed.append(pid)
        elif found.get("payload_hash") != item.payload["payload_hash"]:
            repayload.append(pid)
        else:
            unchanged += 1
    delete = [pid for pid in have if pid not in desired]
    return SyncPlan(
        tuple(sorted(embed)), tuple(sorted(repayload)), tuple(sorted(delete)), unchanged
    )


def build_info(params: Params) -> dict[str, Any]:
    """What a version was built with; any difference from the params means a rebuild."""
    return {
        "embedding_model": params.embedding.model,
        "embedding_backend": params.embedding.backend,
        "chunk_tokens": params.curate.chunk_tokens,
        "chunk_overlap": params.curate.chunk_overlap,
    }


def rebuild_reason(manifest: dict[str, Any], wanted: dict[str, Any]) -> str:
    changed = [k for k in BUILD_KEYS if manifest.get(k) != wanted[k]]
    return (
        "changed " + ", ".join(f"{k} ({manifest.get(k)} -> {wanted[k]})" for k in changed)
        if changed
        else ""
    )


def why_rebuild(full: bool, manifest: dict[str, Any] | None, info: dict[str, Any]) -> str:
    """Empty for an incremental sync of the current version, else why a new one is built."""
    if full:
        return "requested (--full)"
    if manifest is None:
        return "no index yet"
    return rebuild_reason(manifest, info)


def content_summary(desired: dict[str, Desired]) -> dict[str, Any]:
    """Identifies the content: equal summaries, equal index (no timestamps on purpose)."""
    rows = sorted(
        f"{pid}:{d.payload['embed_hash']}:{d.payload['payload_hash']}" for pid, d in desired.items()
    )
    return {
        "points": len(desired),
        "docs": len({d.payload["doc_id"] for d in desired.values()}),
        "content_sha256": sha256("\n".join(rows)),
    }


def manifest_sha256(manifest: dict[str, Any]) -> str:
    return sha256(json.dumps(manifest, sort_keys=True))


# --------------------------------------------------------------------------- I/O


@dataclass(frozen=True)
class IndexReport:
    mode: str  # incremental | full | rollback
    backend: str
    version: str
    previous_version: str
    points: int
    embedded: int
    upserted: int
    payload_updated: int
    deleted: int
    unchanged: int
    recall: float | None
    reason: str
    seconds: float
    embed_seconds: float
    write_seconds: float


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


def read_chunks(params: Params) -> dict[str, Desired]:
    path = params.paths.curated_dir / "chunks.parquet"
    frame = read_table(path, CHUNK_COLUMNS, producer="curate")
    if frame.empty:
        raise UserError(f"'{path}' has no chunks; refusing to empty the index (check the sources)")
    return desired_points(frame.to_dict("records"))


@contextlib.contextmanager
def writer_lock(params: Params) -> Iterator[None]:
    """One index writer at a time (index_dir/.lock); the OS drops it if the holder dies."""
    params.paths.index_dir.mkdir(parents=True, exist_ok=True)
    with acquire(
        FileLock(params.paths.index_dir / ".lock", is_singleton=True), params.index.lock_timeout
    ):
        yield


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
        size = self._params.embedding.batch_size
        return (embed_texts(self(), batch, size) for batch in texts)


def sync(store: Store, desired: dict[str, Desired], model: Embedder, params: Params) -> SyncCounts:
    plan = plan_sync(desired, store.scroll(SYNC_FIELDS))
    log.info(
        "sync plan: %d to embed, %d payloads, %d to delete, %d unchanged",
        len(plan.embed),
        len(plan.repayload),
        len(plan.delete),
        plan.unchanged,
    )
    embed_seconds = write_seconds = 0.0
    size = params.index.upsert_batch
    batches = [plan.embed[start : start + size] for start in range(0, len(plan.embed), size)]
    vectors_per_batch = model.batches([[desired[pid].text for pid in ids] for ids in batches])
    bar_options = {} if len(plan.embed) > PROGRESS_MIN_TEXTS else {"disable": True}
    with tqdm(total=len(plan.embed), desc="index", unit="chunk", **bar_options) as bar:
        for ids in batches:
            started = time.perf_counter()
            vectors = next(vectors_per_batch)  # waiting on the embedder (or its workers)
            embed_seconds += time.perf_counter() - started
            started = time.perf_counter()
            store.upsert(list(ids), vectors, [desired[pid].payload for pid in ids])
            write_seconds += time.perf_counter() - started
            bar.update(len(ids))
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
        params.embedding.batch_size,
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


def sync_current(
    catalog: Catalog,
    version: str,
    manifest: dict[str, Any],
    desired: dict[str, Desired],
    model: Embedder,
    params: Params,
) -> tuple[SyncCounts, int]:
    """In place, under the publish lock: embedded readers snapshot before or after, never during."""
    with catalog.publish_lock():
        store = catalog.open(version)
        try:
            counts = sync(store, desired, model, params)
            if counts.changed:
                store.optimize()
            points = check_count(store, desired, version)
        finally:
            store.close()
        updated = {**manifest, **content_summary(desired)}
        if updated != manifest:
            catalog.write_manifest(version, updated)
    return counts, points


def rebuild(
    catalog: Catalog,
    desired: dict[str, Desired],
    model: Embedder,
    params: Params,
    info: dict[str, Any],
) -> tuple[str, SyncCounts, int, float | None]:
    """Fill a new version (or resume one a killed rebuild left), verify it, then switch to it."""
    manifests = {v: catalog.read_manifest(v) or {} for v in catalog.versions()}
    resumable = [
        v
        for v, m in manifests.items()
        if m.get("state") == "building" and not rebuild_reason(m, info)
    ]
    if resumable:
        version = resumable[-1]
        log.info("resuming the unfinished rebuild %s", version)
        store = catalog.open(version)
    else:
        version = version_name(max(map(version_number, manifests), default=0) + 1)
        dim = embedding_dim(model())
        manifest = {
            "version": version,
            "state": "building",
            "created_at": datetime.now(UTC).isoformat(),
            **info,
            "embedding_dim": dim,
        }
        store = catalog.create(version, dim, manifest)
    try:
        counts = sync(store, desired, model, params)
        store.optimize()
        points = check_count(store, desired, version)
        recall, questions = measure_recall(store, model(), params)
    finally:
        store.close()
    k = params.retrieve.k
    if recall is not None and recall < params.index.min_recall:
        catalog.drop(version)
        raise UserError(
            f"rebuilt index {version} reached recall@{k} {recall:.3f} on {questions} eval "
            "questions, "
            f"below index.min_recall {params.index.min_recall}; kept version {catalog.current()}. "
            "Check the embedding model and chunking, or lower index.min_recall"
        )
    if recall is None:
        log.warning(
            "no eval questions with gold_doc_ids; the recall check of %s was skipped", version
        )
    manifest = {**(catalog.read_manifest(version) or {}), **content_summary(desired)}
    manifest.update(state="ready", recall=recall, recall_k=k, recall_questions=questions)
    catalog.write_manifest(version, manifest)
    catalog.switch(version)
    return version, counts, points, recall


def collect_garbage(catalog: Catalog, keep: int) -> list[str]:
    """Keep the current version and the keep-1 newest older ready ones; drop the rest
    (unfinished rebuilds, rolled-back versions, old ones)."""
    current = catalog.current()
    if current is None:
        return []
    older = [v for v in catalog.versions() if version_number(v) < version_number(current)]
    ready = [v for v in older if is_fallback(catalog.read_manifest(v))]
    kept = {current, *(ready[-(keep - 1) :] if keep > 1 else [])}
    dropped = [v for v in catalog.versions() if v not in kept]
    for version in dropped:
        log.info("dropping index version %s", version)
        catalog.drop(version)
    return dropped


def is_fallback(manifest: dict[str, Any] | None) -> bool:
    """A version rollback may return to: finished and never rolled back from."""
    if not manifest:
        return False
    return manifest.get("state") == "ready" and not manifest.get("rolled_back_at")


def publish_manifest(catalog: Catalog, params: Params) -> None:
    """index_dir/manifest.json: the current version's manifest, the file DVC tracks."""
    version = catalog.current()
    manifest = catalog.read_manifest(version) if version else None
    if version and manifest is not None:
        write_json_atomic(
            params.paths.index_dir / "manifest.json",
            {
                "backend": params.index.backend,
                "collection": params.index.collection,
                **manifest,
                "manifest_sha256": manifest_sha256(manifest),
            },
        )


def run(
    params: Params,
    full: bool = False,
    embedder: SentenceTransformer | None = None,
    embed_batches: EmbedBatches | None = None,
) -> IndexReport:
    """Sync (or rebuild) under the writer lock; `embedder` lets a caller that holds one reuse
    it, `embed_batches` embeds the changed chunks elsewhere (a Prefect task runner's workers)."""
    started = time.perf_counter()
    desired = read_chunks(params)
    with writer_lock(params):
        catalog = open_catalog(params.index, params.paths.index_dir)
        try:
            model = Embedder(params, embedder, embed_batches)
            info = build_info(params)
            previous = catalog.current()
            manifest = catalog.read_manifest(previous) if previous else None
            reason = why_rebuild(full, manifest, info)
            recall = None
            if reason or previous is None or manifest is None:
                log.info("rebuilding the index: %s", reason)
                version, counts, points, recall = rebuild(catalog, desired, model, params, info)
            else:
                version = previous
                counts, points = sync_current(catalog, version, manifest, desired, model, params)
            collect_garbage(catalog, params.index.keep_versions)
            publish_manifest(catalog, params)
        finally:
            catalog.close()
    report = IndexReport(
        mode="full" if reason else "incremental",
        backend=params.index.backend,
        version=version,
        previous_version=(previous or "") if reason else "",
        points=points,
        embedded=counts.embedded,
        upserted=counts.embedded,
        payload_updated=counts.payload_updated,
        deleted=counts.deleted,
        unchanged=counts.unchanged,
        recall=recall,
        reason=reason,
        seconds=round(time.perf_counter() - started, 2),
        embed_seconds=counts.embed_seconds,
        write_seconds=counts.write_seconds,
    )
    write_report(params.paths.reports_dir, "index", report)
    return report


def rollback(params: Params) -> IndexReport:
    """Switch readers back to the previous version (kept by keep_versions >= 2)."""
    started = time.perf_counter()
    with writer_lock(params):
        catalog = open_catalog(params.index, params.paths.index_dir)
        try:
            current = catalog.current()
            if current is None:
                raise UserError(f"no index in '{params.paths.index_dir}'; nothing to roll back")
            older = [v for v in catalog.versions() if version_number(v) < version_number(current)]
            targets = [v for v in older if is_fallback(catalog.read_manifest(v))]
            if not targets:
                raise UserError(
                    f"index version {current} has no previous version to roll back to "
                    f"(index.keep_versions={params.index.keep_versions})"
                )
            target = targets[-1]
            manifest = catalog.read_manifest(target) or {}
            if manifest.get("embedding_model") != params.embedding.model:
                raise UserError(
                    f"index version {target} was built with embedding model "
                    f"'{manifest.get('embedding_model')}'; roll back with "
                    f"-S embedding.model={manifest.get('embedding_model')} (and keep it set)"
                )
            current_manifest = catalog.read_manifest(current) or {}
            catalog.write_manifest(
                current, {**current_manifest, "rolled_back_at": datetime.now(UTC).isoformat()}
            )
            catalog.switch(target)
            publish_manifest(catalog, params)
        finally:
            catalog.close()
    report = IndexReport(
        mode="rollback",
        backend=params.index.backend,
        version=target,
        previous_version=current,
        points=int(manifest.get("points", 0)),
        embedded=0,
        upserted=0,
        payload_updated=0,
        deleted=0,
        unchanged=0,
        recall=manifest.get("recall"),
        reason=f"rolled back from {current}",
        seconds=round(time.perf_counter() - started, 2),
        embed_seconds=0.0,
        write_seconds=0.0,
    )
    write_report(params.paths.reports_dir, "index", report)
    return report


def current_version(params: Params) -> tuple[str, str]:
    """(version readers use, sha256 of its manifest as canonical JSON)."""
    catalog = open_catalog(params.index, params.paths.index_dir)
    try:
        version = catalog.current()
        manifest = catalog.read_manifest(version) if version else None
    finally:
        catalog.close()
    if version is None or manifest is None:
        raise UserError(
            f"no index in '{params.paths.index_dir}' (backend {params.index.backend}); "
            "run `tandem index`"
        )
    return version, manifest_sha256(manifest)
