"""Tracing's cost: the same questions answered one at a time (as the served copilot does), with
MLflow tracing on (spans for retrieval, prompt, generation and citations, written to a SQLite
tracking store) and off. Interleaved runs; the figure is the median seconds per answer and the
ratio traced/untraced, plus the median time spent in the tracer itself (traced minus untraced).

Needs a finished run's out dir (its index, eval questions and adapter; `make demo` leaves one).

    .venv/bin/python bench/bench_tracing.py --out out --questions 8 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tasks.copilot.copilot import Copilot
from tasks.copilot.tracing import Tracer
from tasks.models import adapter_dir
from tasks.params_loader import load_params
from tasks.schema import read_eval


def answer_all(copilot: Copilot, questions: list[str], tracer: Tracer) -> list[float]:
    seconds = []
    for question in questions:
        started = time.perf_counter()
        copilot.answer_one(question, "", None, tracer, True, {"bench": "tracing"})
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out")
    parser.add_argument("--source", default="data/sample")
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import mlflow

    params = load_params(
        values={"paths.out_dir": args.out, "paths.source_dir": args.source, "tracking.uri": None}
    )
    eval_path = params.paths.curated_dir / "eval.parquet"
    questions = [e.question for e in read_eval(eval_path)][: args.questions]
    adapter = adapter_dir(params)
    copilot = Copilot(params, adapter if (adapter / "adapter_config.json").is_file() else None)
    store = Path(tempfile.mkdtemp(prefix="bench-tracing-"))
    mlflow.set_tracking_uri(f"sqlite:///{store / 'mlflow.db'}")
    mlflow.set_experiment("bench-tracing")
    answer_all(copilot, questions[:1], Tracer(True))  # warm both paths once
    answer_all(copilot, questions[:1], Tracer(False))
    traced, plain = [], []
    for _ in range(args.runs):
        plain.append(statistics.median(answer_all(copilot, questions, Tracer(False))))
        traced.append(statistics.median(answer_all(copilot, questions, Tracer(True))))
    off, on = statistics.median(plain), statistics.median(traced)
    print(f"questions {len(questions)} x runs {args.runs}, one answer at a time")
    print("| path | s/answer (median) | ratio |")
    print("|---|---|---|")
    print(f"| untraced | {off:.3f} | x1.00 |")
    print(f"| traced (MLflow spans, SQLite store) | {on:.3f} | x{on / off:.3f} |")
    print(f"tracing overhead: {1000 * (on - off):+.1f} ms an answer")
    copilot.close()


if __name__ == "__main__":
    main()
