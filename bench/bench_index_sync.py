"""What a re-index costs against a full one, and filtered search latency, at 10k and 100k chunks.

    python bench/bench_index_sync.py [--chunks 10000,100000] [--change 0.01] [--repeats 3]

For each size: a synthetic curated corpus (the sample chunks plus chunks of real technical prose,
40% of them one of 2,000 customers' tickets, some incidents with a validity window) goes through
the index step itself (`tasks.index.index.run`, the default params: embedded backend, ONNX int8
embedder). Timed: the full build (embedding, upsert, HNSW optimize, recall check); a re-run
with nothing changed; a re-run after `--change` of the chunks got new text (a different random
set each repeat); then the filtered query latency (customer + validity + visibility filter,
k=3) p50/p95 over 500 questions, in Qdrant alone and end to end with the question's embedding.
Medians of `--repeats`; re-index costs also as a ratio of the full build (targets: no change
<= 5%, 1% changed <= 10%). Needs the curated sample (`tandem curate` or `make demo`).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from bench_index import docstring_paragraphs

from tasks.index import index
from tasks.index.embed import embed_texts, load_embedder
from tasks.index.retrieve import Retriever, to_epoch
from tasks.index.store.base import Visible
from tasks.index.store.catalog import open_catalog
from tasks.params import Params
from tasks.params_loader import load_params

REPO = Path(__file__).resolve().parents[1]
CUSTOMERS = 2000
QUERIES = 500


def synthetic_chunks(sample: pd.DataFrame, total: int, rng: random.Random) -> pd.DataFrame:
    """The sample chunks, then `total - len(sample)` chunks stitched from real prose."""
    paragraphs = docstring_paragraphs(6000, rng)
    rows = []
    for n in range(total - len(sample)):
        text = f"{rng.choice(paragraphs)} {rng.choice(paragraphs)}"[
            : rng.randint(200, 500)
        ]  # the sample: 90-665, median 411
        roll = rng.random()
        if roll < 0.4:
            source, customer, visibility = (
                "ticket",
                f"CUS-{rng.randrange(CUSTOMERS):05d}",
                "internal",
            )
        elif roll < 0.42:
            source, customer, visibility = "incident", "", "public"
        else:
            source, customer, visibility = "kb", "", "public"
        start = datetime(2026, rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC)
        incident = source == "incident"
        rows.append(
            {
                **sample.iloc[0].to_dict(),
                "chunk_id": f"synthetic-{n}",
                "doc_id": f"SYN-{n // 3}",
                "position": n % 3,
                "text": text,
                "title": f"{source} {n // 3}",
                "source": source,
                "customer_id": customer,
                "visibility": visibility,
                "valid_from": start.isoformat() if incident else "",
                "valid_until": start.replace(hour=23).isoformat() if incident else "",
                "url": "",
            }
        )
    return pd.concat([sample, pd.DataFrame(rows)], ignore_index=True)


def change_some(chunks: pd.DataFrame, fraction: float, rng: random.Random, round_: int) -> int:
    picked = rng.sample(range(len(chunks)), max(1, int(len(chunks) * fraction)))
    chunks.loc[picked, "text"] = chunks.loc[picked, "text"] + f" (revised, round {round_})"
    return len(picked)


def query_latency(params: Params, questions: list[str], customers: list[str]) -> dict[str, float]:
    """ms per filtered query, one at a time: Qdrant alone, and with embedding the question."""
    now = to_epoch(datetime.now(UTC))
    visibility = tuple(params.retrieve.visibility)
    model = load_embedder(params)
    with Retriever(params, embedder=model) as retriever:
        for question, customer in zip(questions[:20], customers[:20], strict=True):
            retriever.search(question, customer)  # warm-up
        end_to_end = []
        for question, customer in zip(questions, customers, strict=True):
            started = time.perf_counter()
            retriever.search(question, customer)
            end_to_end.append((time.perf_counter() - started) * 1000)
    vectors = embed_texts(model, questions, params.embedding.encode_batch)
    catalog = open_catalog(params.index, params.paths.index_dir)
    store = catalog.open(str(catalog.current()))
    qdrant = []
    try:
        for i, customer in enumerate(customers):
            where = [Visible(customer, now, visibility)]
            started = time.perf_counter()
            store.search(vectors[i : i + 1], where, params.retrieve.k)
            qdrant.append((time.perf_counter() - started) * 1000)
    finally:
        store.close()
        catalog.close()
    quantiles = {}
    for name, times in (("qdrant", qdrant), ("end_to_end", end_to_end)):
        p = np.percentile(times, [50, 95])
        quantiles |= {f"{name}_p50": float(p[0]), f"{name}_p95": float(p[1])}
    return quantiles


def bench_size(total: int, args: argparse.Namespace, work: Path) -> None:
    rng = random.Random(total)
    sample = pd.read_parquet(args.curated / "chunks.parquet")
    chunks = synthetic_chunks(sample, total, rng)
    curated = work / f"curated-{total}"
    curated.mkdir(parents=True)
    (curated / "eval.parquet").write_bytes((args.curated / "eval.parquet").read_bytes())
    chunks.to_parquet(curated / "chunks.parquet", index=False)
    params = load_params(
        REPO / "params.yaml",
        values={"paths.out_dir": str(work / f"out-{total}"), "paths.curated": str(curated)},
    )

    full = index.run(params, full=True)
    print(
        f"\n== {total} chunks: full build {full.seconds:.1f} s (embedding {full.embed_seconds:.1f}"
        f" s, {full.embedded / full.embed_seconds:.0f} chunks/s), recall@3 {full.recall}"
    )
    unchanged = []
    for _ in range(args.repeats):
        report = index.run(params)
        assert report.embedded == 0 and report.deleted == 0, report
        unchanged.append(report.seconds)
    changed, embedded = [], []
    for round_ in range(args.repeats):
        count = change_some(chunks, args.change, rng, round_)
        chunks.to_parquet(curated / "chunks.parquet", index=False)
        report = index.run(params)
        assert report.embedded == count, (report, count)
        changed.append(report.seconds)
        embedded.append(report.embedded)
    runs = {"nothing changed": (unchanged, 0), f"{args.change:.0%} changed": (changed, embedded[0])}
    for name, (times, count) in runs.items():
        median = statistics.median(times)
        print(
            f"re-index, {name} ({count} embedded): median {median:.2f} s = "
            f"{median / full.seconds:.1%} of the full build (runs "
            + ", ".join(f"{t:.2f}" for t in times)
            + ")"
        )

    questions = pd.read_parquet(args.curated / "eval.parquet")["question"].tolist()
    asked = [questions[i % len(questions)] for i in range(QUERIES)]
    customers = [f"CUS-{rng.randrange(CUSTOMERS):05d}" for _ in range(QUERIES)]
    latency = query_latency(params, asked, customers)
    print(
        f"filtered query, k={params.retrieve.k}, {QUERIES} one at a time: Qdrant p50 "
        f"{latency['qdrant_p50']:.2f} ms, p95 {latency['qdrant_p95']:.2f} ms; with the question's "
        f"embedding p50 {latency['end_to_end_p50']:.2f} ms, p95 {latency['end_to_end_p95']:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--curated", type=Path, default=REPO / "out" / "curated")
    parser.add_argument("--chunks", default="10000,100000")
    parser.add_argument("--change", type=float, default=0.01)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as work:
        for total in (int(n) for n in args.chunks.split(",")):
            bench_size(total, args, Path(work))


if __name__ == "__main__":
    main()
