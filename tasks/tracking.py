"""MLflow tracking: where the store is, and what each run records."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tasks.params import Params

if TYPE_CHECKING:
    from tasks.finetune import FinetuneReport

log = logging.getLogger(__name__)


def tracking_uri(params: Params) -> str:
    """MLFLOW_TRACKING_URI, else params, else a SQLite store under the output folder.

    MLflow 3 refuses the old file store, and with no URI it would create mlflow.db in whatever
    directory it runs from.
    """
    explicit = os.environ.get("MLFLOW_TRACKING_URI") or params.tracking.uri
    if explicit:
        return explicit
    store = params.paths.tracking_dir.resolve()
    store.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{store / 'mlflow.db'}"


def artifact_location(params: Params) -> str | None:
    """Artifacts beside a local SQLite store; a server decides its own."""
    if os.environ.get("MLFLOW_TRACKING_URI") or params.tracking.uri:
        return None
    return (params.paths.tracking_dir.resolve() / "artifacts").as_uri()


def setup(params: Params) -> str:
    """Point MLflow at the store and make sure the experiment exists; returns its id."""
    import mlflow

    exported = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(tracking_uri(params))
    # set_tracking_uri also exports MLFLOW_TRACKING_URI; left there, it would override the
    # params of the next run in this process (a served flow run with other overrides).
    if exported is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = exported
    experiment = mlflow.get_experiment_by_name(params.tracking.experiment)
    if experiment is None:
        experiment_id = mlflow.create_experiment(
            params.tracking.experiment, artifact_location=artifact_location(params)
        )
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return str(experiment_id)


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def tree_hash(*paths: Path) -> str:
    """Content hash of files (or all files under folders): what data a run saw."""
    digest = hashlib.sha256()
    for root in paths:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def log_finetune_run(params: Params, report: FinetuneReport) -> str:
    """One MLflow run per fine-tune: params, data hashes, loss curves, speed, the adapter."""
    import mlflow

    from tasks.reports import read_json

    setup(params)
    history = read_json(params.paths.reports_dir / "finetune_history.json")
    with mlflow.start_run(run_name="finetune") as run:
        flat = {k: str(v)[:500] for k, v in flatten(params.as_dict()).items()}
        mlflow.log_params(flat)
        mlflow.set_tags(
            {
                "git_commit": git_commit(),
                "step": "finetune",
                "curated_data_hash": tree_hash(params.paths.curated_dir),
                "sft_data_hash": tree_hash(params.paths.sft_dir),
                "device": report.device,
                "precision": report.precision,
            }
        )
        for entry in history:
            step = int(entry.get("step", 0))
            if "loss" in entry:
                mlflow.log_metric("train_loss", entry["loss"], step=step)
            if "eval_loss" in entry:
                mlflow.log_metric("val_loss", entry["eval_loss"], step=step)
        mlflow.log_metrics(
            {
                "tokens_per_second": report.tokens_per_second,
                "wall_seconds": report.wall_seconds,
                "trainable_params": report.trainable_params,
                "train_tokens": report.train_tokens,
                "steps": report.steps,
                **(
                    {"final_val_loss": report.final_val_loss}
                    if report.final_val_loss is not None
                    else {}
                ),
                **(
                    {"final_train_loss": report.final_train_loss}
                    if report.final_train_loss is not None
                    else {}
                ),
            }
        )
        mlflow.log_artifacts(report.adapter_dir, artifact_path="adapter")
        return str(run.info.run_id)


def log_eval_run(params: Params, report: Any, reports_dir: Path) -> str:
    """One MLflow run per evaluation: the four-way table, retrieval metrics, CSV and chart."""
    import mlflow

    setup(params)
    with mlflow.start_run(run_name="evaluate") as run:
        mlflow.set_tags(
            {"git_commit": git_commit(), "step": "evaluate", "index_version": report.index_version}
        )
        mlflow.log_params({"questions": report.questions, "primary_metric": report.primary_metric})
        for config, values in report.configs.items():
            mlflow.log_metrics(
                {f"{config.replace('+', '_')}.{m}": v for m, v in values.items() if v == v}
            )
        mlflow.log_metrics({f"retrieval.{m}": v for m, v in report.retrieval.items() if v == v})
        for name in ("eval_questions.csv", "eval.png"):
            mlflow.log_artifact(str(reports_dir / name))
        return str(run.info.run_id)
