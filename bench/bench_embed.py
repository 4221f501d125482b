"""Embedding backends head to head: sentence-transformers on torch vs dynamically quantized int8
ONNX (`embedding.backend`), on the curated sample chunks.

    python bench/bench_embed.py [--curated out/curated] [--texts 2000] [--repeats 3]

Prints, per backend: chunks/s embedding `--texts` chunk texts in `embedding.batch_size` batches
(median of `--repeats`, the backends interleaved so load drifts hit both), one-question latency
(median of 50), and recall@3 and recall@5 on the eval gold documents of an index built with it
(the index step's own recall check). Then the ratios, and whether the int8 backend meets the
bar for the default: faster, and recall@5 down by less than one point. Needs `tandem curate`
(or `make demo`) first; the ONNX export (~15 s, once) lands in embedding.cache_root.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from tasks.index import index
from tasks.index.embed import embed_texts, load_embedder
from tasks.index.plan import embedding_text
from tasks.params_loader import load_params

REPO = Path(__file__).resolve().parents[1]
BACKENDS = ("torch", "onnx-int8")


def chunk_texts(curated: Path, count: int) -> list[str]:
    chunks = pd.read_parquet(curated / "chunks.parquet")
    texts = [embedding_text(t, x) for t, x in zip(chunks["title"], chunks["text"], strict=True)]
    return (texts * (count // len(texts) + 1))[:count]


def recall_at(backend: str, k: int, curated: Path, out: Path) -> float | None:
    """recall@k on the eval gold docs of a fresh index built with `backend`."""
    params = load_params(
        REPO / "params.yaml",
        values={
            "paths.out_dir": str(out),
            "paths.curated": str(curated.resolve()),
            "embedding.backend": backend,
            "retrieve.k": k,
        },
    )
    return index.run(params, full=True).recall


def batch_invariance(model: object, texts: list[str], batch_size: int, samples: int = 32) -> float:
    """The lowest cosine between a text's vector embedded alone and inside a batch of 64 other
    texts: 1.0 means the index's vectors do not depend on which texts synced together."""
    import numpy as np

    alone = embed_texts(model, texts[:samples], 1)  # type: ignore[arg-type]
    lowest = 1.0
    for n in range(samples):
        batch = [texts[n], *texts[samples + n : samples + n + 63]]
        inside = embed_texts(model, batch, batch_size)[0]  # type: ignore[arg-type]
        lowest = min(lowest, float(np.dot(alone[n], inside)))
    return lowest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--curated", type=Path, default=REPO / "out" / "curated")
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    base = load_params(REPO / "params.yaml")
    texts = chunk_texts(args.curated, args.texts)
    questions = pd.read_parquet(args.curated / "eval.parquet")["question"].tolist()
    models = {
        b: load_embedder(base.model_copy(update={"embedding": base.embedding.model_copy(
            update={"backend": b})}))
        for b in BACKENDS
    }  # fmt: skip
    for model in models.values():
        embed_texts(model, texts[:64], base.embedding.batch_size)  # warm-up

    throughput: dict[str, list[float]] = {b: [] for b in BACKENDS}
    for _ in range(args.repeats):
        for backend, model in models.items():
            started = time.perf_counter()
            embed_texts(model, texts, base.embedding.batch_size)
            throughput[backend].append(len(texts) / (time.perf_counter() - started))
    latency: dict[str, float] = {}
    for backend, model in models.items():
        times = []
        for question in (questions * 2)[:50]:
            started = time.perf_counter()
            embed_texts(model, [question], 1)
            times.append((time.perf_counter() - started) * 1000)
        latency[backend] = statistics.median(times)

    recalls: dict[str, dict[int, float | None]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-embed-") as work:
        for backend in BACKENDS:
            recalls[backend] = {
                k: recall_at(backend, k, args.curated, Path(work) / f"{backend}-{k}")
                for k in (3, 5)
            }

    print(f"{len(texts)} chunk texts, batch {base.embedding.batch_size}, {args.repeats} repeats")
    for backend in BACKENDS:
        runs = ", ".join(f"{v:.0f}" for v in throughput[backend])
        print(
            f"{backend:>9}: {statistics.median(throughput[backend]):6.1f} chunks/s (runs {runs}); "
            f"one question {latency[backend]:.1f} ms; recall@3 {recalls[backend][3]}, "
            f"recall@5 {recalls[backend][5]}"
        )
    speedup = statistics.median(throughput["onnx-int8"]) / statistics.median(throughput["torch"])
    torch5, onnx5 = recalls["torch"][5] or 0.0, recalls["onnx-int8"][5] or 0.0
    drop = (torch5 - onnx5) * 100
    per_question = latency["torch"] / latency["onnx-int8"]
    print(
        f"onnx-int8 / torch: x{speedup:.2f} chunks/s, x{per_question:.2f} one-question speed; "
        f"recall@5 drop {drop:+.1f} points"
    )
    verdict = "meets" if speedup > 1 and drop < 1 else "does not meet"
    print(f"onnx-int8 {verdict} the bar for the default (faster, recall@5 drop < 1 point)")


if __name__ == "__main__":
    main()
