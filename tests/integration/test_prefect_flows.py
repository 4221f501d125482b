"""The Prefect flows and deployments against a real server on loopback: `tandem serve` registers
them with their schedules and limits, a run takes parameter overrides, a bad override fails the
run with the params error, retries are for network errors only, the full flow publishes its
artifacts, and prefect.yaml deploys the same three to a process pool."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect import get_client

from flows.prefect_flows import (
    INDEX_LIMIT,
    NETWORK_RETRIES,
    full,
    index_flow,
    index_is_remote,
    index_task,
    mlflow_is_remote,
    with_network_retries,
)
from flows.render import evaluation_markdown
from tasks.data import curate, validate
from tasks.errors import UserError
from tasks.evaluate.evaluate import EvalReport
from tasks.evaluate.promote import logged_model_id
from tasks.index.store.base import IndexBusy
from tasks.params import Params
from tasks.params_loader import load_params
from tests.servers import (
    BIN,
    Server,
    base_env,
    params_copy,
    prefect_client_env,
    start_tandem_serve,
    wait_for_logs,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SERVE_OVERRIDE = "curate.chunk_overlap=16"  # a `tandem serve -S` default every run keeps


@dataclass(frozen=True)
class Served:
    prefect: Server
    params_path: Path
    out_dir: Path


@pytest.fixture(scope="module")
def served(
    prefect_server: Server, tiny_sources: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """`tandem serve` with a params file whose paths point at the tiny sources and a temp out."""
    work = tmp_path_factory.mktemp("served")
    params_path = params_copy(REPO, work / "params.yaml", tiny_sources, work / "out")
    runner = start_tandem_serve(prefect_server, params_path, SERVE_OVERRIDE, cwd=REPO)
    yield Served(prefect_server, params_path, work / "out")
    runner.stop()


def run(name: str, overrides: dict[str, Any]) -> Any:
    from prefect.deployments import run_deployment

    return run_deployment(name, parameters={"overrides": overrides}, timeout=240, poll_interval=1)


def artifacts_of(flow_run_id: Any) -> dict[str, Any]:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a.data for a in found}


def test_served_deployments_have_schedules_limits_and_defaults(served: Served, api: None) -> None:
    params = load_params(served.params_path)
    with get_client(sync_client=True) as client:
        reindex = client.read_deployment_by_name("tandem-reindex/reindex")
        finetune = client.read_deployment_by_name("tandem-finetune/finetune")
        full = client.read_deployment_by_name("tandem-full/full")

    assert [s.schedule.cron for s in reindex.schedules] == [params.schedule.reindex_cron]
    assert reindex.global_concurrency_limit.limit == 1
    assert reindex.concurrency_options.collision_strategy == "CANCEL_NEW"
    assert [s.schedule.cron for s in finetune.schedules] == [params.schedule.finetune_cron]
    assert finetune.global_concurrency_limit.limit == 1
    assert finetune.concurrency_options.collision_strategy == "ENQUEUE"
    assert full.schedules == []
    for deployment in (reindex, finetune, full):
        assert deployment.parameters == {
            "overrides": {},
            "params_path": str(served.params_path),
            "deployment_overrides": {"curate.chunk_overlap": 16},
        }
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(INDEX_LIMIT).limit == 1


def test_index_waits_for_the_global_limit_held_elsewhere(
    served: Served, api: None, tiny_sources: Path, tmp_path: Path
) -> None:
    """A writer on another machine holds the limit: the index step waits, then gives up with
    the busy error, and goes through once the slot is free."""
    from prefect.concurrency.sync import concurrency

    params = load_params(
        served.params_path,
        [f"paths.out_dir={tmp_path / 'out'}", "index.lock_timeout=3"],
    )
    validate.run(params)
    curate.run(params)
    with concurrency(INDEX_LIMIT, occupy=1), pytest.raises(IndexBusy, match=INDEX_LIMIT):
        index_flow(params)
    assert not (tmp_path / "out" / "index" / "manifest.json").exists()
    assert index_flow(params).embedded > 0


def test_run_applies_overrides_and_publishes_artifacts(served: Served, api: None) -> None:
    flow_run = run("tandem-reindex/reindex", {"curate.chunk_tokens": 64})

    assert flow_run.state.is_completed(), flow_run.state.message
    manifest = json.loads((served.out_dir / "index" / "manifest.json").read_text())
    assert manifest["chunk_tokens"] == 64  # the run's override reached the index step
    assert manifest["chunk_overlap"] == 16  # and the deployment's own stayed in force
    assert manifest["docs"] == 6
    artifacts = artifacts_of(flow_run.id)
    assert {"validate-counts", "curate-counts", "index-counts"} <= set(artifacts)
    assert f"| points | {manifest['points']} |" in artifacts["index-counts"]
    assert "### sources" in artifacts["validate-counts"]
    evidence = artifacts["validation-evidence"]
    assert (served.out_dir / "reports" / "data_docs" / "index.html").as_uri() in evidence
    assert "Quarantined rows: 0 in" in evidence


def test_step_log_lines_reach_the_flow_run_logs(served: Served, api: None) -> None:
    """What the steps log (tasks.* loggers, INFO) is in the run's Logs tab, read via the API
    (the index step's lines are on its subflow run's)."""
    flow_run = run("tandem-reindex/reindex", {})
    assert flow_run.state.is_completed(), flow_run.state.message
    by_logger = wait_for_logs(flow_run.id, {"tasks.data.validate", "tasks.data.curate"})
    assert any(
        name == "tasks.data.validate" and message.startswith("validate: 21 rows read")
        for name, message in by_logger
    ), sorted(by_logger)
    assert any(name == "tasks.data.curate" for name, _ in by_logger), sorted(by_logger)


def test_invalid_override_fails_with_the_params_error(served: Served, api: None) -> None:
    flow_run = run("tandem-reindex/reindex", {"curate.chunk_tokens": 8})

    assert flow_run.state.is_failed()
    message = flow_run.state.message or ""
    assert "ParamsError" in message
    assert "curate.chunk_tokens: got 8" in message
    assert "Traceback" not in message and "File " not in message


def test_prefect_yaml_crons_match_params() -> None:
    params = load_params(REPO / "params.yaml")
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    crons = {d["name"]: [s["cron"] for s in d.get("schedules", [])] for d in spec["deployments"]}
    assert crons == {
        "reindex": [params.schedule.reindex_cron],
        "finetune": [params.schedule.finetune_cron],
        "full": [],
    }


@pytest.mark.parametrize(("error", "calls"), [(ConnectionError, 3), (UserError, 1)])
def test_network_retries_retry_all_but_user_errors(
    api: None, error: type[Exception], calls: int
) -> None:
    from prefect import flow, task

    attempts: list[int] = []

    @task
    def flaky() -> None:
        attempts.append(1)
        raise error("boom")

    @flow
    def wired() -> None:
        with_network_retries(flaky, networked=True).with_options(retry_delay_seconds=0)()

    assert wired(return_state=True).is_failed()
    assert len(attempts) == calls


def test_retries_only_where_a_network_is_involved(tmp_path: Path) -> None:
    def params(*overrides: str) -> Params:
        return load_params(REPO / "params.yaml", [f"paths.out_dir={tmp_path}", *overrides])

    assert not index_is_remote(params())
    assert not index_is_remote(params("index.backend=server", "index.qdrant_url=local:/tmp/q"))
    assert index_is_remote(params("index.backend=server", "index.qdrant_url=http://qdrant:6333"))
    assert not mlflow_is_remote(params("tracking.uri=sqlite:///x.db"))
    assert mlflow_is_remote(params("tracking.uri=http://mlflow:5000"))
    assert with_network_retries(index_task, networked=False) is index_task
    assert with_network_retries(index_task, networked=True).retries == NETWORK_RETRIES


def test_evaluation_artifact_is_the_four_way_table() -> None:
    configs = {
        name: {"answer_score": score, "format": 1.0}
        for name, score in [
            ("base", 0.1),
            ("base+rag", 0.3),
            ("finetuned", 0.2),
            ("finetuned+rag", 0.5),
        ]
    }
    report = EvalReport(
        questions=3,
        configs=configs,
        retrieval={"recall_at_3": 1.0},
        primary_metric="answer_score",
        facts_metric="must_include",
        seconds=1.0,
        index_version="v0001",
        adapter_sha256="abc",
        generated={},
    )
    table = evaluation_markdown(report)
    assert "| config | **answer_score** | format |" in table
    assert "| finetuned+rag | 0.5 | 1 |" in table
    assert "| recall_at_3 | 1 |" in table


def test_full_flow_runs_every_step_and_publishes_its_artifacts(
    api: None, tiny_sources: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    """In process, on the tiny model: the ten steps, the evaluation table, links, the promotion."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    overrides = {
        "paths.source_dir": str(tiny_sources),
        "paths.out_dir": str(tmp_path / "out"),
        "model.base": str(tiny_model_dir),
        "finetune.max_steps": 2,
        "finetune.per_device_train_batch_size": 2,
        "finetune.gradient_accumulation_steps": 1,
        "finetune.max_seq_length": 256,
        "finetune.precision": "fp32",
        "generate.max_new_tokens": 8,
        "tracking.uri": None,
        # A random tiny model's answers are noise and never beat the search box; the gate's
        # search-box rule is tested on the real model (test_copilot_real) and in test_gate.
        "gate.require_beats_retrieval": False,
    }
    reports = full(overrides=overrides, params_path=str(REPO / "params.yaml"))

    assert list(reports) == [
        "validate", "curate", "finetune-embedder", "index", "prepare-model",
        "build-sft", "finetune", "evaluate", "register", "promote",
    ]  # fmt: skip
    assert reports["register"].version == "1" and reports["promote"].promoted
    keys = ["evaluation", "promotion", "mlflow-finetune-run", "mlflow-model-version"]
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys))
        )
    latest = {a.key: a.data for a in sorted(found, key=lambda a: a.created)}
    assert "| finetuned+rag |" in latest["evaluation"]
    assert "version 1 is now `champion`" in latest["promotion"]
    assert reports["finetune"].mlflow_run_id in latest["mlflow-finetune-run"]
    assert "models/tandem-copilot/versions/1" in latest["mlflow-model-version"]
    assert_mlflow_runs_span_the_work(tmp_path / "out", reports)


def assert_mlflow_runs_span_the_work(out: Path, reports: dict[str, Any]) -> None:
    """The flow run is the steps' parent run; each step's run lasts as long as its work, logs
    the same params under the same names, and the datasets it read; the evaluation's metrics
    are on the logged model, not dozens of version tags."""
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{out / 'mlflow' / 'mlflow.db'}")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    by_name = {r.info.run_name: r for r in runs}
    parent = next(r for r in runs if r.data.tags.get("pipeline") == "prefect")
    for step in ("finetune", "evaluate", "register"):
        run = by_name[step]
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id, step
        # one naming scheme everywhere; register also holds the model's config, logged by
        # MLflow under "/" (the params themselves are not in it, so not named twice)
        extra = set(run.data.params.items()) - set(parent.data.params.items())
        assert not [k for k, _ in extra if step != "register" or k.startswith("params")], step
        assert set(parent.data.params.items()) <= set(run.data.params.items()), step
        assert run.info.start_time >= parent.info.start_time
        assert run.info.end_time <= parent.info.end_time
    assert "paths.source_dir" in parent.data.params
    spans = {s: (by_name[s].info.end_time - by_name[s].info.start_time) / 1000 for s in by_name}
    assert spans["finetune"] >= reports["finetune"].wall_seconds
    assert spans["evaluate"] >= reports["evaluate"].seconds - 0.1  # seconds: rounded to 0.1
    inputs = {d.dataset.name: d.dataset for d in by_name["finetune"].inputs.dataset_inputs}
    assert {"sft-train"} <= set(inputs) and inputs["sft-train"].digest
    evaluated = [d.dataset.name for d in by_name["evaluate"].inputs.dataset_inputs]
    assert evaluated == ["eval"]

    version = client.get_model_version("tandem-copilot", "1")
    assert not [k for k in version.tags if k.startswith("eval")], version.tags
    mlflow.set_tracking_uri(client.tracking_uri)
    model = mlflow.get_logged_model(logged_model_id(version))
    metrics = {m.key: m for m in model.metrics}
    evaluation = reports["evaluate"].configs["finetuned+rag"]
    assert metrics["finetuned_rag.answer_score"].value == evaluation["answer_score"]
    assert metrics["finetuned_rag.answer_score"].run_id == by_name["evaluate"].info.run_id
    assert model.tags["facts_metric"] == reports["evaluate"].facts_metric


def test_prefect_deploy_creates_the_pool_deployments(served: Served, api: None) -> None:
    """Last in this module: it replaces the served deployments of the same names."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="tandem-process", type="process"))
    env = base_env(prefect_client_env(served.prefect))
    command = [str(BIN / "prefect"), "--no-prompt", "deploy", "--all"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr

    with get_client(sync_client=True) as client:
        reindex = client.read_deployment_by_name("tandem-reindex/reindex")
        full = client.read_deployment_by_name("tandem-full/full")
    assert reindex.work_pool_name == "tandem-process"
    assert reindex.entrypoint == "flows/prefect_flows.py:reindex"
    assert reindex.concurrency_options.collision_strategy == "CANCEL_NEW"
    assert full.parameters == {
        "overrides": {},
        "params_path": "params.yaml",
        "deployment_overrides": {},
    }
