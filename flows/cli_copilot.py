"""`tandem` subcommands of the copilot: search, ask, the agents' page, their feedback."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import Annotated

import typer

from flows.cli_options import (
    DEFAULT_PARAMS,
    CustomerOpt,
    JsonOpt,
    ModelOpt,
    ParamsOpt,
    SetOpt,
    emit,
    params_of,
)
from flows.render import as_plain


def search(
    query: str,
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
    customer: CustomerOpt = "",
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

    p = params_of(params, set_)
    with Retriever(p) as retriever:
        hits = retriever.search(query, customer_id=customer, at=parse_time(at), k=k)
    if as_json:
        typer.echo(json.dumps([asdict(h) for h in hits], indent=2))
        return
    for rank, hit in enumerate(hits, start=1):
        typer.echo(f"{rank}. [{hit.doc_id}] {hit.title}  (score {hit.score:.3f})")
        typer.echo(f"   {hit.text[:160].replace(chr(10), ' ')}")


def ask(
    question: str,
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
    customer: CustomerOpt = "",
    model: ModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a support question with retrieved, cited sources."""
    from tasks.copilot import ask as step

    started = time.perf_counter()

    def progress(what: str) -> None:  # a cold start takes seconds: say what it is doing
        typer.echo(f"[{time.perf_counter() - started:5.1f}s] {what}", err=True)

    answer = step.run(
        params_of(params, set_), question, customer_id=customer, model_uri=model,
        progress=progress,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(as_plain(answer), indent=2))
        return
    typer.echo(step.render(answer))


def serve_copilot(
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
    model: ModelOpt = None,
) -> None:
    """The page for support agents (ask, see sources, correct) and its API, at serve.host:port;
    the model stays loaded, every answer is traced."""
    from flows.agent_app import serve

    p = params_of(params, set_)
    typer.echo(f"serving the copilot at http://{p.serve.host}:{p.serve.port}/", err=True)
    serve(p, model)


feedback_app = typer.Typer(
    help="Agents' feedback: approve corrections, export them as sft examples."
)


@feedback_app.command("export")
def feedback_export(
    params: ParamsOpt = DEFAULT_PARAMS, set_: SetOpt = None, as_json: JsonOpt = False
) -> None:
    """Approved corrections and upvoted answers -> <source_dir>/sft/feedback.jsonl."""
    from tasks.copilot import feedback

    emit("feedback-export", feedback.export(params_of(params, set_)), as_json)


@feedback_app.command("approve")
def feedback_approve(
    trace_id: str,
    reviewer: Annotated[str, typer.Option("--reviewer", help="who approves")] = "reviewer",
    params: ParamsOpt = DEFAULT_PARAMS,
    set_: SetOpt = None,
) -> None:
    """Release an agent's correction of the answer with this trace id into the next export."""
    from tasks.copilot import feedback

    feedback.approve(params_of(params, set_), trace_id, reviewer)
    typer.echo(f"approved the correction on trace {trace_id}")
