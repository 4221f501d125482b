"""Prefect flows: the pipeline's steps wired as tasks, and what each run shows in the UI.

Wiring only: every task is a step's `run(params)` from tasks/, exactly as `tandem <step>` and
DVC call it. Retries are for steps that talk to a server (Qdrant in server mode, an MLflow
tracking server), decided from the run's params; a UserError (bad input or config) is never
retried, since it fails the same way twice. Each run publishes artifacts: the step counts, the
four-way evaluation table and links to the MLflow runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import Any, cast

from prefect import Task, flow, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun

from flows.fanout import make_task_runner, submit_embed_batches
from tasks import curate, evaluate, index, promote, register, sft, tracking, validate
from tasks import finetune as finetuning
from tasks.errors import UserError
from tasks.models import prepare_model
from tasks.params import Params, load_params
from tasks.vector_store import IndexBusy

NETWORK_RETRIES = 2  # a restarting server or a dropped connection, not an outage
RETRY_DELAYS = [10.0, 60.0]  # seconds: a quick retry, then time for a restart
INDEX_LIMIT = "tandem-index"  # global concurrency limit: one index writer across all workers
LOCAL_QDRANT = ("local:", ":memory:")  # index.qdrant_url modes that open files, not sockets


def _step(fn: Callable[..., Any], name: str) -> Task[..., Any]:
    # Steps write files and external state, so a cached result would be a wrong one.
    return task(name=name, cache_policy=NO_CACHE)(fn)


prepare_model_task = _step(prepare_model, "prepare-model")
validate_task = _step(validate.run, "validate")
curate_task = _step(curate.run, "curate")
index_task = _step(index.run, "index")
build_sft_task = _step(sft.run, "build-sft")
finetune_task = _step(finetuning.run, "finetune")
evaluate_task = _step(evaluate.run, "evaluate")
register_task = _step(register.run, "register")
promote_task = _step(promote.run, "promote")


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
    url = params.index.url or ""
    return params.index.backend == "server" and not url.startswith(LOCAL_QDRANT)


def mlflow_is_remote(params: Params) -> bool:
    return tracking.tracking_uri(params).startswith(("http://", "https://"))


# --------------------------------------------------------------------------- artifacts


def _plain(report: Any) -> Any:
    return asdict(report) if is_dataclass(report) and not isinstance(report, type) else report


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items()) or "-"
    return "-" if value is None or value == "" else str(value).replace("|", "\\|")


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _records(value: Any) -> list[dict[str, Any]]:
    """A report's per-source/per-kind breakdown as rows: a list of dicts or a dict of dicts."""
    if isinstance(value, list | tuple) and value and all(isinstance(v, dict) for v in value):
        return list(value)
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return [{"name": name, **fields} for name, fields in value.items()]
    return []


def counts_markdown(step: str, report: Any) -> str:
    """The report's counts as a table, then a table per breakdown (per source, per kind)."""
    fields = _plain(report)
    totals = [[k, v] for k, v in fields.items() if not _records(v)]
    parts = [f"## {step}", markdown_table(["count", "value"], totals)]
    for name, value in fields.items():
        rows = _records(value)
        if rows:
            columns = list(dict.fromkeys(k for row in rows for k in row))
            table = markdown_table(columns, [[row.get(c) for c in columns] for row in rows])
            parts += [f"### {name}", table]
    return "\n\n".join(parts)


def evaluation_markdown(report: evaluate.EvalReport) -> str:
    """The four-way table: base, base+rag, finetuned, finetuned+rag."""
    metrics = list(next(iter(report.configs.values())))
    header = ["config", *(f"**{m}**" if m == report.primary_metric else m for m in metrics)]
    rows = [[name, *(values.get(m) for m in metrics)] for name, values in report.configs.items()]
    retrieval = [[m, v] for m, v in report.retrieval.items()]
    return "\n\n".join(
        [
            f"## evaluation ({report.questions} questions, index {report.index_version})",
            markdown_table(header, rows),
            f"Primary metric: **{report.primary_metric}**.",
            "### retrieval",
            markdown_table(["metric", "value"], retrieval),
        ]
    )


def publish_counts(step: str, report: Any) -> None:
    create_markdown_artifact(
        markdown=counts_markdown(step, report), key=f"{step}-counts", description=f"{step} counts"
    )


def promotion_markdown(report: promote.PromoteReport) -> str:
    if report.promoted:
        verdict = f"version {report.challenger} is now `champion`"
    else:
        champion = report.champion or "none"
        verdict = f"version {report.challenger} stays `challenger`; `champion` is {champion}"
    return f"## {report.model_name}: {verdict}\n\n{report.reasons}"


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


def publish_model_version_link(params: Params, report: register.RegisterReport) -> None:
    name, version = report.model_name, report.version
    title = f"{name} version {version} ({report.alias})"
    publish_mlflow_link(params, "mlflow-model-version", title, f"models/{name}/versions/{version}")


# --------------------------------------------------------------------------- step groups


def _data(params: Params) -> dict[str, Any]:
    reports: dict[str, Any] = {}
    reports["validate"] = validate_task(params)
    publish_counts("validate", reports["validate"])
    reports["curate"] = curate_task(params)
    publish_counts("curate", reports["curate"])
    return reports


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
def index_flow(params: Params) -> index.IndexReport:
    """Sync the index; the changed chunks are embedded as tasks on this run's task runner."""
    step = with_network_retries(index_task, index_is_remote(params))
    with one_index_writer(params):
        return cast(index.IndexReport, step(params, embed_batches=submit_embed_batches(params)))


def _index(params: Params) -> dict[str, Any]:
    # A subflow, so each run gets the task runner its own params name (a run's overrides may
    # switch it), started for the run and shut down after it.
    runner = make_task_runner(params.orchestration)
    report = index_flow.with_options(task_runner=runner)(params)
    publish_counts("index", report)  # on the run that was started, next to the other counts
    return {"index": report}


def _train(params: Params) -> dict[str, Any]:
    remote = mlflow_is_remote(params)
    reports: dict[str, Any] = {}
    reports["build-sft"] = build_sft_task(params)
    publish_counts("build-sft", reports["build-sft"])
    reports["finetune"] = finetune_task(params)
    publish_run_link(params, "finetune", reports["finetune"].mlflow_run_id)
    reports["evaluate"] = evaluate_task(params)
    create_markdown_artifact(
        markdown=evaluation_markdown(reports["evaluate"]),
        key="evaluation",
        description="four-way evaluation",
    )
    publish_run_link(params, "evaluate", reports["evaluate"].mlflow_run_id)
    reports["register"] = with_network_retries(register_task, remote)(params)
    publish_model_version_link(params, reports["register"])
    reports["promote"] = with_network_retries(promote_task, remote)(params)
    create_markdown_artifact(markdown=promotion_markdown(reports["promote"]), key="promotion")
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
    params_path: str = "params.yaml",
    deployment_overrides: dict[str, Any] = {},  # noqa: B006
) -> dict[str, Any]:
    """Validate, curate and sync the index: changed knowledge reaches search."""
    params = _params(params_path, deployment_overrides, overrides)
    return {**_data(params), **_index(params)}


@flow(name="tandem-finetune")
def finetune(
    overrides: dict[str, Any] = {},  # noqa: B006
    params_path: str = "params.yaml",
    deployment_overrides: dict[str, Any] = {},  # noqa: B006
) -> dict[str, Any]:
    """Prepare the model, validate, curate, build sft records, fine-tune, evaluate, register
    and promote. Retrieval reads the index the reindex flow keeps in sync."""
    params = _params(params_path, deployment_overrides, overrides)
    reports = {"prepare-model": prepare_model_task(params)}
    return {**reports, **_data(params), **_train(params)}


@flow(name="tandem-full")
def full(
    overrides: dict[str, Any] = {},  # noqa: B006
    params_path: str = "params.yaml",
    deployment_overrides: dict[str, Any] = {},  # noqa: B006
) -> dict[str, Any]:
    """Reindex, then fine-tune on the fresh index: the whole pipeline."""
    params = _params(params_path, deployment_overrides, overrides)
    reports = {**_data(params), **_index(params)}
    reports["prepare-model"] = prepare_model_task(params)
    return {**reports, **_train(params)}
