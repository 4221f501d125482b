"""The embedded backend: qdrant-edge shards in this process, one folder per version."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from tasks.index.store.base import (
    PAYLOAD_INDEXES,
    SCROLL_BATCH,
    VERSION_PATTERN,
    FilterDialect,
    Record,
    Scored,
    Store,
    Visible,
    acquire,
    asker_filter,
    scroll_all,
    version_number,
    without_none,
)
from tasks.index.store.snapshot import copy_sparse, remove_stale_snapshots
from tasks.reports import read_json, write_json_atomic, write_text_atomic
from tasks.sections import IndexParams


class EdgeStore:
    def __init__(self, shard: Any, p: IndexParams, snapshot_dir: Path | None = None) -> None:
        self._shard = shard
        self._p = p
        self._snapshot_dir = snapshot_dir  # a reader's private copy, removed on close

    @staticmethod
    def config(dim: int, p: IndexParams) -> Any:
        from qdrant_edge import (
            Distance,
            EdgeConfig,
            EdgeOptimizersConfig,
            EdgeVectorParams,
            HnswIndexConfig,
        )

        return EdgeConfig(
            vectors=EdgeVectorParams(size=dim, distance=Distance.Cosine),
            hnsw_config=HnswIndexConfig(
                m=p.hnsw_m,
                ef_construct=p.hnsw_ef_construct,
                full_scan_threshold=p.full_scan_threshold_kb,
            ),
            optimizers=EdgeOptimizersConfig(indexing_threshold=p.indexing_threshold_kb),
        )

    @classmethod
    def create(cls, path: Path, dim: int, p: IndexParams) -> EdgeStore:
        from qdrant_edge import (
            EdgeShard,
            IntegerIndexParams,
            KeywordIndexParams,
            PayloadSchemaType,
            UpdateOperation,
        )

        shard = EdgeShard.create(str(path), cls.config(dim, p))
        kinds: dict[str, Any] = {
            "tenant": KeywordIndexParams(is_tenant=True),
            "keyword": PayloadSchemaType.Keyword,
            "range": IntegerIndexParams(lookup=False, range=True),
        }
        for field, kind in PAYLOAD_INDEXES:
            shard.update(UpdateOperation.create_field_index(field, kinds[kind]))
        return cls(shard, p)

    @classmethod
    def load(cls, path: Path, p: IndexParams, snapshot_dir: Path | None = None) -> EdgeStore:
        from qdrant_edge import EdgeShard

        return cls(EdgeShard.load(str(path)), p, snapshot_dir)

    def upsert(self, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        from qdrant_edge import Point, UpdateOperation

        points = [Point(i, v.tolist(), pl) for i, v, pl in zip(ids, vectors, payloads, strict=True)]
        self._shard.update(UpdateOperation.upsert_points(points))

    def overwrite_payloads(self, ids: list[str], payloads: list[dict[str, Any]]) -> None:
        from qdrant_edge import UpdateOperation

        for i, payload in zip(ids, payloads, strict=True):
            self._shard.update(UpdateOperation.overwrite_payload([i], payload))

    def delete(self, ids: list[str]) -> None:
        from qdrant_edge import UpdateOperation

        if ids:
            self._shard.update(UpdateOperation.delete_points(list(ids)))

    def count(self) -> int:
        from qdrant_edge import CountRequest

        return int(self._shard.count(CountRequest(exact=True)))

    def scroll(self, fields: list[str]) -> list[Record]:
        from qdrant_edge import ScrollRequest

        def fetch(offset: Any) -> tuple[list[Record], Any]:
            request = ScrollRequest(
                offset=offset, limit=SCROLL_BATCH, with_payload=fields, with_vector=False
            )
            records, following = self._shard.scroll(request)
            return [(str(r.id), dict(r.payload or {})) for r in records], following

        return scroll_all(fetch, self.count())

    def search(self, vectors: np.ndarray, where: list[Visible], k: int) -> list[list[Scored]]:
        from qdrant_edge import Query, QueryBatchRequest, QueryRequest, SearchParams

        params = SearchParams(hnsw_ef=self._p.hnsw_ef, exact=self._p.exact)
        dialect = edge_dialect()
        requests = [
            QueryRequest(
                limit=k,
                query=Query.Nearest(v.tolist()),
                filter=asker_filter(w, dialect),
                with_payload=True,
                with_vector=False,
                params=params,
            )
            for v, w in zip(vectors, where, strict=True)
        ]
        results = self._shard.query_batch(QueryBatchRequest(requests))
        return [
            [Scored(str(h.id), float(h.score), dict(h.payload or {})) for h in hits]
            for hits in results
        ]

    def optimize(self) -> bool:
        """Builds HNSW for segments above indexing_threshold_kb, merges, vacuums; blocks (GIL)."""
        return bool(self._shard.optimize())

    def indexed_vectors(self) -> int:
        """How many vectors an HNSW graph covers (the rest are searched by brute force)."""
        return int(self._shard.info().indexed_vectors_count)

    def close(self) -> None:
        if self._shard is None:
            return
        if self._snapshot_dir is None:
            self._shard.flush()
        self._shard.close()
        self._shard = None
        if self._snapshot_dir is not None:
            shutil.rmtree(self._snapshot_dir, ignore_errors=True)


def edge_dialect() -> FilterDialect:
    import qdrant_edge as q

    return FilterDialect(
        is_empty=q.IsEmptyCondition,
        condition=q.FieldCondition,
        match_value=q.MatchValue,
        match_any=q.MatchAny,
        range=q.RangeFloat,
        filter=q.Filter,
    )


class EdgeCatalog:
    def __init__(self, p: IndexParams, index_dir: Path, snapshots_dir: Path | None = None) -> None:
        self._p = p
        self.index_dir = index_dir
        self.versions_dir = index_dir / "versions"
        self.snapshots_dir = snapshots_dir or index_dir / "snapshots"
        self.pointer = index_dir / "CURRENT"
        index_dir.mkdir(parents=True, exist_ok=True)
        # held while a writer changes the current version in place and while a reader copies it;
        # one instance per path in this process, so nested holds do not deadlock
        self._lock = FileLock(index_dir / ".publish.lock", is_singleton=True)

    def shard_dir(self, version: str) -> Path:
        return self.versions_dir / version / "shard"

    def versions(self) -> list[str]:
        if not self.versions_dir.is_dir():
            return []
        names = [
            d.name
            for d in self.versions_dir.iterdir()
            if d.is_dir() and VERSION_PATTERN.match(d.name)
        ]
        return sorted(names, key=version_number)

    def current(self) -> str | None:
        if not self.pointer.is_file():
            return None
        name = self.pointer.read_text(encoding="utf-8").strip()
        return name or None

    def create(self, version: str, dim: int, manifest: dict[str, Any]) -> Store:
        self.drop(version)
        self.shard_dir(version).parent.mkdir(parents=True, exist_ok=True)
        store = EdgeStore.create(self.shard_dir(version), dim, self._p)
        self.write_manifest(version, manifest)
        return store

    def open(self, version: str) -> Store:
        return EdgeStore.load(self.shard_dir(version), self._p)

    def open_current(self, timeout: float) -> tuple[str, dict[str, Any], Store] | None:
        """A private snapshot of the current version, copied while no writer changes it."""
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_snapshots(self.snapshots_dir)
        with acquire(self._lock, timeout):
            version = self.current()
            manifest = self.read_manifest(version) if version else None
            if version is None or manifest is None:
                return None
            snapshot = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=self.snapshots_dir))
            shard_copy = snapshot / "shard"
            # WAL included: after a writer was killed, loading the copy replays it
            shutil.copytree(self.shard_dir(version), shard_copy, copy_function=copy_sparse)
        return version, manifest, EdgeStore.load(shard_copy, self._p, snapshot_dir=snapshot)

    def state(self) -> str:
        """Changes whenever a sync or a switch publishes something new; cheap (two stats)."""
        version = self.current()
        if version is None:
            return ""
        manifest = self.versions_dir / version / "manifest.json"
        stamp = manifest.stat().st_mtime_ns if manifest.is_file() else 0
        return f"{version}:{stamp}"

    def switch(self, version: str) -> None:
        with self.publish_lock():
            write_text_atomic(self.pointer, version + "\n")

    def drop(self, version: str) -> None:
        with self.publish_lock():
            shutil.rmtree(self.versions_dir / version, ignore_errors=True)

    def read_manifest(self, version: str) -> dict[str, Any] | None:
        path = self.versions_dir / version / "manifest.json"
        return read_json(path) if path.is_file() else None

    def write_manifest(self, version: str, manifest: dict[str, Any]) -> None:
        write_json_atomic(self.versions_dir / version / "manifest.json", without_none(manifest))

    def publish_lock(self) -> contextlib.AbstractContextManager[Any]:
        return acquire(self._lock, self._p.lock_timeout)

    def close(self) -> None:
        return None
