"""register: log the whole copilot as an MLflow pyfunc and register it as `challenger`."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tasks import tracking
from tasks.copilot.prompt_registry import register_prompt, set_prompt_alias
from tasks.copilot.serving import (
    BASE_ENV,
    INDEX_ENV,
    PARAMS_ARTIFACT,
    base_reference,
    environment,
    index_reference,
    registered_params,
)
from tasks.errors import UserError
from tasks.index.embed import embedder_identity, finetuned_dir
from tasks.models import base_model_dir
from tasks.params import Params
from tasks.reports import file_sha256, read_json, write_json_atomic, write_report

log = logging.getLogger(__name__)

CHALLENGER = "challenger"
CHAMPION = "champion"
FACTS_TAG = "facts_metric"  # on the logged model: which metric the search-box rule compares
RUNTIME_PACKAGES = (
    "mlflow", "torch", "transformers", "peft", "sentence-transformers",
    "qdrant-edge-py", "qdrant-client", "pandas", "pyyaml", "pydantic",
)  # fmt: skip


@dataclass(frozen=True)
class RegisterReport:
    model_name: str
    version: str
    alias: str
    model_uri: str
    run_id: str
    index_version: str
    adapter_sha256: str
    seconds: float


def requirements() -> list[str]:
    pins = []
    for name in RUNTIME_PACKAGES:
        try:
            pins.append(f"{name}=={version(name).split('+')[0]}")
        except PackageNotFoundError:
            pins.append(name)
    return pins


def eval_key(config: str, metric: str) -> str:
    """MLflow keys allow no '+': `finetuned+rag`'s metric is `finetuned_rag.<metric>`."""
    return f"{config.replace('+', '_')}.{metric}"


def model_metrics(eval_report: dict[str, Any]) -> dict[str, float]:
    """The evaluation numbers the gate compares, logged onto the logged model (NaN skipped)."""
    metrics = {
        eval_key(config, metric): float(value)
        for config, values in eval_report["configs"].items()
        for metric, value in values.items()
        if value == value
    }
    metrics.update(
        {f"retrieval.{m}": float(v) for m, v in eval_report["retrieval"].items() if v == v}
    )
    metrics["questions"] = float(eval_report["questions"])
    return metrics


def link_evaluation(model_id: str, eval_report: dict[str, Any]) -> None:
    """The evaluation's metrics on the logged model (MLflow 3's model page shows them), from the
    evaluate run when it is known, so the model points at the run that measured it."""
    import mlflow
    from mlflow.exceptions import MlflowException

    eval_run = eval_report.get("mlflow_run_id")
    if eval_run:
        try:
            mlflow.MlflowClient().get_run(eval_run)
        except MlflowException:  # measured against another tracking store: log on this run
            eval_run = None
    mlflow.log_metrics(model_metrics(eval_report), model_id=model_id, run_id=eval_run)
    mlflow.set_logged_model_tags(model_id, {FACTS_TAG: str(eval_report["facts_metric"])})


def register(params: Params, adapter: Path, eval_report: dict[str, Any]) -> RegisterReport:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.models import ModelSignature

    from tasks.copilot.model_schema import INPUT_EXAMPLE, INPUTS, OUTPUTS
    from tasks.index.versions import current_version

    started = time.perf_counter()
    if not (adapter / "adapter_config.json").is_file():
        raise UserError(f"no adapter in '{adapter}'; run `tandem finetune` first")
    index_version, manifest_hash = current_version(params)
    adapter_hash = file_sha256(adapter / "adapter_model.safetensors")
    if eval_report.get("adapter_sha256") != adapter_hash:
        raise UserError(
            f"reports/eval.json was measured on another adapter than '{adapter}'; "
            "run `tandem evaluate` again before registering"
        )
    name = params.register_.model_name
    tracking.setup(params)
    config = {
        "model_name": name,
        "adapter_sha256": adapter_hash,
        "base": base_reference(params),
        "embedder": embedder_identity(params),
        "prompt_system": params.prompt.system,
        "retrieve": params.retrieve.model_dump(mode="json"),
        "index": index_reference(params, index_version, manifest_hash),
    }
    prompt = register_prompt(
        params,
        commit_message=f"evaluated with adapter {adapter_hash[:12]} on index {index_version}",
        tags={"adapter_sha256": adapter_hash, "index_version": index_version},
    )
    set_prompt_alias(params, CHALLENGER, prompt.version)
    config["prompt_uri"] = f"prompts:/{prompt.name}/{prompt.version}"
    # A file, not model config: MLflow logs a model's config as run params ("params/paths/..."),
    # a second naming scheme beside the steps' own.
    placed = Path(tempfile.mkdtemp(prefix="tandem-register-")) / "params.json"
    write_json_atomic(placed, registered_params(params))
    artifacts = {"adapter": str(adapter), PARAMS_ARTIFACT: str(placed)}
    if params.finetune_embedder.enabled:
        artifacts["embedder"] = str(finetuned_dir(params))
    # MLflow serves the input example once while logging: point it at this machine's index and
    # base, so that check answers for real instead of failing on where the model is served.
    served_here = {INDEX_ENV: str(params.paths.index_dir), BASE_ENV: str(base_model_dir(params))}
    with tracking.step_run(params, "register") as run_id, environment(served_here):
        info = mlflow.pyfunc.log_model(
            name="copilot",
            python_model=str(Path(__file__).with_name("model.py")),
            artifacts=artifacts,
            model_config=config,
            signature=ModelSignature(inputs=INPUTS, outputs=OUTPUTS),
            input_example=INPUT_EXAMPLE,
            code_paths=[str(Path(__file__).parents[1])],  # the tasks package
            pip_requirements=requirements(),
            registered_model_name=name,
        )
        link_evaluation(info.model_id, eval_report)
    shutil.rmtree(placed.parent, ignore_errors=True)
    registered_version = str(info.registered_model_version)
    client = MlflowClient()
    client.set_registered_model_alias(name, CHALLENGER, registered_version)
    tags = {
        "index_version": index_version,
        "index_manifest_sha256": manifest_hash,
        "adapter_sha256": adapter_hash,
        "base_model": params.model.base,
        "embedder": embedder_identity(params),
        "prompt_version": str(prompt.version),
        "git_commit": tracking.git_commit(),
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, registered_version, key, value)
    return RegisterReport(
        model_name=name,
        version=registered_version,
        alias=CHALLENGER,
        model_uri=f"models:/{name}@{CHALLENGER}",
        run_id=run_id,
        index_version=index_version,
        adapter_sha256=adapter_hash,
        seconds=round(time.perf_counter() - started, 1),
    )


def run(params: Params) -> RegisterReport:
    from tasks.models import adapter_dir

    eval_path = params.paths.reports_dir / "eval.json"
    if not eval_path.is_file():
        raise UserError(
            f"'{eval_path}' not found; run `tandem evaluate` first "
            "(only evaluated models are registered)"
        )
    report = register(params, adapter_dir(params), read_json(eval_path))
    write_report(params.paths.reports_dir, "register", report)
    return report
