"""The Qdrant index behind one small interface; `index.backend` picks one of two backends.

embedded  qdrant-edge shards in this process. A version is `index_dir/versions/v0001/` holding
          `shard/` and `manifest.json`; `index_dir/CURRENT` names the version readers use and is
          switched with os.replace. A shard has a single writer (its WAL is locked), so readers
          search a private snapshot copied under the publish lock, which in-place writers hold too.
server    qdrant-client. A version is the collection `<collection>_v0001`, its manifest lives in the
          collection's metadata, and readers use the alias `<collection>`, switched in one
          update_collection_aliases call. `index.qdrant_url` is `http(s)://host:port`, or for tests
          qdrant-client's local mode, brute force and without payload indexes: `local:<dir>`
          (one open client per directory at a time) or `:memory:` (one store per process).

A `Catalog` lists, creates, opens, switches and drops versions; a `Store` is one version.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from filelock import FileLock, Timeout

from tasks.errors import UserError
from tasks.params import IndexParams

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

log = logging.getLogger(__name__)

# Fixed forever: point ids derive from it, and a new one would duplicate every chunk.
POINT_NAMESPACE = uuid.UUID("5b0f6c1e-7d2a-4c55-9a43-2f1de0c0a8b1")
VERSION_PATTERN = re.compile(r"^v(\d{4,})$")
TENANT_FIELD = "customer_id"
KEYWORD_FIELDS = ("doc_id", "source", "visibility")
EPOCH_FIELDS = ("updated_at_epoch", "valid_from_epoch", "valid_until_epoch")
MANIFEST_KEY = "tandem_manifest"  # server: the manifest's key in the collection metadata
SCROLL_BATCH = 1000


def point_id(chunk_id: str) -> str:
    """Deterministic: re-upserting a chunk overwrites its point, never duplicates it."""
    return str(uuid.uuid5(POINT_NAMESPACE, chunk_id))


def version_name(number: int) -> str:
    return f"v{number:04d}"


def version_number(name: str) -> int:
    match = VERSION_PATTERN.match(name)
    if match is None:
        raise ValueError(f"'{name}' is not a version name like v0001")
    return int(match.group(1))


@dataclass(frozen=True)
class Visible:
    """What one asker may see: global or own chunks, valid at `at` (epoch seconds), visibility."""

    customer_id: str
    at: int
    visibility: tuple[str, ...]
    sources: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Scored:
    point_id: str
    score: float
    payload: dict[str, Any]


class Store(Protocol):
    """One index version."""

    def upsert(
        self, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]
    ) -> None: ...
    def overwrite_payloads(self, ids: list[str], payloads: list[dict[str, Any]]) -> None: ...
    def delete(self, ids: list[str]) -> None: ...
    def scroll(self, fields: list[str]) -> list[tuple[str, dict[str, Any]]]: ...
    def count(self) -> int: ...
    def search(self, vectors: np.ndarray, where: list[Visible], k: int) -> list[list[Scored]]: ...
    def optimize(self) -> bool: ...
    def close(self) -> None: ...


class Catalog(Protocol):
    """The versions of one index, and which one readers use."""

    def versions(self) -> list[str]: ...
    def current(self) -> str | None: ...
    def create(self, version: str, dim: int, manifest: dict[str, Any]) -> Store: ...
    def open(self, version: str) -> Store: ...
    def open_current(self, timeout: float) -> tuple[str, dict[str, Any], Store] | None: ...
    def state(self) -> str: ...
    def switch(self, version: str) -> None: ...
    def drop(self, version: str) -> None: ...
    def read_manifest(self, version: str) -> dict[str, Any] | None: ...
    def write_manifest(self, version: str, manifest: dict[str, Any]) -> None: ...
    def publish_lock(self) -> contextlib.AbstractContextManager[Any]: ...
    def close(self) -> None: ...


def open_catalog(p: IndexParams, index_dir: Path) -> Catalog:
    if p.backend == "embedded":
        return EdgeCatalog(p, index_dir)
    return ServerCatalog(p, index_dir)


def complete_scroll(
    pages: Iterator[list[tuple[str, dict[str, Any]]]], expected: int
) -> list[tuple[str, dict[str, Any]]]:
    """All points or an error: a sync must never diff (and delete) against a partial read."""
    records = [record for page in pages for record in page]
    ids = {record[0] for record in records}
    if len(records) != expected or len(ids) != expected:
        raise RuntimeError(
            f"index scroll returned {len(records)} records ({len(ids)} distinct) but the index "
            f"counts {expected} points; refusing to sync against a partial read"
        )
    return records


def _without_none(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if v is not None}


# --------------------------------------------------------------------------- embedded (qdrant-edge)


def copy_sparse(src: str, dst: str) -> str:
    """copy2 that keeps holes: qdrant preallocates 32 MiB sparse files that copy2 would fill."""
    with open(src, "rb") as source, open(dst, "wb") as target:
        size = os.fstat(source.fileno()).st_size
        offset = 0
        while offset < size:
            try:
                start = os.lseek(source.fileno(), offset, os.SEEK_DATA)
            except OSError as error:
                if error.errno != errno.ENXIO:  # ENXIO: only a hole is left
                    raise
                break
            end = os.lseek(source.fileno(), start, os.SEEK_HOLE)
            target.seek(start)
            for block_start in range(start, end, 1 << 20):
                target.write(
                    os.pread(source.fileno(), min(1 << 20, end - block_start), block_start)
                )
            offset = end
        target.truncate(size)
    shutil.copystat(src, dst)
    return dst


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
        shard.update(
            UpdateOperation.create_field_index(TENANT_FIELD, KeywordIndexParams(is_tenant=True))
        )
        for field in KEYWORD_FIELDS:
            shard.update(UpdateOperation.create_field_index(field, PayloadSchemaType.Keyword))
        for field in EPOCH_FIELDS:
            shard.update(
                UpdateOperation.create_field_index(
                    field, IntegerIndexParams(lookup=False, range=True)
                )
            )
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

    def scroll(self, fields: list[str]) -> list[tuple[str, dict[str, Any]]]:
        from qdrant_edge import ScrollRequest

        def pages() -> Iterator[list[tuple[str, dict[str, Any]]]]:
            offset = None
            while True:
                records, offset = self._shard.scroll(
                    ScrollRequest(
                        offset=offset, limit=SCROLL_BATCH, with_payload=fields, with_vector=False
                    )
                )
                yield [(str(r.id), dict(r.payload or {})) for r in records]
                if offset is None:
                    return

        return complete_scroll(pages(), self.count())

    def search(self, vectors: np.ndarray, where: list[Visible], k: int) -> list[list[Scored]]:
        from qdrant_edge import Query, QueryBatchRequest, QueryRequest, SearchParams

        params = SearchParams(hnsw_ef=self._p.hnsw_ef, exact=self._p.exact)
        requests = [
            QueryRequest(
                limit=k,
                query=Query.Nearest(v.tolist()),
                filter=_edge_filter(w),
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


def _edge_filter(where: Visible) -> Any:
    from qdrant_edge import (
        FieldCondition,
        Filter,
        IsEmptyCondition,
        MatchAny,
        MatchValue,
        RangeFloat,
    )

    own: list[Any] = [IsEmptyCondition(TENANT_FIELD)]
    if where.customer_id:
        own.append(FieldCondition(TENANT_FIELD, match=MatchValue(where.customer_id)))
    must: list[Any] = [
        Filter(should=own),
        Filter(
            should=[
                IsEmptyCondition("valid_from_epoch"),
                FieldCondition("valid_from_epoch", range=RangeFloat(lte=where.at)),
            ]
        ),
        Filter(
            should=[
                IsEmptyCondition("valid_until_epoch"),
                FieldCondition("valid_until_epoch", range=RangeFloat(gt=where.at)),
            ]
        ),
        FieldCondition("visibility", match=MatchAny(list(where.visibility))),
    ]
    if where.sources is not None:
        must.append(FieldCondition("source", match=MatchAny(list(where.sources))))
    return Filter(must=must)


class EdgeCatalog:
    def __init__(self, p: IndexParams, index_dir: Path) -> None:
        self._p = p
        self.index_dir = index_dir
        self.versions_dir = index_dir / "versions"
        self.snapshots_dir = index_dir / "snapshots"
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
        self._remove_stale_snapshots()
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

    def _remove_stale_snapshots(self) -> None:
        """Snapshots of readers that died without close()."""
        for entry in self.snapshots_dir.iterdir():
            pid = entry.name.split("-", 1)[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)

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
        from tasks.reports import read_json

        path = self.versions_dir / version / "manifest.json"
        return read_json(path) if path.is_file() else None

    def write_manifest(self, version: str, manifest: dict[str, Any]) -> None:
        from tasks.reports import write_json_atomic

        write_json_atomic(self.versions_dir / version / "manifest.json", _without_none(manifest))

    def publish_lock(self) -> contextlib.AbstractContextManager[Any]:
        return acquire(self._lock, self._p.lock_timeout)

    def close(self) -> None:
        return None


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# --------------------------------------------------------------------------- server (qdrant-client)

_MEMORY_CLIENT: list[QdrantClient] = []  # `:memory:` is one store per process, shared by all


def connect(p: IndexParams) -> tuple[QdrantClient, bool]:
    """The client, and whether it is shared (`:memory:`) and so must not be closed."""
    from qdrant_client import QdrantClient

    url = p.url
    if not url:
        raise UserError(
            "index.backend is 'server' but no Qdrant URL is set; set index.qdrant_url "
            "(or QDRANT_URL), e.g. http://localhost:6333, or use index.backend=embedded"
        )
    if url == ":memory:":
        if not _MEMORY_CLIENT:
            _MEMORY_CLIENT.append(QdrantClient(location=":memory:"))
        return _MEMORY_CLIENT[0], True
    if url.startswith("local:"):  # one open client per directory at a time, like a file DB
        return QdrantClient(path=url.removeprefix("local:")), False
    return QdrantClient(url=url, api_key=p.api_key), False


class ServerStore:
    def __init__(self, client: QdrantClient, collection: str, p: IndexParams) -> None:
        self._client = client
        self._collection = collection
        self._p = p

    def upsert(self, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        from qdrant_client import models

        batch = models.Batch(ids=list(ids), vectors=vectors.tolist(), payloads=list(payloads))
        self._client.upsert(self._collection, points=batch, wait=True)

    def overwrite_payloads(self, ids: list[str], payloads: list[dict[str, Any]]) -> None:
        from qdrant_client import models

        if not ids:
            return
        operations = [
            models.OverwritePayloadOperation(
                overwrite_payload=models.SetPayload(payload=pl, points=[i])
            )
            for i, pl in zip(ids, payloads, strict=True)
        ]
        self._client.batch_update_points(self._collection, update_operations=operations, wait=True)

    def delete(self, ids: list[str]) -> None:
        from qdrant_client import models

        if ids:
            self._client.delete(
                self._collection, points_selector=models.PointIdsList(points=list(ids)), wait=True
            )

    def count(self) -> int:
        return int(self._client.count(self._collection, exact=True).count)

    def scroll(self, fields: list[str]) -> list[tuple[str, dict[str, Any]]]:
        def pages() -> Iterator[list[tuple[str, dict[str, Any]]]]:
            offset = None
            while True:
                records, offset = self._client.scroll(
                    self._collection,
                    limit=SCROLL_BATCH,
                    offset=offset,
                    with_payload=fields,
                    with_vectors=False,
                )
                yield [(str(r.id), dict(r.payload or {})) for r in records]
                if offset is None:
                    return

        return complete_scroll(pages(), self.count())

    def search(self, vectors: np.ndarray, where: list[Visible], k: int) -> list[list[Scored]]:
        from qdrant_client import models

        params = models.SearchParams(hnsw_ef=self._p.hnsw_ef, exact=self._p.exact)
        requests = [
            models.QueryRequest(
                query=v.tolist(),
                filter=_server_filter(w),
                limit=k,
                with_payload=True,
                params=params,
            )
            for v, w in zip(vectors, where, strict=True)
        ]
        with (
            warnings.catch_warnings()
        ):  # local mode: "search params are ignored" (it is brute force)
            warnings.simplefilter("ignore", UserWarning)
            responses = self._client.query_batch_points(self._collection, requests=requests)
        return [
            [Scored(str(h.id), float(h.score), dict(h.payload or {})) for h in response.points]
            for response in responses
        ]

    def optimize(self) -> bool:
        return False  # the server optimizes in the background

    def close(self) -> None:
        return None


def _server_filter(where: Visible) -> Any:
    from qdrant_client import models

    def empty(key: str) -> models.IsEmptyCondition:
        return models.IsEmptyCondition(is_empty=models.PayloadField(key=key))

    own: list[Any] = [empty(TENANT_FIELD)]
    if where.customer_id:
        own.append(
            models.FieldCondition(
                key=TENANT_FIELD, match=models.MatchValue(value=where.customer_id)
            )
        )
    must: list[Any] = [
        models.Filter(should=own),
        models.Filter(
            should=[
                empty("valid_from_epoch"),
                models.FieldCondition(key="valid_from_epoch", range=models.Range(lte=where.at)),
            ]
        ),
        models.Filter(
            should=[
                empty("valid_until_epoch"),
                models.FieldCondition(key="valid_until_epoch", range=models.Range(gt=where.at)),
            ]
        ),
        models.FieldCondition(key="visibility", match=models.MatchAny(any=list(where.visibility))),
    ]
    if where.sources is not None:
        must.append(
            models.FieldCondition(key="source", match=models.MatchAny(any=list(where.sources)))
        )
    return models.Filter(must=must)


class ServerCatalog:
    def __init__(self, p: IndexParams, index_dir: Path) -> None:
        self._p = p
        self.alias = p.collection
        self._client, self._shared = connect(p)

    def collection(self, version: str) -> str:
        return f"{self.alias}_{version}"

    def versions(self) -> list[str]:
        prefix = f"{self.alias}_"
        names = [c.name.removeprefix(prefix) for c in self._client.get_collections().collections]
        return sorted((n for n in names if VERSION_PATTERN.match(n)), key=version_number)

    def current(self) -> str | None:
        for alias in self._client.get_aliases().aliases:
            if alias.alias_name == self.alias:
                return alias.collection_name.removeprefix(f"{self.alias}_")
        return None

    def create(self, version: str, dim: int, manifest: dict[str, Any]) -> Store:
        from qdrant_client import models

        name = self.collection(version)
        if self._client.collection_exists(name):
            self._client.delete_collection(name)
        p = self._p
        self._client.create_collection(
            name,
            vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE),
            hnsw_config=models.HnswConfigDiff(
                m=p.hnsw_m,
                ef_construct=p.hnsw_ef_construct,
                full_scan_threshold=p.full_scan_threshold_kb,
            ),
            optimizers_config=models.OptimizersConfigDiff(
                indexing_threshold=p.indexing_threshold_kb
            ),
            metadata={MANIFEST_KEY: _without_none(manifest)},
        )
        with warnings.catch_warnings():  # local mode: "payload indexes have no effect"
            warnings.simplefilter("ignore", UserWarning)
            self._client.create_payload_index(
                name,
                TENANT_FIELD,
                models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True),
            )
            for field in KEYWORD_FIELDS:
                self._client.create_payload_index(name, field, models.PayloadSchemaType.KEYWORD)
            for field in EPOCH_FIELDS:
                self._client.create_payload_index(
                    name,
                    field,
                    models.IntegerIndexParams(
                        type=models.IntegerIndexType.INTEGER, lookup=False, range=True
                    ),
                )
        return ServerStore(self._client, name, p)

    def open(self, version: str) -> Store:
        return ServerStore(self._client, self.collection(version), self._p)

    def open_current(self, timeout: float) -> tuple[str, dict[str, Any], Store] | None:
        version = self.current()
        manifest = self.read_manifest(version) if version else None
        if version is None or manifest is None:
            return None
        return version, manifest, self.open(version)

    def state(self) -> str:
        version = self.current()
        if version is None:
            return ""
        return f"{version}:{self.read_manifest(version)}"

    def switch(self, version: str) -> None:
        from qdrant_client import models

        operations: list[Any] = []
        if self.current() is not None:
            operations.append(
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=self.alias))
            )
        operations.append(
            models.CreateAliasOperation(
                create_alias=models.CreateAlias(
                    collection_name=self.collection(version), alias_name=self.alias
                )
            )
        )
        self._client.update_collection_aliases(change_aliases_operations=operations)

    def drop(self, version: str) -> None:
        self._client.delete_collection(self.collection(version))

    def read_manifest(self, version: str) -> dict[str, Any] | None:
        name = self.collection(version)
        if not self._client.collection_exists(name):
            return None
        metadata = self._client.get_collection(name).config.metadata or {}
        manifest = metadata.get(MANIFEST_KEY)
        return dict(manifest) if isinstance(manifest, dict) else None

    def write_manifest(self, version: str, manifest: dict[str, Any]) -> None:
        self._client.update_collection(
            self.collection(version), metadata={MANIFEST_KEY: _without_none(manifest)}
        )

    def publish_lock(self) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def close(self) -> None:
        if not self._shared:
            self._client.close()


class IndexBusy(UserError):
    """Another process holds an index lock for longer than we may wait."""


@contextlib.contextmanager
def acquire(lock: FileLock, timeout: float) -> Iterator[None]:
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise IndexBusy(
            f"another process holds '{lock.lock_file}' (waited {timeout:.0f} s); let the running "
            "index step finish, or raise index.lock_timeout (a killed process's lock is released "
            "by the OS)"
        ) from None
    try:
        yield
    finally:
        lock.release()
