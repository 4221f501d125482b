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
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from filelock import FileLock

from tasks.errors import UserError
from tasks.index.embed import embedder_identity
from tasks.index.plan import Desired, build_info, desired_points, why_rebuild
from tasks.index.store.base import acquire, version_number
from tasks.index.store.catalog import open_catalog
from tasks.index.sync import EmbedBatches, Embedder
from tasks.index.versions import (
    collect_garbage,
    is_fallback,
    publish_manifest,
    rebuild,
    sync_current,
)
from tasks.params import Params
from tasks.reports import write_report
from tasks.schema import CHUNK_COLUMNS, read_table

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


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


def run(
    params: Params,
    full: bool = False,
    embedder: SentenceTransformer | None = None,
    embed_batches: EmbedBatches | None = None,
) -> IndexReport:
    """Sync (or rebuild) under the writer lock; `embedder` lets a caller that holds one reuse
    it, `embed_batches` embeds the changed chunks elsewhere (a Prefect task runner's workers)."""
    started = time.perf_counter()
    with writer_lock(params):
        # read under the lock it writes under: a run that waited for it must not write back
        # a snapshot of the chunks that another run (or a newer curate) has replaced
        desired = read_chunks(params)
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
            if manifest.get("embedding_model") != embedder_identity(params):
                raise UserError(
                    f"index version {target} was built with embedder "
                    f"'{manifest.get('embedding_model')}', not the params' "
                    f"'{embedder_identity(params)}'; roll back with the params it was built with"
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
