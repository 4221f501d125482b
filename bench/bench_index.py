"""Recall and latency of the embedded index on real MiniLM embeddings, HNSW vs exact search.

    python bench/bench_index.py [--curated out/curated] [--filler 6000] [--ef 8,16,32,64,128,256]

Corpus: the curated sample chunks, plus `--filler` paragraphs of real English text (docstrings of
installed packages) so that HNSW has something to do. Queries: the eval questions and sft prompts
(each with its customer), plus filler sentences. The HNSW graph is forced
(indexing_threshold_kb=1); recall@k counts the exact top-k ids an HNSW search also returns,
unfiltered and with the retriever's customer/validity/visibility filter. Prints embedding,
upsert, optimize and per-query timings.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from tasks.index.embed import embed_texts, load_embedder
from tasks.index.plan import desired_points
from tasks.index.retrieve import to_epoch
from tasks.index.store.base import Visible
from tasks.index.store.edge import EdgeStore
from tasks.params_loader import load_params
from tasks.sections import IndexParams

REPO = Path(__file__).resolve().parents[1]
FILLER_PACKAGES = ("pandas", "numpy", "scipy", "sklearn", "transformers", "mlflow", "torch")


def docstring_paragraphs(limit: int, rng: random.Random) -> list[str]:
    """Real technical prose without importing anything: module, class and function docstrings."""
    import importlib.util

    texts: list[str] = []
    for package in FILLER_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for path in sorted(Path(spec.submodule_search_locations[0]).rglob("*.py")):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8", errors="ignore"))
            except (SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef):
                    doc = ast.get_docstring(node) or ""
                    paragraph = " ".join(doc.split("\n\n")[0].split())
                    if 120 <= len(paragraph) <= 900:
                        texts.append(paragraph)
            if len(texts) > 2 * limit:
                break
    rng.shuffle(texts)
    return list(dict.fromkeys(texts))[:limit]


def recall(truth: list[list[str]], found: list[list[str]]) -> float:
    hits = sum(len(set(t) & set(f)) for t, f in zip(truth, found, strict=True))
    return hits / max(1, sum(len(t) for t in truth))


def embed_cached(
    model: object, texts: list[str], batch_size: int, cache: Path | None
) -> np.ndarray:
    """Embeddings, from `cache` when it holds these very texts (a re-run skips minutes of CPU)."""
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"embeddings-{key}.npy" if cache else None
    if path and path.is_file():
        return np.load(path)
    started = time.perf_counter()
    vectors = embed_texts(model, texts, batch_size)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    print(f"embedded {len(texts)} texts: {seconds:.1f} s, {len(texts) / seconds:.0f} texts/s")
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def build(workdir: Path, index: IndexParams, desired: list, vectors: np.ndarray) -> EdgeStore:
    shutil.rmtree(workdir, ignore_errors=True)
    store = EdgeStore.create(workdir, vectors.shape[1], index)
    started = time.perf_counter()
    for start in range(0, len(desired), index.upsert_batch):
        part = desired[start : start + index.upsert_batch]
        vecs = vectors[start : start + index.upsert_batch]
        store.upsert([d.point_id for d in part], vecs, [d.payload for d in part])
    seconds = time.perf_counter() - started
    print(f"upsert: {seconds:.2f} s, {len(desired) / seconds:.0f} points/s")
    started = time.perf_counter()
    store.optimize()
    seconds = time.perf_counter() - started
    print(
        f"optimize (m={index.hnsw_m}, ef_construct={index.hnsw_ef_construct}): {seconds:.1f} s, "
        f"{store.indexed_vectors()} vectors in HNSW"
    )
    return store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--curated", type=Path, default=REPO / "out" / "curated")
    parser.add_argument("--filler", type=int, default=6000)
    parser.add_argument("--ef", default="8,16,32,64,128,256")
    parser.add_argument("--k", default="3,10")
    parser.add_argument("--cache", type=Path, default=None, help="keep embeddings here")
    args = parser.parse_args()
    rng = random.Random(0)
    params = load_params(REPO / "params.yaml", ["index.indexing_threshold_kb=1"])
    model = load_embedder(params)

    chunks = pd.read_parquet(args.curated / "chunks.parquet").to_dict("records")
    filler = docstring_paragraphs(args.filler + 400, rng)
    filler_docs, filler_queries = filler[: args.filler], filler[args.filler :]
    for i, text in enumerate(filler_docs):
        chunks.append({**chunks[0], "chunk_id": f"filler-{i}", "doc_id": f"FILLER-{i}",
                       "text": text, "title": "", "customer_id": "", "source": "kb",
                       "visibility": "public", "valid_from": "", "valid_until": ""})  # fmt: skip
    desired = list(desired_points(chunks).values())
    questions = pd.read_parquet(args.curated / "eval.parquet")
    sft = pd.read_parquet(args.curated / "sft.parquet")
    queries = [*questions["question"], *sft["prompt"], *(q.split(". ")[0] for q in filler_queries)]
    customers = [*questions["customer_id"], *sft["customer_id"], *[""] * len(filler_queries)]
    print(f"corpus: {len(desired)} chunks ({len(filler_docs)} filler), {len(queries)} queries")
    batch = params.embedding.encode_batch
    vectors = embed_cached(model, [d.text for d in desired], batch, args.cache)
    query_vectors = embed_cached(model, queries, batch, args.cache)

    now = to_epoch(datetime.now(UTC))
    visibility = tuple(params.retrieve.visibility)
    wheres = {
        "customer+validity filter": [Visible(c or "", now, visibility) for c in customers],
        "anonymous (globals only)": [Visible("", now, visibility) for _ in customers],
    }
    workdir = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        for full_scan_kb in (params.index.full_scan_threshold_kb, 1):
            print(f"\n== full_scan_threshold_kb={full_scan_kb} ==")
            index = params.index.model_copy(update={"full_scan_threshold_kb": full_scan_kb})
            store = build(workdir / f"shard-{full_scan_kb}", index, desired, vectors)
            for k in (int(x) for x in args.k.split(",")):
                for name, where in wheres.items():
                    store._p = index.model_copy(update={"exact": True})
                    started = time.perf_counter()
                    exact = store.search(query_vectors, where, k)
                    ms = (time.perf_counter() - started) / len(queries) * 1000
                    truth = [[s.point_id for s in hits] for hits in exact]
                    print(f"recall@{k} vs exact, {name} (exact: {ms:.2f} ms/query, batched)")
                    for ef in (int(x) for x in args.ef.split(",")):
                        store._p = index.model_copy(update={"hnsw_ef": ef})
                        started = time.perf_counter()
                        found = store.search(query_vectors, where, k)
                        ms = (time.perf_counter() - started) / len(queries) * 1000
                        ids = [[s.point_id for s in hits] for hits in found]
                        print(
                            f"  hnsw_ef={ef:<4} recall {recall(truth, ids):.4f}  {ms:.2f} ms/query"
                        )
            store._p = index
            started = time.perf_counter()
            for i in range(100):
                store.search(
                    query_vectors[i : i + 1], wheres["customer+validity filter"][i : i + 1], 3
                )
            ms = (time.perf_counter() - started) / 100 * 1000
            print(f"one query at a time, k=3, hnsw_ef={index.hnsw_ef}: {ms:.2f} ms/query")
            store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
