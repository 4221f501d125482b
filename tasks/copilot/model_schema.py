"""The registered copilot's serving contract: its signature and input example (MLflow shows
them; `mlflow models serve` enforces the inputs)."""

from __future__ import annotations

import pandas as pd
from mlflow.types import ColSpec, Schema

# `question` is required by the model, not by the schema: MLflow's own enforcement answers a
# missing column with a multi-line message and a stack trace; predict answers it in one line.
INPUTS = Schema(
    [
        ColSpec("string", "question", required=False),
        ColSpec("string", "customer_id", required=False),
        ColSpec("string", "at", required=False),
    ]
)
OUTPUTS = Schema(
    [
        ColSpec("string", "answer"),
        ColSpec("string", "sources"),  # JSON: [{id, title, snippet, url}]
        ColSpec("string", "retrieved"),  # JSON: the ids shown to the model
        ColSpec("string", "model"),
        ColSpec("string", "adapter_sha256"),
        ColSpec("string", "index_version"),
        ColSpec("string", "trace_id"),  # the MLflow trace of the answer ("" when not traced)
        ColSpec("string", "unavailable"),  # JSON: ["<block id>: <reason>"] of failed providers
    ]
)
INPUT_EXAMPLE = pd.DataFrame([{"question": "How do I reset my password?", "customer_id": ""}])
