"""Time `validate.run` then `curate.run` on synthetic raw input: 50,000 documents of ~600
characters by default, written as JSONL in the input contract.

    python bench/bench_curate.py [--docs 50000] [--shared 0.5] [--html 0.1] [--sft 2000]

Prints wall and CPU seconds per stage (CPU time does not grow when other processes share the
machine; wall time does). Mix: `--shared` of the documents
have no customer (KB articles: redacted, deduplicated across the whole shared scope), `--html`
of those are HTML pages; the rest are tickets of 2,000 customers. 3% are exact and 3% near
copies of an earlier document; 10% carry an email address and a phone number.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tasks.data import curate, validate
from tasks.params_loader import load_params
from tasks.schema import DOCUMENT_COLUMNS

REPO = Path(__file__).resolve().parents[1]
WORDS = (  # noqa: SIM905
    "account api key billing bucket cluster dashboard deploy domain error export invoice "
    "latency login metrics node password plan project quota region replica request restore "
    "role rotate snapshot storage subscription team token upgrade usage user volume webhook "
    "the a to of and for in on with after before when your our is was not can will please"
).split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def body(rng: random.Random, chars: int = 600) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < chars:
        parts.append(sentence(rng))
    return " ".join(parts)


def make_documents(n: int, shared: float, html: float, rng: random.Random) -> list[dict[str, str]]:
    docs: list[dict[str, str]] = []
    for index in range(n):
        is_shared = rng.random() < shared
        roll = rng.random()
        if docs and roll < 0.03:
            text = rng.choice(docs)["text"]
        elif docs and roll < 0.06:
            words = rng.choice(docs)["text"].split()
            words[rng.randrange(len(words))] = "changed"
            text = " ".join(words)
        else:
            text = body(rng)
        if rng.random() < 0.10:
            text += f" Contact ops{index}@example.com or (415) 867-{index % 10000:04d}."
        metadata = "{}"
        if is_shared and rng.random() < html:
            text = f"<nav>Docs</nav><h1>Article {index}</h1><p>{text}</p><footer>© 2026</footer>"
            metadata = '{"format": "html"}'
        docs.append(
            {c: "" for c in DOCUMENT_COLUMNS}
            | {
                "id": f"{'KB' if is_shared else 'T'}-{index:06d}",
                "text": text,
                "title": f"Document {index}",
                "source": "kb" if is_shared else "tickets",
                "customer_id": "" if is_shared else f"C-{rng.randrange(2000):04d}",
                "visibility": "public" if is_shared else "internal",
                "updated_at": "2026-01-01T00:00:00Z",
                "metadata": metadata,
            }
        )
    return docs


def raw_document(doc: dict[str, str]) -> dict[str, str]:
    """A validated row back in the input contract: HTML bodies as text, no derived columns."""
    return {k: v for k, v in doc.items() if k not in ("metadata", "source_file") and v != ""}


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--shared", type=float, default=0.5)
    parser.add_argument("--html", type=float, default=0.1)
    parser.add_argument("--sft", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        params = load_params(
            REPO / "params.yaml", [f"paths.source_dir={tmp}", f"paths.out_dir={tmp}/out"]
        )
        docs = make_documents(args.docs, args.shared, args.html, rng)
        sft = [
            {"id": f"S-{i:05d}", "prompt": f"Hi Jane, {body(rng, 300)} Mail jane{i}@example.com",
             "response": body(rng, 300), "task_type": "qa", "gold_doc_ids": [docs[i]["id"]]}
            for i in range(args.sft)
        ]  # fmt: skip
        source = Path(tmp)
        write_jsonl(source / "documents" / "docs.jsonl", [raw_document(d) for d in docs])
        write_jsonl(source / "sft" / "sft.jsonl", sft)
        write_jsonl(source / "eval" / "eval.jsonl", [])

        started, started_cpu = time.perf_counter(), time.process_time()
        validation = validate.run(params)
        validate_wall = time.perf_counter() - started
        validate_cpu = time.process_time() - started_cpu
        print(
            f"validate.run: wall {validate_wall:.1f} s, cpu {validate_cpu:.1f} s, "
            f"read {validation.read}, quarantined {validation.quarantined}"
        )

        cpu: dict[str, float] = defaultdict(float)
        timed = curate._timed

        @contextmanager
        def timed_with_cpu(timings: curate.Timings, stage: str) -> Iterator[None]:
            started = time.process_time()
            with timed(timings, stage):
                yield
            cpu[stage] += time.process_time() - started

        curate._timed = timed_with_cpu
        started, started_cpu = time.perf_counter(), time.process_time()
        report = curate.run(params)
        wall, total_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        print(f"documents={args.docs} shared={args.shared} html={args.html} sft={args.sft}")
        print(f"curate.run: wall {wall:.1f} s, cpu {total_cpu:.1f} s")
        print(f"validate + curate: wall {validate_wall + wall:.1f} s")
        for stage, seconds in report.stage_seconds.items():
            print(f"  {stage:10s} wall {seconds:6.2f} s  cpu {cpu[stage]:6.2f} s")
        for kind, counts in report.kinds.items():
            print(f"{kind}: {json.dumps(counts.to_json())}")


if __name__ == "__main__":
    main()
