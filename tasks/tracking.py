"""MLflow tracking: where the store is, and what each run records."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import subprocess
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tasks.params import Params

log = logging.getLogger(__name__)
PARENT_ENV = "TANDEM_PARENT_RUN_ID"  # the pipeline run the steps' runs nest under
DVC_REPRO_TAG = "dvc_repro"  # on the parent run of one `dvc repro`: which process ran it


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
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(item, dict) and "name" in item for item in value)
        ):  # named items (context.providers): one param per field, `context.providers.crm.query`
            for item in value:
                flat.update(flatten(item, f"{name}.{item['name']}."))
        else:
            flat[name] = value
    return flat


def step_params(params: Params) -> dict[str, str]:
    """Every run logs the whole params under one naming scheme: the dotted keys of -S."""
    return {key: str(value)[:500] for key, value in flatten(params.as_dict()).items()}


def parent_run_id(params: Params) -> str | None:
    """The pipeline run a step's run belongs to: `tandem run` or a Prefect flow run exports it;
    under `dvc repro` the stages share one, found by the repro's process."""
    if os.environ.get(PARENT_ENV):
        return os.environ[PARENT_ENV]
    repro = dvc_repro_key()
    if repro is None:
        return None
    from mlflow import MlflowClient

    experiment = setup(params)  # first: the client reads the URI it sets
    client = MlflowClient()
    found = client.search_runs([experiment], f"tags.`{DVC_REPRO_TAG}` = '{repro}'", max_results=1)
    if found:
        return str(found[0].info.run_id)
    tags = {"mlflow.runName": "dvc repro", "pipeline": "dvc", DVC_REPRO_TAG: repro}
    run = client.create_run(experiment, tags=tags)
    client.log_batch(run.info.run_id, params=params_entities(params))
    return str(run.info.run_id)


def dvc_repro_key() -> str | None:
    """`<pid>-<start ticks>` of the `dvc` process that started this stage (DVC sets DVC_STAGE
    in a stage's environment): one key per repro, on Linux; None elsewhere."""
    if not os.environ.get("DVC_STAGE"):
        return None
    pid = os.getppid()
    for _ in range(4):  # dvc -> (a shell) -> tandem
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        if any(Path(arg.decode(errors="replace")).name == "dvc" for arg in cmdline.split(b"\0")):
            return f"{pid}-{stat[19]}"
        pid = int(stat[1])
    return None


def params_entities(params: Params) -> list[Any]:
    from mlflow.entities import Param

    return [Param(key, value) for key, value in step_params(params).items()]


@contextmanager
def step_run(params: Params, name: str, tags: Mapping[str, str] | None = None) -> Iterator[str]:
    """The MLflow run of step `name`, open while the step works (so its duration is the
    step's), nested under the pipeline run when there is one; -> the run id."""
    import mlflow

    setup(params)
    parent = parent_run_id(params)
    run_tags = {"git_commit": git_commit(), "step": name, **(tags or {})}
    with mlflow.start_run(run_name=name, parent_run_id=parent, tags=run_tags) as run:
        mlflow.log_params(step_params(params))
        yield str(run.info.run_id)
    if os.environ.get("DVC_STAGE") and parent:  # the repro's run ends with its last stage
        mlflow.MlflowClient().set_terminated(parent)


@contextmanager
def pipeline_run(params: Params, name: str, tags: Mapping[str, str]) -> Iterator[str]:
    """A parent run for one pipeline run (`tandem run`, a Prefect flow run): the steps' runs
    nest under it, also from other threads and processes (it is exported in PARENT_ENV)."""
    from mlflow import MlflowClient

    experiment = setup(params)  # first: the client reads the URI it sets
    client = MlflowClient()
    run = client.create_run(experiment, tags={"mlflow.runName": name, **tags})
    run_id = str(run.info.run_id)
    client.log_batch(run_id, params=params_entities(params))
    previous = os.environ.get(PARENT_ENV)
    os.environ[PARENT_ENV] = run_id
    status = "FAILED"
    try:
        yield run_id
        status = "FINISHED"
    finally:
        client.set_terminated(run_id, status)
        if previous is None:
            os.environ.pop(PARENT_ENV, None)
        else:
            os.environ[PARENT_ENV] = previous


def tag_pipeline_run(tags: Mapping[str, str]) -> None:
    """Tags on the running pipeline's parent run (none outside one): where its Data Docs are."""
    if os.environ.get(PARENT_ENV):
        from mlflow import MlflowClient

        for key, value in tags.items():
            MlflowClient().set_tag(os.environ[PARENT_ENV], key, value)


def log_dataset(path: Path, name: str, context: str) -> None:
    """A table the active run read, as an MLflow dataset input (MLflow hashes its content)."""
    import mlflow
    import pandas as pd
    from mlflow.data.pandas_dataset import from_pandas

    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_json(path, lines=True)
    with warnings.catch_warnings():  # MLflow registers its local-file source class twice
        warnings.filterwarnings("ignore", "The specified dataset source can be interpreted")
        dataset = from_pandas(frame, source=str(path.resolve()), name=name)
    mlflow.log_input(dataset, context=context)


def record(
    *,
    metrics: Mapping[str, float] | None = None,
    curves: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    artifacts: Sequence[Path] = (),
    tags: Mapping[str, str] | None = None,
) -> None:
    """Into the active run: metrics (NaN ones skipped), per-step curves, artifacts (a file at the
    run's root, a folder under its own name) and tags."""
    import mlflow

    mlflow.set_tags(dict(tags or {}))
    mlflow.log_metrics({k: v for k, v in (metrics or {}).items() if not math.isnan(v)})
    for metric, points in (curves or {}).items():
        for step, value in points:
            mlflow.log_metric(metric, value, step=step)
    for path in artifacts:
        if path.is_dir():
            mlflow.log_artifacts(str(path), artifact_path=path.name)
        else:
            mlflow.log_artifact(str(path))
