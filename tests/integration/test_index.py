"""index + retrieve on both backends with the real MiniLM: syncs, filters, versions, locks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from subprocess import PIPE
from typing import TYPE_CHECKING

import numpy as np
import pytest
from index_corpus import kb_chunks, write_chunks, write_eval

from tasks.errors import UserError
from tasks.index import index, versions
from tasks.index.embed import embed_texts, load_embedder
from tasks.index.retrieve import Retriever, parse_time
from tasks.index.store.base import IndexBusy
from tasks.index.store.catalog import open_catalog
from tasks.index.store.edge import EdgeStore
from tasks.params import Params

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

pytestmark = pytest.mark.integration

DURING_INC_001 = parse_time("2026-03-10T05:00:00Z")
AFTER_INC_002 = parse_time("2026-11-20T00:00:00Z")
EVERYTHING = 50  # k larger than the corpus: a filtered-out chunk is absent, not just ranked low


def doc_ids(retriever: Retriever, query: str, customer: str = "", **kwargs: object) -> list[str]:
    return [h.doc_id for h in retriever.search(query, customer_id=customer, **kwargs)]  # type: ignore[arg-type]


def stored_chunk_ids(params: Params) -> list[str]:
    catalog = open_catalog(params.index, params.paths.index_dir)
    try:
        version = catalog.current()
        assert version is not None
        store = catalog.open(version)
        try:
            return [p["chunk_id"] for _, p in store.scroll(["chunk_id"])]
        finally:
            store.close()
    finally:
        catalog.close()


def test_first_run_builds_and_a_rerun_embeds_nothing(
    index_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = index_params()
    chunks = kb_chunks()
    write_chunks(params, chunks)
    first = index.run(params, embedder=embedder)
    assert (first.mode, first.version, first.points, first.embedded) == ("full", "v0001", 10, 10)
    version_before = versions.current_version(params)

    again = index.run(params, embedder=embedder)
    assert (again.mode, again.embedded, again.payload_updated) == ("incremental", 0, 0)
    assert again.deleted == 0
    assert again.unchanged == len(chunks) == again.points
    assert versions.current_version(params) == version_before  # the manifest did not move
    assert (params.paths.reports_dir / "index.json").is_file()
    assert (params.paths.index_dir / "manifest.json").is_file()


def test_edits_additions_and_deletions_are_reflected_exactly(
    index_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = index_params()
    chunks = kb_chunks()
    write_chunks(params, chunks)
    index.run(params, embedder=embedder)

    by_id = {c["chunk_id"]: c for c in chunks}
    by_id["KB-001#0"]["text"] = "An admin resets passwords in Admin Console > Members > Reset."
    by_id["KB-002#0"]["valid_until"] = "2026-01-01"  # metadata only: the invoices article expired
    del by_id["KB-003#0"], by_id["KB-003#1"]  # the sharing article is gone
    by_id["KB-004#0"] = {
        **by_id["KB-001#0"],
        "chunk_id": "KB-004#0",
        "doc_id": "KB-004",
        "title": "Two-step verification",
        "text": "Turn on two-step verification in Settings > Security.",
    }
    write_chunks(params, list(by_id.values()))
    report = index.run(params, embedder=embedder)
    assert (report.embedded, report.payload_updated, report.deleted) == (2, 1, 2)
    assert report.unchanged == len(by_id) - 3 and report.points == len(by_id)
    assert sorted(stored_chunk_ids(params)) == sorted(by_id)

    with Retriever(params, embedder=embedder) as retriever:
        assert "KB-003" not in doc_ids(retriever, "share a folder with a link", k=EVERYTHING)
        assert doc_ids(retriever, "how do I enable 2FA two-step verification", k=1) == ["KB-004"]
        top = retriever.search("who can reset a password", k=1)[0]
        assert top.doc_id == "KB-001" and "Admin Console" in top.text
        assert "KB-002" not in doc_ids(retriever, "download invoice PDF", k=EVERYTHING)
    assert index.run(params, embedder=embedder).embedded == 0


def test_a_customer_never_retrieves_another_customers_chunks(
    index_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = index_params()
    chunks = kb_chunks()
    write_chunks(params, chunks)
    index.run(params, embedder=embedder)
    beta_ticket = next(c["text"] for c in chunks if c["chunk_id"] == "TCK-BETA#0")
    with Retriever(params, embedder=embedder) as retriever:
        as_acme = retriever.search(beta_ticket, customer_id="acme", k=EVERYTHING)  # adversarial
        assert {h.customer_id for h in as_acme} <= {"", "acme"}
        assert "TCK-ACME" in {h.doc_id for h in as_acme}
        as_nobody = retriever.search(beta_ticket, k=EVERYTHING)
        assert all(h.customer_id == "" for h in as_nobody)
        as_beta = retriever.search(beta_ticket, customer_id="beta", k=1)
        assert as_beta[0].doc_id == "TCK-BETA" and as_beta[0].customer_id == "beta"
        batched = retriever.search_many([beta_ticket, beta_ticket], ["acme", "beta"], k=EVERYTHING)
        assert "TCK-BETA" not in {h.doc_id for h in batched[0]}
        assert "TCK-BETA" in {h.doc_id for h in batched[1]}
        profile = retriever.search("plan", customer_id="beta", k=1, sources=("customer",))
        assert [h.doc_id for h in profile] == ["CUS-BETA"]


def test_expired_outages_are_not_retrieved_and_current_ones_are(
    index_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = index_params()
    write_chunks(params, kb_chunks())
    index.run(params, embedder=embedder)
    query = "uploads in the EU region are failing, is there an outage?"
    with Retriever(params, embedder=embedder) as retriever:
        during = doc_ids(retriever, query, at=DURING_INC_001, k=EVERYTHING)
        assert "INC-001" in during and "INC-002" not in during  # INC-002 had not started
        later = doc_ids(retriever, query, at=AFTER_INC_002, k=EVERYTHING)
        assert "INC-002" in later and "INC-001" not in later
        assert "INC-001" not in doc_ids(retriever, query, k=EVERYTHING)  # default: now
        assert "POL-001" in doc_ids(retriever, "refund an annual plan", k=2)  # internal is visible
    public_only = index_params("retrieve.visibility=[public]")
    with Retriever(public_only, embedder=embedder) as retriever:
        assert "POL-001" not in doc_ids(retriever, "refund an annual plan", k=EVERYTHING)


def test_full_rebuild_switches_readers_and_rollback_returns(
    index_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = index_params()
    write_chunks(params, kb_chunks())
    index.run(params, embedder=embedder)
    first = versions.current_version(params)
    rebuilt = index.run(params, full=True, embedder=embedder)
    assert (rebuilt.mode, rebuilt.version, rebuilt.previous_version) == ("full", "v0002", "v0001")
    assert versions.current_version(params)[0] == "v0002"
    with Retriever(params, embedder=embedder) as retriever:
        assert retriever.version == "v0002"

    back = index.rollback(params)
    assert (back.mode, back.version, back.previous_version) == ("rollback", "v0001", "v0002")
    assert versions.current_version(params) == first
    with Retriever(params, embedder=embedder) as retriever:
        assert retriever.version == "v0001"
        assert doc_ids(retriever, "reset my password", k=1) == ["KB-001"]
    with pytest.raises(UserError, match="no previous version"):
        index.rollback(params)

    for _ in range(3):  # keep_versions=2: the current one and the one before it
        index.run(params, full=True, embedder=embedder)
    catalog = open_catalog(params.index, params.paths.index_dir)
    try:
        assert catalog.versions() == ["v0004", "v0005"] and catalog.current() == "v0005"
    finally:
        catalog.close()


def test_a_rebuild_below_min_recall_keeps_the_old_version(
    index_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = index_params()
    write_chunks(params, kb_chunks())
    write_eval(
        params,
        [
            {"id": "q1", "question": "How do I reset my password?", "gold_doc_ids": ["KB-001"]},
            {"id": "q2", "question": "Where do I download invoices?", "gold_doc_ids": ["KB-002"]},
            {"id": "q3", "question": "Why does Okta SSO fail with E-4012?",
             "gold_doc_ids": ["TCK-ACME"], "customer_id": "acme"},
        ],
    )  # fmt: skip
    built = index.run(params, embedder=embedder)
    assert built.recall == 1.0

    wrong_gold = {"id": "q9", "question": "How do I reset my password?", "gold_doc_ids": ["KB-002"]}
    write_eval(params, [wrong_gold])
    with pytest.raises(UserError, match=r"recall@3 0\.000 on 1 eval questions.*kept version v0001"):
        index.run(params, full=True, embedder=embedder)
    assert versions.current_version(params)[0] == "v0001"
    catalog = open_catalog(params.index, params.paths.index_dir)
    try:
        assert catalog.versions() == ["v0001"]
    finally:
        catalog.close()


def test_a_new_chunking_rebuilds_automatically(
    index_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = index_params()
    write_chunks(params, kb_chunks())
    index.run(params, embedder=embedder)
    tokens = params.curate.chunk_tokens
    rechunked = index.run(index_params(f"curate.chunk_tokens={tokens + 16}"), embedder=embedder)
    assert (
        rechunked.mode == "full" and f"chunk_tokens ({tokens} -> {tokens + 16})" in rechunked.reason
    )
    assert rechunked.version == "v0002" and rechunked.embedded == rechunked.points


def test_a_second_writer_waits_for_the_lock_then_gives_up(
    index_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = index_params("index.lock_timeout=0.5")
    write_chunks(params, kb_chunks())
    params.paths.index_dir.mkdir(parents=True)
    holder = textwrap.dedent(
        f"""
        import sys, time
        from filelock import FileLock
        with FileLock({str(params.paths.index_dir / ".lock")!r}):
            print("locked", flush=True)
            time.sleep(float(sys.argv[1]))
        """
    )
    process = subprocess.Popen([sys.executable, "-c", holder, "30"], stdout=PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusy, match=r"index\.lock_timeout"):
            index.run(params, embedder=embedder)
    finally:
        process.kill()
        process.wait()
    process = subprocess.Popen([sys.executable, "-c", holder, "1"], stdout=PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        patient = index_params("index.lock_timeout=60")
        assert index.run(patient, embedder=embedder).points == 10  # waited, then ran
    finally:
        process.wait()


def test_a_long_lived_retriever_moves_to_what_a_sync_published(
    make_params: Callable[..., Params],
    embedder: SentenceTransformer,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    memory = ["index.backend=server", "index.qdrant_url=':memory:'"]  # one store shared in-process
    for backend in (["index.backend=embedded"], memory):
        out = tmp_path_factory.mktemp("refresh")
        overrides = [f"index.collection={out.name}", "retrieve.refresh_seconds=0"]
        params = make_params(*backend, *overrides, out_dir=out)
        chunks = kb_chunks()
        write_chunks(params, chunks)
        index.run(params, embedder=embedder)
        with Retriever(params, embedder=embedder) as retriever:
            assert "KB-003" in doc_ids(retriever, "share a folder", k=1)
            write_chunks(params, [c for c in chunks if c["doc_id"] != "KB-003"])
            assert index.run(params, embedder=embedder).deleted == 2  # not blocked by the reader
            assert "KB-003" not in doc_ids(retriever, "share a folder", k=EVERYTHING)
            index.run(params, full=True, embedder=embedder)
            doc_ids(retriever, "share a folder")
            assert retriever.version == "v0002"


def test_missing_index_and_empty_chunks_are_user_errors(
    index_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = index_params()
    with pytest.raises(UserError, match="run `tandem index` first"):
        Retriever(params, embedder=embedder)
    with pytest.raises(UserError, match="run `tandem curate` first"):
        index.run(params, embedder=embedder)
    write_chunks(params, [])
    with pytest.raises(UserError, match="no chunks"):
        index.run(params, embedder=embedder)


def test_optimize_builds_hnsw_that_finds_what_exact_search_finds(
    make_params: Callable[..., Params], embedder: SentenceTransformer
) -> None:
    params = make_params("index.indexing_threshold_kb=1")  # force a graph on a tiny corpus
    write_chunks(params, kb_chunks())
    index.run(params, embedder=embedder)
    catalog = open_catalog(params.index, params.paths.index_dir)
    store = catalog.open("v0001")
    try:
        assert isinstance(store, EdgeStore) and store.indexed_vectors() == 10
    finally:
        store.close()
        catalog.close()
    queries = ["reset password", "refund policy", "EU outage", "share a folder", "invoices"]
    with Retriever(params, embedder=embedder) as approximate:
        found = [doc_ids(approximate, q, "beta", k=3) for q in queries]
    with Retriever(make_params("index.exact=true"), embedder=embedder) as exact:
        assert found == [doc_ids(exact, q, "beta", k=3) for q in queries]


def test_onnx_int8_embedder_is_exported_once_and_agrees_with_torch(
    make_params: Callable[..., Params], tmp_path: Path
) -> None:
    params = make_params("embedding.backend=onnx-int8", f"embedding.cache_dir={tmp_path / 'c'}")
    texts = [c["text"] for c in kb_chunks()]
    quantized = embed_texts(load_embedder(params), texts, 8)
    (marker,) = (tmp_path / "c" / "embedder-onnx-int8").glob("*/tandem_onnx.json")
    exported_at = marker.stat().st_mtime_ns
    torch = make_params("embedding.backend=torch")
    reference = embed_texts(load_embedder(torch), texts, 8)
    assert quantized.shape == reference.shape
    assert (quantized * reference).sum(axis=1).min() > 0.97  # cosine, both unit vectors
    embed_texts(load_embedder(params), texts[:1], 8)
    assert marker.stat().st_mtime_ns == exported_at  # reused, not exported again


def test_int8_vectors_do_not_depend_on_their_batch(
    make_params: Callable[..., Params], tmp_path: Path
) -> None:
    """embedding.batch_invariant (the default): a text's vector is the same alone or among
    others, so what an incremental sync writes equals what a rebuild writes."""
    params = make_params("embedding.backend=onnx-int8", f"embedding.cache_dir={tmp_path / 'c'}")
    model = load_embedder(params)
    texts = [c["text"] for c in kb_chunks()]
    alone = np.stack([embed_texts(model, [text], 1)[0] for text in texts])
    together = embed_texts(model, texts, params.embedding.encode_batch)
    assert (alone * together).sum(axis=1).min() >= 0.9999
    batched = make_params("embedding.backend=onnx-int8", "embedding.batch_invariant=false")
    assert batched.embedding.encode_batch == batched.embedding.batch_size > 1
    mixed = embed_texts(model, texts, batched.embedding.encode_batch)
    assert (alone * mixed).sum(axis=1).min() < 0.9999  # what the default avoids


def test_an_incremental_sync_writes_what_a_rebuild_writes(
    make_params: Callable[..., Params], tmp_path: Path
) -> None:
    overrides = ("embedding.backend=onnx-int8", f"embedding.cache_dir={tmp_path / 'c'}",
                 "index.exact=true")  # fmt: skip
    synced = make_params(*overrides, out_dir=tmp_path / "synced")
    chunks = kb_chunks()
    write_chunks(synced, chunks[:3])
    index.run(synced)
    write_chunks(synced, chunks)
    assert index.run(synced).embedded == len(chunks) - 3
    rebuilt = make_params(*overrides, out_dir=tmp_path / "rebuilt")
    write_chunks(rebuilt, chunks)
    index.run(rebuilt, full=True)
    queries = ["reset password", "refund policy", "EU outage", "share a folder", "invoices"]
    for query in queries:
        with Retriever(synced) as a, Retriever(rebuilt) as b:
            left = {h.chunk_id: h.score for h in a.search(query, customer_id="beta", k=50)}
            right = {h.chunk_id: h.score for h in b.search(query, customer_id="beta", k=50)}
        assert left.keys() == right.keys()
        assert all(abs(left[c] - right[c]) < 1e-5 for c in left), query
