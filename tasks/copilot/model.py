"""The registered copilot as an MLflow pyfunc, written as "models from code".

Its artifacts are the LoRA adapter only; the base model and the embedder are references
(model_config), so each version costs megabytes, not another copy of the base weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class CopilotModel(PythonModel):
    """Input: a DataFrame with `question` and optional `customer_id`. Output: one row per
    question with the answer and the cited sources (id, title, snippet)."""

    def load_context(self, context: Any) -> None:
        from tasks.copilot.copilot import Copilot
        from tasks.params_loader import parse_params

        config = dict(context.model_config)
        params = parse_params(config["params"], origin="registered model config")
        self.copilot = Copilot(
            params, Path(context.artifacts["adapter"]), config.get("model_name", "")
        )

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        frame = pd.DataFrame(model_input)
        questions = [str(q) for q in frame["question"]]
        customers = (
            [("" if pd.isna(c) else str(c)) for c in frame["customer_id"]]
            if "customer_id" in frame
            else [""] * len(questions)
        )
        answers = self.copilot.answer_many(questions, customers)
        return pd.DataFrame(
            {
                "answer": [a.answer for a in answers],
                "sources": [[s.__dict__ for s in a.sources] for a in answers],
                "retrieved": [list(a.retrieved) for a in answers],
            }
        )


mlflow.models.set_model(CopilotModel())
