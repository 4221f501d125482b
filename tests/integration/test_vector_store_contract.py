"""One contract, both backends: qdrant-edge shards and qdrant-client (local mode)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tasks.index.plan import to_desired
from tasks.index.retrieve import to_epoch
from tasks.index.store.base import Catalog, Store, Visible, point_id
from tasks.index.store.catalog import open_catalog
from tasks.params import Params

pytestmark = pytest.mark.integration

DIM = 8
NOW = to_epoch(datetime(2026, 6, 1, tzinfo=UTC))
BOTH = ["public", "internal"]


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def payload(chunk_id: str, **fields: Any) -> dict[str, Any]:
    row = {
        "chunk_id": chunk_id, "doc_id": chunk_id.split("#")[0], "position": 0, "text": chunk_id,
        "title": "", "source": "kb", "customer_id": "", "visibility": "public",
        "updated_at": "", "valid_from": "", "valid_until": "", "url": "", "content_hash": "",
    }  # fmt: skip
    return to_desired({**row, **fields}).payload


POINTS = {
    "KB-1#0": payload("KB-1#0"),
    "KB-2#0": payload("KB-2#0", visibility="internal"),
    "T-A#0": payload("T-A#0", customer_id="acme", source="ticket"),
    "T-B#0": payload("T-B#0", customer_id="beta", source="ticket"),
    "INC-OLD#0": payload("INC-OLD#0", source="incident", valid_until="2026-05-01"),
    "INC-NOW#0": payload("INC-NOW#0", source="incident", valid_from="2026-05-20"),
    "INC-NEXT#0": payload("INC-NEXT#0", source="incident", valid_from="2026-07-01"),
}


@pytest.fixture(params=["embedded", "server"])
def params(
    request: pytest.FixtureRequest, make_params: Callable[..., Params], tmp_path: Path
) -> Params:
    if request.param == "server":
        return make_params("index.backend=server", f"index.qdrant_url=local:{tmp_path / 'qdrant'}")
    return make_params("index.backend=embedded")


@pytest.fixture
def catalog(params: Params) -> Iterator[Catalog]:
    catalog = open_catalog(params.index, params.paths.index_dir)
    yield catalog
    catalog.close()


@pytest.fixture
def store(catalog: Catalog) -> Iterator[Store]:
    store = catalog.create("v0001", DIM, {"version": "v0001", "state": "building"})
    ids = [point_id(c) for c in POINTS]
    store.upsert(ids, np.stack([unit(i) for i in range(len(ids))]), list(POINTS.values()))
    yield store
    store.close()


def visible_ids(store: Store, where: Visible, k: int = 20) -> set[str]:
    return {s.payload["chunk_id"] for s in store.search(unit(0)[None, :], [where], k)[0]}


def test_upsert_scroll_count_delete(store: Store) -> None:
    assert store.count() == len(POINTS)
    scrolled = dict(store.scroll(["chunk_id", "embed_hash"]))
    assert set(scrolled) == {point_id(c) for c in POINTS}
    assert {p["chunk_id"] for p in scrolled.values()} == set(POINTS)
    assert all(set(p) == {"chunk_id", "embed_hash"} for p in scrolled.values())

    store.upsert([point_id("KB-1#0")], unit(1)[None, :], [POINTS["KB-1#0"]])  # same id again
    assert store.count() == len(POINTS)
    store.delete([point_id("KB-1#0"), point_id("never-there")])
    assert store.count() == len(POINTS) - 1


def test_overwrite_payload_keeps_the_vector(store: Store) -> None:
    pid = point_id("KB-1#0")
    before = store.search(unit(0)[None, :], [Visible("", NOW, tuple(BOTH))], 1)[0][0]
    store.overwrite_payloads([pid], [payload("KB-1#0", title="Renamed")])
    after = store.search(unit(0)[None, :], [Visible("", NOW, tuple(BOTH))], 1)[0][0]
    assert before.point_id == after.point_id == pid
    assert after.score == pytest.approx(before.score, abs=1e-5)
    assert after.payload["title"] == "Renamed"


def test_search_never_crosses_customers(store: Store) -> None:
    acme = visible_ids(store, Visible("acme", NOW, tuple(BOTH)))
    assert "T-A#0" in acme and "T-B#0" not in acme
    anonymous = visible_ids(store, Visible("", NOW, tuple(BOTH)))
    assert not {"T-A#0", "T-B#0"} & anonymous
    assert "KB-1#0" in anonymous


def test_search_respects_validity_visibility_and_sources(store: Store) -> None:
    now = visible_ids(store, Visible("", NOW, tuple(BOTH)))
    assert "INC-NOW#0" in now and "INC-OLD#0" not in now and "INC-NEXT#0" not in now
    past = visible_ids(store, Visible("", to_epoch(datetime(2026, 4, 1, tzinfo=UTC)), tuple(BOTH)))
    assert "INC-OLD#0" in past and "INC-NOW#0" not in past
    boundary = to_epoch(datetime(2026, 5, 1, tzinfo=UTC))  # valid_until is exclusive
    assert "INC-OLD#0" not in visible_ids(store, Visible("", boundary, tuple(BOTH)))
    assert "INC-OLD#0" in visible_ids(store, Visible("", boundary - 1, tuple(BOTH)))
    public = visible_ids(store, Visible("", NOW, ("public",)))
    assert "KB-2#0" not in public and "KB-1#0" in public
    incidents = visible_ids(store, Visible("acme", NOW, tuple(BOTH), sources=("incident",)))
    assert incidents == {"INC-NOW#0"}


def test_batched_search_keeps_order_and_k(store: Store) -> None:
    wheres = [Visible("acme", NOW, tuple(BOTH)), Visible("beta", NOW, tuple(BOTH))]
    results = store.search(np.stack([unit(2), unit(3)]), wheres, 2)
    assert [len(r) for r in results] == [2, 2]
    assert results[0][0].payload["chunk_id"] == "T-A#0"  # unit(2) is T-A's own vector
    assert results[1][0].payload["chunk_id"] == "T-B#0"


def test_catalog_versions_switch_and_manifests(catalog: Catalog, store: Store) -> None:
    assert catalog.versions() == ["v0001"] and catalog.current() is None
    assert catalog.open_current(timeout=1) is None  # nothing published yet
    catalog.write_manifest("v0001", {"version": "v0001", "state": "ready", "recall": None})
    assert catalog.read_manifest("v0001") == {"version": "v0001", "state": "ready"}
    catalog.switch("v0001")
    assert catalog.current() == "v0001"
    state = catalog.state()

    second = catalog.create("v0002", DIM, {"version": "v0002", "state": "ready"})
    second.upsert([point_id("x#0")], unit(9)[None, :], [payload("x#0")])
    second.close()
    catalog.switch("v0002")
    assert catalog.current() == "v0002" and catalog.state() != state
    opened = catalog.open_current(timeout=1)
    assert opened is not None
    version, manifest, reader = opened
    assert (version, manifest["version"], reader.count()) == ("v0002", "v0002", 1)
    reader.close()
    catalog.drop("v0002")
    assert catalog.versions() == ["v0001"]


def test_embedded_reader_searches_a_snapshot_while_the_writer_writes(
    params: Params, catalog: Catalog, store: Store
) -> None:
    if params.index.backend != "embedded":
        pytest.skip("server readers query the collection itself")
    store.close()  # writers close (flush) before readers snapshot
    catalog.write_manifest("v0001", {"version": "v0001", "state": "ready"})
    catalog.switch("v0001")
    opened = catalog.open_current(timeout=1)
    assert opened is not None
    _, _, reader = opened
    writer = catalog.open("v0001")  # the shard's WAL lock is free: the reader has its own copy
    writer.delete([point_id("KB-1#0")])
    assert writer.count() == len(POINTS) - 1
    assert reader.count() == len(POINTS)
    writer.close()
    reader.close()
    snapshots = params.paths.index_dir / "snapshots"
    assert not any(snapshots.iterdir())  # closed readers leave nothing behind
