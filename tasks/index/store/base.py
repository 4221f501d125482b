"""The Qdrant index behind one small interface; `index.backend` picks one of two backends.

embedded  qdrant-edge shards in this process (edge.py). A version is
          `index_dir/versions/v0001/` holding `shard/` and `manifest.json`; `index_dir/CURRENT`
          names the version readers use and is switched with os.replace. A shard has a single
          writer (its WAL is locked), so readers search a private snapshot copied under the
          publish lock, which in-place writers hold too.
server    qdrant-client (server.py). A version is the collection `<collection>_v0001`, its
          manifest lives in the collection's metadata, and readers use the alias
          `<collection>`, switched in one update_collection_aliases call. `index.qdrant_url` is
          `http(s)://host:port`, or for tests qdrant-client's local mode, brute force and without
          payload indexes: `local:<dir>` (one open client per directory at a time) or `:memory:`
          (one store per process).

A `Catalog` lists, creates, opens, switches and drops versions; a `Store` is one version. What
both backends share is written once here: the asker's filter, the payload indexes, the paging.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from filelock import FileLock, Timeout

from tasks.errors import UserError

# Fixed forever: point ids derive from it, and a new one would duplicate every chunk.
POINT_NAMESPACE = uuid.UUID("5b0f6c1e-7d2a-4c55-9a43-2f1de0c0a8b1")
VERSION_PATTERN = re.compile(r"^v(\d{4,})$")
TENANT_FIELD = "customer_id"
# The payload indexes every version gets: the tenant (co-located per customer), the keyword
# fields filters match on, and the validity epochs they compare with ranges.
PAYLOAD_INDEXES: tuple[tuple[str, str], ...] = (
    (TENANT_FIELD, "tenant"),
    *((name, "keyword") for name in ("doc_id", "source", "visibility")),
    *((name, "range") for name in ("updated_at_epoch", "valid_from_epoch", "valid_until_epoch")),
)
SCROLL_BATCH = 1000

Record = tuple[str, dict[str, Any]]


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


@dataclass(frozen=True)
class FilterDialect:
    """One backend's constructors for the few condition types an asker's filter is made of."""

    is_empty: Callable[[str], Any]  # key -> the field is missing, null or []
    condition: Callable[..., Any]  # (key, match=... | range=...) -> a field condition
    match_value: Callable[[str], Any]
    match_any: Callable[[list[str]], Any]
    range: Callable[..., Any]  # lte= | gt=
    filter: Callable[..., Any]  # should= | must=


def asker_filter(where: Visible, d: FilterDialect) -> Any:
    """Global chunks or the asker's own (never another customer's), valid at `at`
    (valid_from <= at < valid_until, empty = open-ended), with an allowed visibility."""
    own = [d.is_empty(TENANT_FIELD)]
    if where.customer_id:
        own.append(d.condition(TENANT_FIELD, match=d.match_value(where.customer_id)))
    since = d.condition("valid_from_epoch", range=d.range(lte=where.at))
    until = d.condition("valid_until_epoch", range=d.range(gt=where.at))
    must = [
        d.filter(should=own),
        d.filter(should=[d.is_empty("valid_from_epoch"), since]),
        d.filter(should=[d.is_empty("valid_until_epoch"), until]),
        d.condition("visibility", match=d.match_any(list(where.visibility))),
    ]
    if where.sources is not None:
        must.append(d.condition("source", match=d.match_any(list(where.sources))))
    return d.filter(must=must)


def scroll_all(fetch: Callable[[Any], tuple[list[Record], Any]], expected: int) -> list[Record]:
    """Every point, page by page (`fetch(offset) -> (records, next offset or None)`)."""

    def pages() -> Iterator[list[Record]]:
        offset = None
        while True:
            records, offset = fetch(offset)
            yield records
            if offset is None:
                return

    return complete_scroll(pages(), expected)


def complete_scroll(pages: Iterator[list[Record]], expected: int) -> list[Record]:
    """All points or an error: a sync must never diff (and delete) against a partial read."""
    records = [record for page in pages for record in page]
    ids = {record[0] for record in records}
    if len(records) != expected or len(ids) != expected:
        raise RuntimeError(
            f"index scroll returned {len(records)} records ({len(ids)} distinct) but the index "
            f"counts {expected} points; refusing to sync against a partial read"
        )
    return records


def without_none(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if v is not None}


class Store(Protocol):
    """One index version."""

    def upsert(
        self, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]
    ) -> None: ...
    def overwrite_payloads(self, ids: list[str], payloads: list[dict[str, Any]]) -> None: ...
    def delete(self, ids: list[str]) -> None: ...
    def scroll(self, fields: list[str]) -> list[Record]: ...
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
