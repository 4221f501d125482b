"""The registered copilot as an MLflow pyfunc, written as "models from code".

Its artifacts are the LoRA adapter (and a tuned embedder); the base model is a reference that
tasks/copilot/serving.py prepares where the model is served, and the index is referenced by
location (TANDEM_INDEX_DIR for an embedded one) and checked to match. A request is one row per
question: `question`, optional `customer_id` and `at` (ISO time the facts must be valid at).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.pyfunc import PythonModel


def bad_request(message: str) -> MlflowException:
    """A 400 from `mlflow models serve` with this one line, no stack trace."""
    return MlflowException(message, error_code=INVALID_PARAMETER_VALUE)


def text_column(frame: pd.DataFrame, name: str) -> list[str]:
    if name not in frame:
        return [""] * len(frame)
    return [
        "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in frame[name]
    ]


class CopilotModel(PythonModel):
    def load_context(self, context: Any) -> None:
        from tasks.copilot.copilot import Copilot
        from tasks.copilot.serving import served_params
        from tasks.copilot.tracing import Tracer
        from tasks.errors import UserError

        config = dict(context.model_config)
        try:
            params, snapshots = served_params(config, dict(context.artifacts))
        except UserError as error:
            raise MlflowException(str(error)) from None
        self.config = config
        self.copilot = Copilot(
            params, Path(context.artifacts["adapter"]), config.get("model_name", ""), snapshots
        )
        # traced where answers can be stored: a served process with a tracking store
        self.tracer = Tracer(params.serve.tracing and bool(os.environ.get("MLFLOW_TRACKING_URI")))
        self.hash_customers = params.serve.hash_customer_ids

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        import json

        from tasks.errors import UserError
        from tasks.index.retrieve import parse_time

        frame = pd.DataFrame(model_input)
        questions = text_column(frame, "question")
        if not questions or any(not q.strip() for q in questions):
            raise bad_request(
                "every row needs a non-empty `question` (and may have customer_id, at)"
            )
        try:
            moments = [parse_time(at) for at in text_column(frame, "at")]
        except UserError as error:
            raise bad_request(str(error)) from None
        customers = text_column(frame, "customer_id")
        if self.tracer.enabled:  # one trace per question
            tags = {
                "adapter_sha256": self.config.get("adapter_sha256", ""),
                "prompt_uri": self.config.get("prompt_uri", ""),
            }
            answers = [
                self.copilot.answer_one(q, c, at, self.tracer, self.hash_customers, tags)
                for q, c, at in zip(questions, customers, moments, strict=True)
            ]
        else:
            answers = self.copilot.answer_many(questions, customers, moments)
        return pd.DataFrame(
            {
                "answer": [a.answer for a in answers],
                "sources": [json.dumps([s.__dict__ for s in a.sources]) for a in answers],
                "retrieved": [json.dumps(list(a.retrieved)) for a in answers],
                "model": [self.config.get("model_name", "")] * len(answers),
                "adapter_sha256": [self.config.get("adapter_sha256", "")] * len(answers),
                "index_version": [self.copilot.retriever.version] * len(answers),
                "trace_id": [a.trace_id for a in answers],
                "unavailable": [json.dumps(list(a.unavailable)) for a in answers],
            }
        )


mlflow.models.set_model(CopilotModel())
