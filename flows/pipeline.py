"""The whole pipeline in order, without an orchestrator: what `tandem run` and DVC-free users get.

The Prefect flows (flows/prefect_flows.py) call the very same step functions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tasks import curate, evaluate, finetune, index, promote, register, sft, validate
from tasks.models import prepare_model
from tasks.params import Params
from tasks.reports import write_report

Step = Callable[[Params], Any]

STEPS: tuple[tuple[str, Step], ...] = (
    ("prepare-model", prepare_model),
    ("validate", validate.run),
    ("curate", curate.run),
    ("index", index.run),
    ("build-sft", sft.run),
    ("finetune", finetune.run),
    ("evaluate", evaluate.run),
    ("register", register.run),
    ("promote", promote.run),
)


def run_all(params: Params, echo: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every step; write reports/pipeline.json with each step's wall time."""
    from flows.cli import render_eval_table, summary_line

    reports: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for name, step in STEPS:
        started = time.perf_counter()
        reports[name] = step(params)
        timings[name] = round(time.perf_counter() - started, 1)
        if echo:
            echo(f"{summary_line(name, reports[name])}  [{timings[name]:.1f}s]")
            if name == "evaluate":
                echo(render_eval_table(reports[name].configs, reports[name].primary_metric))
    write_report(
        params.paths.reports_dir, "pipeline", {"seconds": timings, "total": sum(timings.values())}
    )
    return reports
