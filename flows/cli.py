"""`tandem`: one subcommand per step, the whole pipeline, and the Prefect deployments."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.render import as_plain, eval_table, summary_line
from flows.runtime import configure_environment
from tasks.errors import UserError
from tasks.params import Params
from tasks.params_loader import PARAMS_FILE, load_params

app = typer.Typer(
    name="tandem",
    help="Fine-tuning + RAG together for a support copilot.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_PARAMS = Path(PARAMS_FILE)
ParamsOpt = Annotated[Path, typer.Option("--params", "-p", help="params file")]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", "-S", help="override a param: -S finetune.lora.r=16")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the step's JSON report")]


def _params(path: Path, overrides: list[str] | None) -> Params:
    return load_params(path, overrides or [])


def emit(step: str, report: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(as_plain(report), indent=2, default=str))
    else:
        typer.echo(summary_line(step, report))


@app.command("prepare-model")
def prepare_model_cmd(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Convert the base model (e.g. the GGUF SmolLM2) once into a safetensors directory."""
    from tasks.train import prepare_model as step

    emit("prepare-model", step.run(_params(params, set_)), as_json)


@app.command()
def validate(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Validate every input with Great Expectations; quarantine bad rows with reasons."""
    from tasks.data import validate as step

    emit("validate", step.run(_params(params, set_)), as_json)


@app.command()
def curate(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Normalize, deduplicate, redact PII and chunk."""
    from tasks.data import curate as step

    emit("curate", step.run(_params(params, set_)), as_json)


@app.command()
def index(
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
    full: Annotated[
        bool, typer.Option("--full", help="rebuild into a new version, then switch")
    ] = False,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="switch back to the previous version")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Sync the curated chunks into Qdrant incrementally (or rebuild, or roll back)."""
    from tasks.index import index as step

    p = _params(params, set_)
    report = step.rollback(p) if rollback else step.run(p, full=full)
    emit("index", report, as_json)


@app.command("finetune-embedder")
def finetune_embedder(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Tune the embedder on the sft pairs (when finetune_embedder.enabled); the next index
    rebuilds with it."""
    from tasks.train import finetune_embedder as step

    emit("finetune-embedder", step.run(_params(params, set_)), as_json)


@app.command("build-sft")
def build_sft(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Turn curated sft examples into retrieval-shaped training records."""
    from tasks.train import build_sft as step

    emit("build-sft", step.run(_params(params, set_)), as_json)


@app.command()
def finetune(
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="continue from the last checkpoint")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """LoRA fine-tune the base model on the sft records; tracked in MLflow."""
    from tasks.train import finetune as step

    emit("finetune", step.run(_params(params, set_), resume=resume), as_json)


@app.command()
def evaluate(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Compare base, base+RAG, fine-tuned and fine-tuned+RAG on the eval set."""
    from tasks.evaluate import evaluate as step

    report = step.run(_params(params, set_))
    emit("evaluate", report, as_json)
    if not as_json:
        typer.echo(eval_table(report.configs, report.primary_metric))


@app.command()
def register(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Register the whole copilot in MLflow as alias `challenger`."""
    from tasks.copilot import register as step

    emit("register", step.run(_params(params, set_)), as_json)


@app.command()
def promote(
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
    force: Annotated[
        str | None, typer.Option("--force", help="move `champion` to this version")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move `champion` to the challenger if it passes the gate (or to --force VERSION)."""
    from tasks.evaluate import promote as step

    emit("promote", step.run(_params(params, set_), force_version=force), as_json)


@app.command()
def search(
    query: str,
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
    customer: Annotated[str, typer.Option("--customer", help="asking customer's id")] = "",
    at: Annotated[
        str | None, typer.Option("--at", help="ISO time the facts must be valid at")
    ] = None,
    k: Annotated[
        int | None, typer.Option("--k", min=1, max=100, help="number of chunks, 1 to 100")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the index as the copilot does (customer, validity and visibility filters)."""
    from tasks.index.retrieve import Retriever, parse_time

    p = _params(params, set_)
    with Retriever(p) as retriever:
        hits = retriever.search(query, customer_id=customer, at=parse_time(at), k=k)
    if as_json:
        typer.echo(json.dumps([asdict(h) for h in hits], indent=2))
        return
    for rank, hit in enumerate(hits, start=1):
        typer.echo(f"{rank}. [{hit.doc_id}] {hit.title}  (score {hit.score:.3f})")
        typer.echo(f"   {hit.text[:160].replace(chr(10), ' ')}")


@app.command()
def ask(
    question: str,
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
    customer: Annotated[str, typer.Option("--customer", help="asking customer's id")] = "",
    model: Annotated[
        str | None, typer.Option("--model", help="e.g. models:/tandem-copilot@champion")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a support question with retrieved, cited sources."""
    from tasks.copilot import ask as step

    answer = step.run(_params(params, set_), question, customer_id=customer, model_uri=model)
    if as_json:
        typer.echo(json.dumps(as_plain(answer), indent=2))
        return
    typer.echo(step.render(answer))


@app.command("run")
def run_pipeline(
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The whole pipeline: validate, curate, finetune-embedder, index, prepare-model,
    build-sft, finetune, evaluate, register, promote."""
    p = _params(params, set_)
    from flows.pipeline import run_all

    reports = run_all(p, echo=None if as_json else typer.echo)
    if as_json:
        typer.echo(json.dumps({k: as_plain(v) for k, v in reports.items()}, indent=2, default=str))


@app.command()
def demo(params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None) -> None:
    """What `make demo` runs: the pipeline on a copy of data/sample, the four-way table, an
    answer with sources, then the changes/ snapshot re-indexed and the question asked again."""
    from flows.demo import run_demo

    run_demo(_params(params, set_), echo=typer.echo)


@app.command()
def serve(
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
) -> None:
    """Serve the Prefect deployments (reindex, finetune, full) with their schedules."""
    from flows.deployments import serve_all

    serve_all(params, set_ or [])


def main() -> None:
    configure_environment()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except UserError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
