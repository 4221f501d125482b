"""The server backend: qdrant-client against a Qdrant server (or its local mode in tests);
a version is a collection, readers use the alias."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tasks.errors import UserError
from tasks.index.store.base import (
    PAYLOAD_INDEXES,
    SCROLL_BATCH,
    VERSION_PATTERN,
    FilterDialect,
    Record,
    Scored,
    Store,
    Visible,
    asker_filter,
    scroll_all,
    version_number,
    without_none,
)
from tasks.sections import IndexParams

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

MANIFEST_KEY = "tandem_manifest"  # the manifest's key in the collection metadata


_MEMORY_CLIENT: list[QdrantClient] = []  # `:memory:` is one store per process, shared by all


def connect(p: IndexParams) -> tuple[QdrantClient, bool]:
    """The client, and whether it is shared (`:memory:`) and so must not be closed."""
    from qdrant_client import QdrantClient

    url, mode = p.url, p.url_mode
    if url is None or mode == "none":
        raise UserError(
            "index.backend is 'server' but no Qdrant URL is set; set index.qdrant_url "
            "(or QDRANT_URL), e.g. http://localhost:6333, or use index.backend=embedded"
        )
    if mode == "memory":
        if not _MEMORY_CLIENT:
            _MEMORY_CLIENT.append(QdrantClient(location=":memory:"))
        return _MEMORY_CLIENT[0], True
    if mode == "local":  # one open client per directory at a time, like a file DB
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

    def scroll(self, fields: list[str]) -> list[Record]:
        def fetch(offset: Any) -> tuple[list[Record], Any]:
            records, following = self._client.scroll(
                self._collection,
                limit=SCROLL_BATCH,
                offset=offset,
                with_payload=fields,
                with_vectors=False,
            )
            return [(str(r.id), dict(r.payload or {})) for r in records], following

        return scroll_all(fetch, self.count())

    def search(self, vectors: np.ndarray, where: list[Visible], k: int) -> list[list[Scored]]:
        from qdrant_client import models

        params = models.SearchParams(hnsw_ef=self._p.hnsw_ef, exact=self._p.exact)
        dialect = server_dialect()
        requests = [
            models.QueryRequest(
                query=v.tolist(),
                filter=asker_filter(w, dialect),
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


def server_dialect() -> FilterDialect:
    from qdrant_client import models as m

    return FilterDialect(
        is_empty=lambda key: m.IsEmptyCondition(is_empty=m.PayloadField(key=key)),
        condition=lambda key, **kind: m.FieldCondition(key=key, **kind),
        match_value=lambda value: m.MatchValue(value=value),
        match_any=lambda values: m.MatchAny(any=values),
        range=m.Range,
        filter=m.Filter,
    )


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
            metadata={MANIFEST_KEY: without_none(manifest)},
        )
        with warnings.catch_warnings():  # local mode: "payload indexes have no effect"
            warnings.simplefilter("ignore", UserWarning)
            kinds: dict[str, Any] = {
                "tenant": models.KeywordIndexParams(
                    type=models.KeywordIndexType.KEYWORD, is_tenant=True
                ),
                "keyword": models.PayloadSchemaType.KEYWORD,
                "range": models.IntegerIndexParams(
                    type=models.IntegerIndexType.INTEGER, lookup=False, range=True
                ),
            }
            for field, kind in PAYLOAD_INDEXES:
                self._client.create_payload_index(name, field, kinds[kind])
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
            self.collection(version), metadata={MANIFEST_KEY: without_none(manifest)}
        )

    def publish_lock(self) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def close(self) -> None:
        if not self._shared:
            self._client.close()
