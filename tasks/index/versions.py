"""Index versions: an in-place sync of the current one, a verified rebuild switched in
atomically, garbage collection, the published manifest, and what rollback may return to."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from tasks.errors import UserError
from tasks.index.embed import embedding_dim
from tasks.index.plan import Desired, content_summary, manifest_sha256, rebuild_reason
from tasks.index.store.base import Catalog, version_name, version_number
from tasks.index.store.catalog import open_catalog
from tasks.index.sync import (
    Embedder,
    SyncCounts,
    check_count,
    embedded,
    measure_recall,
    planned,
    sync,
    write,
)
from tasks.params import Params
from tasks.reports import write_json_atomic

log = logging.getLogger(__name__)


def sync_current(
    catalog: Catalog,
    version: str,
    manifest: dict[str, Any],
    desired: dict[str, Desired],
    model: Embedder,
    params: Params,
) -> tuple[SyncCounts, int]:
    """In place. The caller holds the writer lock, so the version changes only here: its plan is
    read and its changes embedded with the publish lock free (readers open snapshots meanwhile),
    which is then held only while they are written: readers see before or after, never during."""
    with catalog.publish_lock():
        store = catalog.open(version)
        try:
            plan = planned(store, desired)
        finally:
            store.close()
    started = time.perf_counter()
    batches = list(embedded(plan, desired, model, params))
    embed_seconds = time.perf_counter() - started
    with catalog.publish_lock():
        store = catalog.open(version)
        try:
            counts = write(store, plan, batches, desired, embed_seconds)
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
