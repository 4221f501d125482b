"""The MLflow UI, rendered by headless Chromium: an evaluate run lasts as long as the evaluation
(its run spans the work; a run opened after the work showed 44 ms for minutes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tasks.data import curate, validate
from tasks.evaluate import evaluate
from tasks.index import index
from tasks.models import adapter_dir, base_model_dir
from tasks.params_loader import load_params
from tests.e2e.test_prefect_ui import page_text, requires_chromium
from tests.integration.test_mlflow_server import write_adapter
from tests.servers import Server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def shown_seconds(duration: str) -> float:
    """MLflow's duration text ("12.3s", "1.2min", "850ms") in seconds."""
    value, unit = re.fullmatch(r"([\d.]+)\s*(ms|s|min|h)", duration).groups()  # type: ignore[union-attr]
    return float(value) * {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}[unit]


@requires_chromium
def test_the_evaluate_run_page_shows_the_evaluation_s_duration(
    mlflow_server: Server,
    tiny_sources: Path,
    tiny_model_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    params = load_params(
        REPO / "params.yaml",
        [
            f"paths.source_dir={tiny_sources}",
            f"paths.out_dir={tmp_path / 'out'}",
            f"tracking.uri={mlflow_server.url}",
            "tracking.experiment=tandem-ui",
            "generate.max_new_tokens=48",
        ],
    )
    base = base_model_dir(params)
    base.parent.mkdir(parents=True, exist_ok=True)
    base.symlink_to(tiny_model_dir, target_is_directory=True)
    for step in (validate.run, curate.run, index.run):
        step(params)
    write_adapter(tiny_model_dir, adapter_dir(params))
    report = evaluate.run(params)

    from mlflow import MlflowClient

    run = MlflowClient(mlflow_server.url).get_run(str(report.mlflow_run_id))
    url = f"{mlflow_server.url}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
    text = page_text(url)

    found = re.search(r"Duration\s*([\d.]+\s*(?:ms|s|min|h))\b", text)
    assert found, text[:3000]
    shown = shown_seconds(found.group(1))
    # the run spans the evaluation (and its dataset and artifact logging: seconds at most)
    assert report.seconds * 0.95 <= shown <= report.seconds + 3.0, (found.group(0), report.seconds)
