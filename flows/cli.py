"""`tandem`: one subcommand per step, the whole pipeline, and the Prefect deployments."""

from __future__ import annotations

import json
import logging
import sys
from typing import Annotated

import typer

from flows import cli_copilot
from flows.cli_options import DEFAULT_PARAMS, JsonOpt, ParamsOpt, SetOpt, emit, params_of
from flows.render import as_plain, eval_table
from flows.runtime import configure_environment
from tasks.errors import UserError

app = typer.Typer(
    name="tandem",
    help="Fine-tuning + RAG together for a support copilot.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command("prepare-model")
def prepare_model_cmd(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Convert the base model (e.g. the GGUF SmolLM2) once into a safetensors directory."""
    from tasks.train import prepare_model as step

    emit("prepare-model", step.run(params_of(params, set_)), as_json)


@app.command()
def validate(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Validate every input with Great Expectations; quarantine bad rows with reasons."""
    from tasks.data import validate as step

    emit("validate", step.run(params_of(params, set_)), as_json)


@app.command()
def curate(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Normalize, deduplicate, redact PII and chunk."""
    from tasks.data import curate as step

    emit("curate", step.run(params_of(params, set_)), as_json)


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

    p = params_of(params, set_)
    report = step.rollback(p) if rollback else step.run(p, full=full)
    emit("index", report, as_json)


@app.command("finetune-embedder")
def finetune_embedder(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Tune the embedder on the sft pairs (when finetune_embedder.enabled); the next index
    rebuilds with it."""
    from tasks.train import finetune_embedder as step

    emit("finetune-embedder", step.run(params_of(params, set_)), as_json)


@app.command("build-sft")
def build_sft(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Turn curated sft examples into retrieval-shaped training records."""
    from tasks.train import build_sft as step

    emit("build-sft", step.run(params_of(params, set_)), as_json)


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

    emit("finetune", step.run(params_of(params, set_), resume=resume), as_json)


@app.command()
def evaluate(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Compare base, base+RAG, fine-tuned and fine-tuned+RAG on the eval set."""
    from tasks.evaluate import evaluate as step

    report = step.run(params_of(params, set_))
    emit("evaluate", report, as_json)
    if not as_json:
        typer.echo(eval_table(report.configs, report.primary_metric))


@app.command()
def register(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Register the whole copilot in MLflow as alias `challenger`."""
    from tasks.copilot import register as step

    emit("register", step.run(params_of(params, set_)), as_json)


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

    emit("promote", step.run(params_of(params, set_), force_version=force), as_json)


app.command()(cli_copilot.search)
app.command()(cli_copilot.ask)
app.command("serve-copilot")(cli_copilot.serve_copilot)
app.add_typer(cli_copilot.feedback_app, name="feedback")


@app.command("run")
def run_pipeline(
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The whole pipeline: validate, curate, finetune-embedder, index, prepare-model,
    build-sft, finetune, evaluate, register, promote."""
    p = params_of(params, set_)
    from flows.pipeline import run_all

    reports = run_all(p, echo=None if as_json else typer.echo)
    if as_json:
        typer.echo(json.dumps({k: as_plain(v) for k, v in reports.items()}, indent=2, default=str))


@app.command()
def demo(params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None) -> None:
    """What `make demo` runs: the pipeline on a copy of data/sample, the four-way table, an
    answer with sources, then the changes/ snapshot re-indexed and the question asked again."""
    from flows.demo import run_demo

    run_demo(params_of(params, set_), echo=typer.echo)


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
