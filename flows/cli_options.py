"""What every `tandem` subcommand shares: the params options and how a report is printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.render import as_plain, summary_line
from tasks.params import Params
from tasks.params_loader import PARAMS_FILE, load_params

DEFAULT_PARAMS = Path(PARAMS_FILE)
ParamsOpt = Annotated[Path, typer.Option("--params", "-p", help="params file")]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", "-S", help="override a param: -S finetune.lora.r=16")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the step's JSON report")]
CustomerOpt = Annotated[str, typer.Option("--customer", help="asking customer's id")]
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="e.g. models:/tandem-copilot@champion")
]


def params_of(path: Path, overrides: list[str] | None) -> Params:
    return load_params(path, overrides or [])


def emit(step: str, report: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(as_plain(report), indent=2, default=str))
    else:
        typer.echo(summary_line(step, report))
