"""Embedding paths head to head: sentence-transformers on torch (the library's default path),
dynamically quantized int8 ONNX in `embedding.batch_size` batches, and int8 ONNX encoding each
text alone (`embedding.batch_invariant`, the default), on a run's curated chunks.

    python bench/bench_embed.py [--curated out/curated] [--texts 2000] [--repeats 3]

Prints, per path: chunks/s embedding `--texts` chunk texts (median of `--repeats`, the paths
interleaved so load drifts hit all), one-question latency (median of 50), batch invariance (the
lowest cosine between a text embedded alone and inside a batch of 64 others), and recall@3/@5 on
the eval gold documents of an index built with it (the index step's own recall check). Then the
ratios against torch. Needs `tandem curate` (or `make demo`) first; the ONNX export (~15 s,
once) lands in embedding.cache_root.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tasks.index import index
from tasks.index.embed import embed_texts, load_embedder
from tasks.index.plan import embedding_text
from tasks.params import Params
from tasks.params_loader import load_params

REPO = Path(__file__).resolve().parents[1]
PATHS = {  # name: (embedding.backend, embedding.batch_invariant)
    "torch": ("torch", True),
    "int8 batched": ("onnx-int8", False),
    "int8 per text": ("onnx-int8", True),
}


def chunk_texts(curated: Path, count: int) -> list[str]:
    chunks = pd.read_parquet(curated / "chunks.parquet")
    texts = [embedding_text(t, x) for t, x in zip(chunks["title"], chunks["text"], strict=True)]
    return (texts * (count // len(texts) + 1))[:count]


def path_params(name: str, **values: object) -> Params:
    backend, invariant = PATHS[name]
    settings = {"embedding.backend": backend, "embedding.batch_invariant": invariant, **values}
    return load_params(REPO / "params.yaml", values=settings)


def recall_at(name: str, k: int, curated: Path, out: Path) -> float | None:
    """recall@k on the eval gold docs of a fresh index built on path `name`."""
    params = path_params(
        name, **{"paths.out_dir": str(out), "paths.curated": str(curated.resolve()),
                 "retrieve.k": k},
    )  # fmt: skip
    return index.run(params, full=True).recall


def batch_invariance(model: object, texts: list[str], batch_size: int, samples: int = 32) -> float:
    """The lowest cosine between a text's vector embedded alone and inside a batch of 64 other
    texts: 1.0 means the index's vectors do not depend on which texts synced together."""
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
    texts = chunk_texts(args.curated, args.texts)
    questions = pd.read_parquet(args.curated / "eval.parquet")["question"].tolist()
    params = {name: path_params(name) for name in PATHS}
    models = {"torch": load_embedder(params["torch"])}
    models["int8 batched"] = models["int8 per text"] = load_embedder(params["int8 per text"])
    batches = {name: p.embedding.encode_batch for name, p in params.items()}
    for name, model in models.items():
        embed_texts(model, texts[:64], batches[name])  # warm-up

    throughput: dict[str, list[float]] = {name: [] for name in PATHS}
    for _ in range(args.repeats):
        for name, model in models.items():
            started = time.perf_counter()
            embed_texts(model, texts, batches[name])
            throughput[name].append(len(texts) / (time.perf_counter() - started))
    latency: dict[str, float] = {}
    for name, model in models.items():
        times = []
        for question in (questions * 2)[:50]:
            started = time.perf_counter()
            embed_texts(model, [question], 1)
            times.append((time.perf_counter() - started) * 1000)
        latency[name] = statistics.median(times)
    invariance = {name: batch_invariance(m, texts, batches[name]) for name, m in models.items()}

    recalls: dict[str, dict[int, float | None]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-embed-") as work:
        for name in PATHS:
            folder = name.replace(" ", "-")
            recalls[name] = {
                k: recall_at(name, k, args.curated, Path(work) / f"{folder}-{k}") for k in (3, 5)
            }

    print(f"{len(texts)} chunk texts, {args.repeats} repeats")
    print("| path | texts per call | chunks/s | vs torch | one question ms | min cosine alone vs "
          "in a batch | recall@3 | recall@5 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    torch_rate = statistics.median(throughput["torch"])
    for name in PATHS:
        rate = statistics.median(throughput[name])
        print(
            f"| {name} | {batches[name]} | {rate:.1f} | x{rate / torch_rate:.2f} | "
            f"{latency[name]:.1f} | {invariance[name]:.6f} | {recalls[name][3] or 0:.3f} | "
            f"{recalls[name][5] or 0:.3f} |"
        )


if __name__ == "__main__":
    main()
