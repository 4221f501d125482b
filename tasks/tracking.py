"""MLflow tracking: where the store is, and what each run records."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks.params import Params

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


def log_run(
    params: Params,
    name: str,
    *,
    run_params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    curves: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    artifacts: Sequence[Path] = (),
    tags: Mapping[str, str] | None = None,
) -> str:
    """One MLflow run of step `name`: its params, metrics (NaN ones skipped), per-step curves,
    artifacts (a file at the run's root, a folder under its own name) and tags; -> the run id."""
    import mlflow

    setup(params)
    with mlflow.start_run(run_name=name) as run:
        mlflow.set_tags({"git_commit": git_commit(), "step": name, **(tags or {})})
        if run_params:
            mlflow.log_params({k: str(v)[:500] for k, v in run_params.items()})
        mlflow.log_metrics({k: v for k, v in (metrics or {}).items() if not math.isnan(v)})
        for metric, points in (curves or {}).items():
            for step, value in points:
                mlflow.log_metric(metric, value, step=step)
        for path in artifacts:
            if path.is_dir():
                mlflow.log_artifacts(str(path), artifact_path=path.name)
            else:
                mlflow.log_artifact(str(path))
        return str(run.info.run_id)
