"""The pipeline's steps in their one order, and running them all without an orchestrator.

`tandem run`, the Prefect flows (flows/prefect_flows.py) and a test that checks dvc.yaml read
STEPS; each step is the same `run(params)` from tasks/ that the CLI and DVC call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flows.render import eval_table, summary_line
from tasks import tracking
from tasks.copilot import register
from tasks.data import curate, validate
from tasks.evaluate import evaluate, promote
from tasks.index import index
from tasks.params import Params
from tasks.reports import write_report
from tasks.train import build_sft, finetune, finetune_embedder, prepare_model

Step = Callable[[Params], Any]

STEPS: tuple[tuple[str, Step], ...] = (
    ("validate", validate.run),
    ("curate", curate.run),
    ("finetune-embedder", finetune_embedder.run),
    ("index", index.run),
    ("prepare-model", prepare_model.run),
    ("build-sft", build_sft.run),
    ("finetune", finetune.run),
    ("evaluate", evaluate.run),
    ("register", register.run),
    ("promote", promote.run),
)
STEP_NAMES = tuple(name for name, _ in STEPS)


def run_all(
    params: Params, echo: Callable[[str], None] | None = None, run_name: str = "tandem run"
) -> dict[str, Any]:
    """Run every step, their MLflow runs nested under one parent run; write
    reports/pipeline.json with each step's wall time."""
    reports: dict[str, Any] = {}
    timings: dict[str, float] = {}
    with tracking.pipeline_run(params, run_name, {"pipeline": "cli"}):
        for name, step in STEPS:
            started = time.perf_counter()
            reports[name] = step(params)
            timings[name] = round(time.perf_counter() - started, 1)
            if name == "validate":
                tracking.tag_pipeline_run(
                    {"data_docs": Path(reports[name].data_docs).resolve().as_uri()}
                )
            if echo:
                echo(f"{summary_line(name, reports[name])}  [{timings[name]:.1f}s]")
                if name == "evaluate":
                    echo(eval_table(reports[name].configs, reports[name].primary_metric))
    write_report(
        params.paths.reports_dir, "pipeline", {"seconds": timings, "total": sum(timings.values())}
    )
    return reports
