"""Prefect flows: the pipeline's steps wired as tasks, and what each run shows in the UI.

Wiring only: every task is a step's `run(params)` from tasks/, exactly as `tandem <step>` and
DVC call it. Retries are for steps that talk to a server (Qdrant in server mode, an MLflow
tracking server), decided from the run's params; a UserError (bad input or config) is never
retried, since it fails the same way twice. Each run publishes artifacts: the step counts, the
four-way evaluation table and links to the MLflow runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from prefect import Task, flow, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun

from flows.fanout import make_task_runner, submit_embed_batches
from flows.pipeline import STEP_NAMES, STEPS
from flows.render import (
    counts_markdown,
    evaluation_markdown,
    promotion_markdown,
    quarantine_markdown,
)
from tasks import tracking
from tasks.copilot import feedback
from tasks.copilot.register import RegisterReport
from tasks.errors import UserError
from tasks.index.index import IndexReport
from tasks.index.store.base import IndexBusy
from tasks.params import Params
from tasks.params_loader import PARAMS_FILE, load_params

NETWORK_RETRIES = 2  # a restarting server or a dropped connection, not an outage
RETRY_DELAYS = [10.0, 60.0]  # seconds: a quick retry, then time for a restart
INDEX_LIMIT = "tandem-index"  # global concurrency limit: one index writer across all workers
# Steps writing files and external state: a cached result would be a wrong one.
TASKS: dict[str, Task[..., Any]] = {
    name: task(name=name, cache_policy=NO_CACHE)(step) for name, step in STEPS
}
index_task = TASKS["index"]
export_feedback_task = task(name="feedback-export", cache_policy=NO_CACHE)(feedback.export)
REINDEX_STEPS = ("validate", "curate", "index")
QUARANTINE_SHOWN = 10  # quarantined rows listed in the validate run's artifact
STEP_LOGGER = "tasks"  # the steps log under tasks.<module>
TRACKED_STEPS = {"finetune-embedder", "finetune", "evaluate", "register"}  # steps with MLflow runs


def finetune_steps(params: Params) -> tuple[str, ...]:
    """Retrieval reads the index the reindex flow keeps in sync; a retuned embedder changes the
    vectors, so then the index is rebuilt in the same run."""
    return tuple(n for n in STEP_NAMES if n != "index" or params.finetune_embedder.enabled)


# --------------------------------------------------------------------------- retries


def is_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry anything but a UserError."""
    try:
        state.result()
    except UserError:
        return False
    except Exception:
        return True
    return True


def with_network_retries(step: Task[..., Any], networked: bool) -> Task[..., Any]:
    if not networked:
        return step
    return step.with_options(
        retries=NETWORK_RETRIES, retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=is_transient
    )


def index_is_remote(params: Params) -> bool:
    return params.index.backend == "server" and params.index.url_mode == "remote"


def mlflow_is_remote(params: Params) -> bool:
    return tracking.tracking_uri(params).startswith(("http://", "https://"))


# --------------------------------------------------------------------------- artifacts


def publish_counts(step: str, report: Any) -> None:
    create_markdown_artifact(
        markdown=counts_markdown(step, report), key=f"{step}-counts", description=f"{step} counts"
    )


def publish_mlflow_link(params: Params, key: str, title: str, page: str) -> None:
    """A link to `page` of the MLflow UI (`runs/<id>`); for a local store, where to find it."""
    uri = tracking.tracking_uri(params)
    if uri.startswith(("http://", "https://")):
        create_link_artifact(link=f"{uri.rstrip('/')}/#/{page}", link_text=title, key=key)
        return
    create_markdown_artifact(
        markdown=(
            f"{title}: in the local store `{uri}`; run `mlflow ui --backend-store-uri {uri}` "
            f"and open `#/{page}`."
        ),
        key=key,
    )


def publish_run_link(params: Params, step: str, run_id: str | None) -> None:
    if run_id:
        key, title = f"mlflow-{step}-run", f"MLflow {step} run {run_id}"
        publish_mlflow_link(params, key, title, f"runs/{run_id}")


def publish_model_version_link(params: Params, report: RegisterReport) -> None:
    name, version = report.model_name, report.version
    title = f"{name} version {version} ({report.alias})"
    publish_mlflow_link(params, "mlflow-model-version", title, f"models/{name}/versions/{version}")


def publish(params: Params, name: str, report: Any) -> None:
    """What a step's run shows in the UI: its counts, its MLflow run, the table, the decision."""
    if name == "evaluate":
        create_markdown_artifact(
            markdown=evaluation_markdown(report), key="evaluation", description="evaluation"
        )
    if name in ("finetune", "evaluate"):
        publish_run_link(params, name, report.mlflow_run_id)
    elif name == "register":
        publish_model_version_link(params, report)
    elif name == "promote":
        create_markdown_artifact(markdown=promotion_markdown(report), key="promotion")
    elif name == "finetune-embedder":
        publish_counts(name, report)
        publish_run_link(params, name, report.mlflow_run_id)
    elif name != "index":  # the index subflow publishes its own, on the run that started it
        publish_counts(name, report)
    if name == "validate":
        tracking.tag_pipeline_run({"data_docs": Path(report.data_docs).resolve().as_uri()})
        create_markdown_artifact(
            markdown=quarantine_markdown(report, QUARANTINE_SHOWN),
            key="validation-evidence",
            description="Data Docs and quarantined rows",
        )


def show_step_logs() -> None:
    """The steps' log lines in this flow run's Logs tab. Prefect's extra-loggers setting gives
    a logger its API handler but not a level, so `tasks.*` INFO lines stopped at the root
    logger's WARNING and never reached the UI."""
    from prefect.logging.handlers import APILogHandler

    logger = logging.getLogger(STEP_LOGGER)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    if not any(isinstance(h, APILogHandler) for h in logger.handlers):
        logger.addHandler(APILogHandler())


# --------------------------------------------------------------------------- steps


@contextmanager
def one_index_writer(params: Params) -> Iterator[None]:
    """The global concurrency limit INDEX_LIMIT (limit 1) around the index step: it serializes
    writers that share no filesystem for the step's file lock (pods on one Qdrant). Where the
    limit does not exist, Prefect lets the run through and the file lock alone applies."""
    from prefect.concurrency.sync import concurrency

    acquired = False
    try:
        with concurrency(INDEX_LIMIT, occupy=1, timeout_seconds=params.index.lock_timeout):
            acquired = True
            yield
    except TimeoutError:
        if acquired:  # the step's own timeout (a network call), not the wait for the slot
            raise
        raise IndexBusy(
            f"another flow run holds the Prefect concurrency limit '{INDEX_LIMIT}' (waited "
            f"{params.index.lock_timeout:.0f} s); let the running index step finish, or raise "
            "index.lock_timeout"
        ) from None


@flow(name="tandem-index", validate_parameters=False)
def index_flow(params: Params) -> IndexReport:
    """Sync the index; the changed chunks are embedded as tasks on this run's task runner."""
    step = with_network_retries(index_task, index_is_remote(params))
    with one_index_writer(params):
        return cast(IndexReport, step(params, embed_batches=submit_embed_batches(params)))


def run_index(params: Params) -> IndexReport:
    # A subflow, so each run gets the task runner its own params name (a run's overrides may
    # switch it), started for the run and shut down after it.
    runner = make_task_runner(params.orchestration)
    report = index_flow.with_options(task_runner=runner)(params)
    publish_counts("index", report)  # on the run that was started, next to the other counts
    return report


@contextmanager
def flow_run_in_mlflow(params: Params, names: Sequence[str]) -> Iterator[None]:
    """This flow run as the parent MLflow run of its steps' runs, linked from the UI (a run of
    steps that track nothing, such as a scheduled re-index, opens none)."""
    from prefect.runtime import flow_run

    if not TRACKED_STEPS & set(names):
        yield
        return
    tags = {"pipeline": "prefect", "prefect_flow_run_id": str(flow_run.id)}
    with tracking.pipeline_run(params, f"{flow_run.flow_name}: {flow_run.name}", tags) as run_id:
        publish_run_link(params, "pipeline", run_id)
        yield


def run_steps(params: Params, names: Sequence[str]) -> dict[str, Any]:
    """The named steps in the pipeline's order, each as a task run, each publishing its report,
    their log lines and MLflow runs under this flow run."""
    show_step_logs()
    reports: dict[str, Any] = {}
    with flow_run_in_mlflow(params, names):
        for name in (n for n in STEP_NAMES if n in names):
            if name == "index":
                reports[name] = run_index(params)
            else:
                networked = name in ("register", "promote") and mlflow_is_remote(params)
                reports[name] = with_network_retries(TASKS[name], networked)(params)
            publish(params, name, reports[name])
    return reports


# --------------------------------------------------------------------------- flows
# `overrides` are typed params values, e.g. {"finetune.lora.r": 16}, for one run;
# `deployment_overrides` are a deployment's own (`tandem serve -S`, `prefect deploy --param`),
# kept when a run brings its `overrides`: the run's win key by key. Prefect validates a run's
# parameters into fresh objects, and the flows never mutate them, so the {} defaults are safe.


def _params(
    params_path: str, deployment_overrides: dict[str, Any], overrides: dict[str, Any]
) -> Params:
    return load_params(params_path, values={**deployment_overrides, **overrides})


@flow(name="tandem-reindex")
def reindex(
    overrides: dict[str, Any] = {},  # noqa: B006
    params_path: str = PARAMS_FILE,
    deployment_overrides: dict[str, Any] = {},  # noqa: B006
) -> dict[str, Any]:
    """Validate, curate and sync the index: changed knowledge reaches search."""
    return run_steps(_params(params_path, deployment_overrides, overrides), REINDEX_STEPS)


@flow(name="tandem-finetune")
def finetune(
    overrides: dict[str, Any] = {},  # noqa: B006
    params_path: str = PARAMS_FILE,
    deployment_overrides: dict[str, Any] = {},  # noqa: B006
) -> dict[str, Any]:
    """Validate, curate, prepare the model, build sft records, fine-tune, evaluate, register
    and promote. Retrieval reads the index the reindex flow keeps in sync."""
    params = _params(params_path, deployment_overrides, overrides)
    exported = export_feedback_task(params)  # agents' corrections become sft examples first
    publish_counts("feedback-export", exported)
    return {"feedback-export": exported, **run_steps(params, finetune_steps(params))}


@flow(name="tandem-full")
def full(
    overrides: dict[str, Any] = {},  # noqa: B006
    params_path: str = PARAMS_FILE,
    deployment_overrides: dict[str, Any] = {},  # noqa: B006
) -> dict[str, Any]:
    """Every step: reindex, then fine-tune on the fresh index."""
    return run_steps(_params(params_path, deployment_overrides, overrides), STEP_NAMES)
