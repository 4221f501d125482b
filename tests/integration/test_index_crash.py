"""kill -9 in the middle of a sync or a rebuild, then run again: the index converges."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from index_corpus import kb_chunks, write_chunks

from tasks.index import index
from tasks.index.store.catalog import open_catalog
from tasks.index.versions import current_version
from tasks.params import Params

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

pytestmark = pytest.mark.integration

# Runs index.run in a child whose second upsert batch announces itself and then hangs, so the
# parent kills it mid-write: some points are in, the rest, the deletes and the manifest are not.
CHILD = textwrap.dedent(
    """
    import sys, time
    from tasks.index.store.edge import EdgeStore
    from tasks.index.store.server import ServerStore
    from tasks.index import index
    from tasks.params_loader import load_params

    calls = 0
    for backend in (EdgeStore, ServerStore):
        def upsert(self, *args, _upsert=backend.upsert, **kwargs):
            global calls
            _upsert(self, *args, **kwargs)
            calls += 1
            if calls == 2:
                print("MIDWAY", flush=True)
                time.sleep(300)
        backend.upsert = upsert
    index.run(load_params(sys.argv[1]), full=sys.argv[2] == "full")
    print("FINISHED", flush=True)
    """
)


def kill_midway(params: Params, tmp_path: Path, full: bool) -> None:
    params_file = tmp_path / "child-params.yaml"
    params_file.write_text(yaml.safe_dump(params.as_dict()))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(params_file), "full" if full else "sync"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        assert line == "MIDWAY", child.stderr.read() if child.stderr else line
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL


def index_state(params: Params) -> tuple[str | None, list[str], list[str]]:
    """(current version, all versions, chunk ids stored in the current one)."""
    catalog = open_catalog(params.index, params.paths.index_dir)
    try:
        current = catalog.current()
        chunk_ids: list[str] = []
        if current:
            store = catalog.open(current)
            chunk_ids = [p["chunk_id"] for _, p in store.scroll(["chunk_id"])]
            store.close()
        return current, catalog.versions(), chunk_ids
    finally:
        catalog.close()


def test_a_sync_killed_midway_converges_on_rerun(
    index_params: Callable[..., Params], embedder: SentenceTransformer, tmp_path: Path
) -> None:
    params = index_params("index.upsert_batch=2")
    chunks = kb_chunks()
    write_chunks(params, chunks[:6])
    index.run(params, embedder=embedder)

    wanted = [dict(c) for c in chunks[2:]]  # 2 deleted, 4 added
    wanted[0]["text"] = "Invoices are now issued on the last day of the period."  # 1 edited
    write_chunks(params, wanted)
    kill_midway(params, tmp_path, full=False)
    _, _, partial = index_state(params)
    assert sorted(partial) != sorted(c["chunk_id"] for c in wanted)  # killed mid-way indeed

    report = index.run(params, embedder=embedder)
    assert (report.mode, report.embedded, report.deleted) == ("incremental", 1, 2)  # 4 of 5 were in
    current, versions, stored = index_state(params)
    assert (current, versions) == ("v0001", ["v0001"])
    assert Counter(stored) == Counter(c["chunk_id"] for c in wanted)  # no duplicates, no orphans
    assert index.run(params, embedder=embedder).embedded == 0


def test_a_rebuild_killed_midway_leaves_readers_alone_and_resumes(
    index_params: Callable[..., Params], embedder: SentenceTransformer, tmp_path: Path
) -> None:
    params = index_params("index.upsert_batch=2")
    chunks = kb_chunks()
    write_chunks(params, chunks)
    index.run(params, embedder=embedder)
    before = current_version(params)

    kill_midway(params, tmp_path, full=True)
    current, versions, stored = index_state(params)
    assert (current, versions) == ("v0001", ["v0001", "v0002"])  # v0002 unfinished, unpublished
    assert current_version(params) == before and len(stored) == len(chunks)

    resumed = index.run(params, full=True, embedder=embedder)
    assert (resumed.version, resumed.points) == ("v0002", len(chunks))
    assert resumed.embedded == len(chunks) - 4  # the 4 points written before the kill stay
    current, versions, stored = index_state(params)
    assert (current, versions) == ("v0002", ["v0001", "v0002"])
    assert Counter(stored) == Counter(c["chunk_id"] for c in chunks)

    # what another killed rebuild leaves behind
    catalog = open_catalog(params.index, params.paths.index_dir)
    catalog.create("v0003", 384, {"version": "v0003", "state": "building"}).close()
    catalog.close()
    synced = index.run(params, embedder=embedder)  # a plain sync: it syncs v0002, drops v0003
    assert (synced.mode, synced.version, synced.embedded) == ("incremental", "v0002", 0)
    assert index_state(params)[1] == ["v0001", "v0002"]
