"""The levers of "beat the search box", each measured the same way on one corpus: every lever
runs the whole chain (validate .. evaluate) in its own out dir with its own overrides, sharing
the prepared base model and the base model's cached answers, and the table shows fine-tuned+RAG
next to the search box (`retrieval`) and base+RAG.

    .venv/bin/python bench/bench_levers.py --source data/sample --root /tmp/levers \\
        --lever 'today={}' --lever 'retrieved={"sft.context_order": "retrieved"}' [--steps 20]

A lever is `name=<JSON object of params keys and values>` (the keys of -S; JSON, so a template
may hold quotes and line breaks). A lever whose object names `"_reuse": "<earlier lever>"` changes
only the evaluation (decoding, k): it reads that lever's index and adapter and evaluates anew,
so the comparison holds the fine-tune fixed. The table is printed as markdown and written to
<root>/levers.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

from flows.runtime import configure_environment
from tasks.data import curate, validate
from tasks.evaluate import evaluate
from tasks.index import index
from tasks.params_loader import load_params
from tasks.train import build_sft, finetune, finetune_embedder, prepare_model

SHOWN = ("facts", "must_include", "token_f1", "rougeL", "format", "cites_gold")
SHOWN += ("abstains_when_missing", "answers_when_present", "repeats")


def lever(spec: str) -> tuple[str, dict[str, Any]]:
    name, _, values = spec.partition("=")
    return name, dict(json.loads(values or "{}"))


def run_lever(root: Path, source: Path, steps: int, values: dict[str, Any]) -> dict[str, Any]:
    out = root / values.pop("_name")
    reuse = values.pop("_reuse", None)
    params = load_params(
        values={
            "paths.source_dir": str(source),
            "paths.out_dir": str(out),
            "paths.cache": str(root / "cache"),
            "finetune.max_steps": steps,
            "tracking.uri": None,
            **values,
        }
    )
    base = root / "base"
    if not base.exists():  # prepared once, for every lever
        prepare_model.run(load_params(values={"paths.out_dir": str(root / "prepared")}))
        (root / "prepared" / "models" / "base").rename(base)
    started = time.perf_counter()
    if reuse:  # the same data, index and adapter as lever `reuse`: only the evaluation is new
        shared_outputs(root / reuse, out)
    else:
        (out / "models").mkdir(parents=True, exist_ok=True)
        if not (out / "models" / "base").exists():
            (out / "models" / "base").symlink_to(base.resolve(), target_is_directory=True)
        for step in (validate, curate, finetune_embedder, index, build_sft, finetune):
            step.run(params)
    report = evaluate.run(params)
    tuned = json.loads((out / "reports" / "finetune_embedder.json").read_text())
    return {
        "configs": report.configs,
        "retrieval_metrics": report.retrieval,
        "embedder_recall": {"before": tuned["recall_before"], "after": tuned["recall_after"]},
        "facts_metric": report.facts_metric,
        "seconds": round(time.perf_counter() - started, 1),
    }


def shared_outputs(done: Path, out: Path) -> None:
    """`out` reads lever `done`'s steps' outputs (linked) and a copy of its reports."""
    out.mkdir(parents=True, exist_ok=True)
    for part in ("validated", "quarantine", "curated", "index", "sft", "models"):
        if (done / part).exists() and not (out / part).exists():
            (out / part).symlink_to((done / part).resolve(), target_is_directory=True)
    if not (out / "reports").exists():
        shutil.copytree(done / "reports", out / "reports")


def table(results: dict[str, dict[str, Any]]) -> str:
    header = ["lever", "config", *SHOWN]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, result in results.items():
        for config in ("retrieval", "base+rag", "finetuned", "finetuned+rag"):
            values = result["configs"][config]
            cells = [f"{values[m]:.3f}" if values[m] == values[m] else "n/a" for m in SHOWN]
            lines.append("| " + " | ".join([name, config, *cells]) + " |")
    return "\n".join(lines)


def main() -> None:
    configure_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--lever", action="append", default=[], help='name={"key": value}')
    args = parser.parse_args()
    results_path = args.root / "levers.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {}
    for spec in args.lever or ["today={}"]:
        name, values = lever(spec)
        results[name] = run_lever(args.root, args.source, args.steps, {"_name": name, **values})
        args.root.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(results, indent=2))
        done = results[name]
        print(f"{name}: {done['seconds']} s, retrieval {done['retrieval_metrics']}", flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
