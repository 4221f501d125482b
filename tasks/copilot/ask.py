"""ask: one support question, answered with cited sources, by the local or a registered copilot."""

from __future__ import annotations

import json
import os

from tasks.copilot.copilot import Answer, Copilot, Source
from tasks.copilot.serving import INDEX_ENV
from tasks.errors import UserError
from tasks.params import Params


def ask_registered(params: Params, question: str, customer_id: str, model_uri: str) -> Answer:
    """Through MLflow, exactly as `mlflow models serve` would answer."""
    import mlflow
    import pandas as pd
    from mlflow.exceptions import MlflowException

    from tasks import tracking

    tracking.setup(params)
    # an embedded index is found where these params keep it, unless the caller says otherwise
    os.environ.setdefault(INDEX_ENV, str(params.paths.index_dir.resolve()))
    try:
        model = mlflow.pyfunc.load_model(model_uri)
    except MlflowException as error:
        raise UserError(f"--model {model_uri}: cannot load it ({error.message})") from None
    row = model.predict(pd.DataFrame([{"question": question, "customer_id": customer_id}])).iloc[0]
    sources = tuple(Source(**s) for s in json.loads(row["sources"]))
    retrieved = tuple(json.loads(row["retrieved"]))
    return Answer(question, customer_id, row["answer"], sources, retrieved, model_uri)


def run(
    params: Params, question: str, customer_id: str = "", model_uri: str | None = None
) -> Answer:
    from tasks.models import adapter_dir

    if not question.strip():
        raise UserError("the question is empty; pass the customer's question in quotes")
    if model_uri:
        return ask_registered(params, question, customer_id, model_uri)
    adapter = adapter_dir(params)
    local = adapter if (adapter / "adapter_config.json").is_file() else None
    copilot = Copilot(params, local, model_name=str(local or "base model"))
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
    return "\n".join(lines)
