"""Would hybrid retrieval help? Dense (the index as built) vs BM25 (bm25s) vs the two fused by
reciprocal rank fusion, on the sample eval questions' gold documents.

    python bench/bench_hybrid.py [--out out] [--rrf-k 60]

Each question is asked as its customer, and every method ranks the same candidates: the chunks
that customer may see now (the index's own filter, read back with an exact search of every
visible chunk). recall@k (over the top k chunks) and MRR are the evaluation's own
(tasks/evaluate/metrics.py): by document, chunks of one document counted once, in rank order.
Needs `tandem index` (or `make demo`) first.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import bm25s

from tasks.evaluate import metrics
from tasks.index.plan import embedding_text
from tasks.index.retrieve import Retriever
from tasks.params_loader import load_params
from tasks.schema import read_eval

REPO = Path(__file__).resolve().parents[1]
KS = (1, 3, 5)


def rrf(rankings: list[list[str]], k: int) -> list[str]:
    """Reciprocal rank fusion: score(d) = sum over rankings of 1 / (k + rank of d)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda item: -scores[item])


def scores(rankings: list[list[str]], gold: list[set[str]]) -> dict[str, float]:
    """The evaluation's own retrieval metrics (tasks/evaluate/metrics.py) on a ranking of
    chunks' doc ids: recall@k over the top k chunks, what a retriever with k = `retrieve.k`
    shows."""
    pairs = list(zip(rankings, [sorted(g) for g in gold], strict=True))
    result = {
        f"recall@{k}": metrics.mean([metrics.recall_at_k(r[:k], g, k) for r, g in pairs])
        for k in KS
    }
    return {**result, "mrr": metrics.mean([metrics.mrr(r, g) for r, g in pairs])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "out")
    parser.add_argument("--rrf-k", type=int, default=60)
    args = parser.parse_args()
    params = load_params(REPO / "params.yaml", values={"paths.out_dir": str(args.out)})
    questions = [e for e in read_eval(params.paths.curated_dir / "eval.parquet") if e.gold_doc_ids]
    gold = [set(e.gold_doc_ids) for e in questions]

    with Retriever(params) as dense_retriever:
        dense = dense_retriever.search_many(
            [e.question for e in questions], [e.customer_id for e in questions], k=10
        )
    exact = params.model_copy(update={"index": params.index.model_copy(update={"exact": True})})
    with Retriever(exact) as everything:  # the visible candidates of each question, all of them
        visible = everything.search_many(
            [e.question for e in questions], [e.customer_id for e in questions], k=100_000
        )
    chunks = {h.chunk_id: h for hits in visible for h in hits}
    ids = sorted(chunks)
    corpus = bm25s.tokenize(
        [embedding_text(chunks[c].title, chunks[c].text) for c in ids],
        stopwords="en",
        show_progress=False,
    )
    bm25 = bm25s.BM25()
    bm25.index(corpus, show_progress=False)
    query_tokens = bm25s.tokenize(
        [e.question for e in questions], stopwords="en", show_progress=False
    )
    order, _ = bm25.retrieve(query_tokens, k=len(ids), show_progress=False)

    methods: dict[str, list[list[str]]] = {"dense": [], "bm25": [], "fused (rrf)": []}
    for n, hits in enumerate(visible):
        allowed = {h.chunk_id for h in hits}
        dense_chunks = [h.chunk_id for h in dense[n]]
        bm25_chunks = [ids[i] for i in order[n] if ids[i] in allowed][:10]
        fused_chunks = rrf([dense_chunks, bm25_chunks], args.rrf_k)[:10]
        for name, ranked in (
            ("dense", dense_chunks),
            ("bm25", bm25_chunks),
            ("fused (rrf)", fused_chunks),
        ):
            methods[name].append([chunks[c].doc_id for c in ranked])

    print(f"{len(questions)} eval questions with gold documents, {len(ids)} visible chunks in all")
    for name, rankings in methods.items():
        line = ", ".join(
            f"{metric} {value:.3f}" for metric, value in scores(rankings, gold).items()
        )
        print(f"{name:>12}: {line}")


if __name__ == "__main__":
    main()
