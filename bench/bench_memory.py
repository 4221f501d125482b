"""Memory and disk of the embedded index per million chunks, measured on a smaller one.

    python bench/bench_memory.py [--points 250000]

Builds an embedded Qdrant shard (the index's own EdgeStore and params: HNSW m=16, payload
indexes) of `--points` random unit 384-d vectors with payloads shaped like real chunks (~400
characters of text plus the metadata fields), optimizes it, then opens it in a fresh process the
way a reader does and runs filtered searches. Prints the shard's size on disk and the reader
process's resident memory growth, both also scaled to one million points (both grow linearly
with the point count). Random vectors cost the same bytes as real ones; only the HNSW build
time differs.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tasks.index.plan import to_desired
from tasks.index.store.edge import EdgeStore
from tasks.params_loader import load_params

REPO = Path(__file__).resolve().parents[1]
DIM = 384
WORDS = [
    "account",
    "billing",
    "cluster",
    "export",
    "invoice",
    "latency",
    "password",
    "quota",
    "region",
    "restore",
    "storage",
]

READER = """
import json, sys, time
import numpy as np
from tasks.params_loader import load_params
from tasks.index.store.base import Visible
from tasks.index.store.edge import EdgeStore

def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

params = load_params(sys.argv[2] + "/params.yaml")
before = rss_kb()
store = EdgeStore.load(sys.argv[1], params.index)
vectors = np.random.default_rng(1).normal(size=(200, 384)).astype(np.float32)
vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
now = int(time.time())
for i in range(200):
    store.search(vectors[i : i + 1], [Visible(f"CUS-{i:05d}", now, ("public",))], 3)
    store.search(vectors[i : i + 1], [Visible("", now, ("public", "internal"))], 3)
print(json.dumps({"rss_growth_kb": rss_kb() - before}))
"""


def chunk(n: int, rng: random.Random) -> dict[str, object]:
    text = " ".join(rng.choice(WORDS) for _ in range(55))  # ~400 characters
    owned = rng.random() < 0.4
    return {
        "chunk_id": f"c-{n}",
        "doc_id": f"D-{n // 3}",
        "position": n % 3,
        "text": text,
        "title": f"Document {n // 3}",
        "source": "ticket" if owned else "kb",
        "customer_id": f"CUS-{rng.randrange(2000):05d}" if owned else "",
        "visibility": "internal" if owned else "public",
        "updated_at": "2026-11-01T00:00:00Z",
        "valid_from": "",
        "valid_until": "",
        "url": "",
        "content_hash": f"{n:064x}",
    }


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=250_000)
    args = parser.parse_args()
    params = load_params(REPO / "params.yaml")
    rng = random.Random(0)
    vectors_rng = np.random.default_rng(0)
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        shard = work / "shard"
        store = EdgeStore.create(shard, DIM, params.index)
        started = time.perf_counter()
        batch = 10_000
        for start in range(0, args.points, batch):
            items = [
                to_desired(chunk(n, rng)) for n in range(start, min(start + batch, args.points))
            ]
            vectors = vectors_rng.normal(size=(len(items), DIM)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.upsert([d.point_id for d in items], vectors, [d.payload for d in items])
        upsert_seconds = time.perf_counter() - started
        started = time.perf_counter()
        store.optimize()
        optimize_seconds = time.perf_counter() - started
        store.close()
        shutil.copy(REPO / "params.yaml", work / "params.yaml")
        reader = subprocess.run(
            [sys.executable, "-c", READER, str(shard), str(work)],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        rss_kb = json.loads(reader.stdout.strip().splitlines()[-1])["rss_growth_kb"]
        size = disk_bytes(shard)
        scale = 1_000_000 / args.points
        print(
            f"{args.points} points: upsert {upsert_seconds:.1f} s "
            f"({args.points / upsert_seconds:.0f} points/s), optimize {optimize_seconds:.1f} s"
        )
        print(
            f"disk {size / 1e9:.2f} GB -> {size * scale / 1e9:.2f} GB per 1M points; "
            f"reader RSS growth {rss_kb / 1e6:.2f} GB -> {rss_kb * scale / 1e6:.2f} GB per 1M"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
