"""ask: one support question, answered with cited sources, by the local or a registered copilot."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from tasks.copilot.copilot import Answer, Copilot, Source
from tasks.copilot.serving import BASE_ENV, INDEX_ENV
from tasks.errors import UserError
from tasks.params import Params


def load_registered(params: Params, model_uri: str) -> Any:
    """A registered copilot loaded here: its embedded index and prepared base are the ones
    these params keep, unless the caller's environment says otherwise."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from tasks import tracking
    from tasks.models import PREPARED_MARKER, base_model_dir

    tracking.setup(params)
    os.environ.setdefault(INDEX_ENV, str(params.paths.index_dir.resolve()))
    if (base_model_dir(params) / PREPARED_MARKER).is_file():
        os.environ.setdefault(BASE_ENV, str(base_model_dir(params).resolve()))
    try:
        return mlflow.pyfunc.load_model(model_uri)
    except MlflowException as error:
        raise UserError(f"--model {model_uri}: cannot load it ({error.message})") from None


def ask_registered(params: Params, question: str, customer_id: str, model_uri: str) -> Answer:
    """Through MLflow, exactly as `mlflow models serve` would answer."""
    import pandas as pd

    model = load_registered(params, model_uri)
    row = model.predict(pd.DataFrame([{"question": question, "customer_id": customer_id}])).iloc[0]
    sources = tuple(Source(**s) for s in json.loads(row["sources"]))
    retrieved = tuple(json.loads(row["retrieved"]))
    unavailable = tuple(json.loads(row.get("unavailable", "[]")))  # older copilots: no column
    return Answer(
        question, customer_id, row["answer"], sources, retrieved, model_uri, "", unavailable
    )


def load_copilot(
    params: Params, model_uri: str | None, progress: Callable[[str], None] | None = None
) -> Copilot:
    """The copilot of a registered model (`models:/name@alias`), or the local adapter's (the
    base model's when there is none yet)."""
    if model_uri:
        return load_registered(params, model_uri).unwrap_python_model().copilot
    from tasks.models import adapter_dir

    adapter = adapter_dir(params)
    local = adapter if (adapter / "adapter_config.json").is_file() else None
    return Copilot(params, local, model_name=str(local or "base model"), progress=progress)


def run(
    params: Params,
    question: str,
    customer_id: str = "",
    model_uri: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Answer:
    if not question.strip():
        raise UserError("the question is empty; pass the customer's question in quotes")
    if model_uri:
        progress(f"loading {model_uri}")
        return ask_registered(params, question, customer_id, model_uri)
    copilot = load_copilot(params, None, progress)
    progress("answering")
    try:
        return copilot.answer_many([question], [customer_id])[0]
    finally:
        copilot.close()


def render(answer: Answer) -> str:
    lines = [answer.answer, ""]
    if answer.sources:
        lines.append("Cited sources:")
        lines += [f"  [{s.id}] {s.title}: {s.snippet[:120]}..." for s in answer.sources]
    else:
        lines.append("Cited sources: none")
    lines += [f"Unavailable: {note}" for note in answer.unavailable]
    return "\n".join(lines)
