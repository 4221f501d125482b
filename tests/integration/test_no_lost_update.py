"""No lost update, no mixed generation: a sync that waited for the writer lock indexes what is
curated when it gets the lock, and a curate killed between its files leaves the previous
generation whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import yaml
from index_corpus import kb_chunks, write_chunks

from tasks.index import index
from tasks.index.index import writer_lock
from tasks.index.store.catalog import open_catalog
from tasks.params import Params
from tasks.reports import file_sha256
from tests.conftest import write_tiny_sources

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

pytestmark = pytest.mark.integration


def indexed_chunk_ids(params: Params) -> set[str]:
    catalog = open_catalog(params.index, params.paths.index_dir)
    try:
        version = catalog.current()
        assert version is not None
        store = catalog.open(version)
        try:
            return {str(payload["chunk_id"]) for _, payload in store.scroll(["chunk_id"])}
        finally:
            store.close()
    finally:
        catalog.close()


def test_a_sync_that_waited_indexes_the_latest_curate(
    make_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = make_params("index.backend=embedded")
    old = kb_chunks()
    write_chunks(params, old)
    index.run(params, embedder=embedder)
    new = [*old[:-2], {**old[0], "chunk_id": "fresh-1", "text": "A brand new article text."}]
    done: list[index.IndexReport] = []
    with writer_lock(params):  # another run is syncing: ours waits for the lock...
        waiting = threading.Thread(target=lambda: done.append(index.run(params, embedder=embedder)))
        waiting.start()
        time.sleep(1.0)
        write_chunks(params, new)  # ...while curate replaces the chunks
    waiting.join(timeout=300)
    assert done and indexed_chunk_ids(params) == {c["chunk_id"] for c in new}
    assert index.run(params, embedder=embedder).embedded == 0  # nothing stale written back


# curate in a child whose second Parquet file announces itself and then hangs, so the parent
# kills it between the files of one generation
CHILD = textwrap.dedent(
    """
    import sys, time
    import pyarrow.parquet as pq
    from tasks.data import curate
    from tasks.params_loader import load_params

    written, real = [], pq.write_table
    def write_table(table, where, *args, **kwargs):
        real(table, where, *args, **kwargs)
        written.append(where)
        if len(written) == 2:
            print("MIDWAY", flush=True)
            time.sleep(300)
    pq.write_table = write_table
    curate.run(load_params(sys.argv[1]))
    """
)


def test_a_curate_killed_between_its_files_leaves_the_previous_generation(
    make_params: Callable[..., Params], tmp_path: Path
) -> None:
    from tasks.data import curate, validate

    source = write_tiny_sources(tmp_path / "source")
    params = make_params(f"paths.source_dir={source}")
    validate.run(params)
    curate.run(params)
    before = {p.name: file_sha256(p) for p in params.paths.curated_dir.iterdir()}
    (source / "documents" / "kb.jsonl").write_text(
        (source / "documents" / "kb.jsonl").read_text().replace("24 hours", "48 hours")
    )
    validate.run(params)
    params_file = tmp_path / "child.yaml"
    params_file.write_text(yaml.safe_dump(params.as_dict()))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(params_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert child.stdout is not None and child.stdout.readline().strip() == "MIDWAY"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    after = {p.name: file_sha256(p) for p in params.paths.curated_dir.iterdir()}
    assert after == before  # the previous generation, whole
    curate.run(params)  # and the next curate publishes the new one
    assert {p.name: file_sha256(p) for p in params.paths.curated_dir.iterdir()} != before


def test_readers_open_the_index_while_a_sync_is_embedding(
    make_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    """The publish lock is held while changes are written, not while they are embedded: a
    search started mid-sync opens the current version at once (and sees it as before)."""
    from tasks.index.embed import embed_texts
    from tasks.index.retrieve import Retriever

    params = make_params("index.backend=embedded", "index.lock_timeout=2")
    old = kb_chunks()
    write_chunks(params, old)
    index.run(params, embedder=embedder)
    write_chunks(params, [*old, {**old[0], "chunk_id": "fresh-1", "text": "A new article."}])
    embedding, release = threading.Event(), threading.Event()

    def slow_batches(batches: list[list[str]]) -> Iterator[np.ndarray]:
        for texts in batches:
            embedding.set()
            assert release.wait(timeout=120)  # the embedding a large change would take
            yield embed_texts(embedder, texts, params.embedding.encode_batch)

    syncing = threading.Thread(target=lambda: index.run(params, embed_batches=slow_batches))
    syncing.start()
    try:
        assert embedding.wait(timeout=120)
        with Retriever(params, embedder=embedder) as retriever:  # lock_timeout=2 s or IndexBusy
            found = {h.chunk_id for h in retriever.search("share a folder", k=50)}
        assert found and found <= {c["chunk_id"] for c in old}  # the version before the sync
    finally:
        release.set()
        syncing.join(timeout=300)
    assert "fresh-1" in indexed_chunk_ids(params)
