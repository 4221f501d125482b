"""register: log the whole copilot as an MLflow pyfunc and register it as `challenger`."""

from __future__ import annotations

import logging
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
    base_reference,
    environment,
    index_reference,
    registered_params,
)
from tasks.errors import UserError
from tasks.index.embed import embedder_identity, finetuned_dir
from tasks.models import base_model_dir
from tasks.params import Params
from tasks.reports import file_sha256, read_json, write_report

log = logging.getLogger(__name__)

CHALLENGER = "challenger"
CHAMPION = "champion"
FACTS_TAG = "eval.facts_metric"  # which metric the gate's search-box rule compares
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


def eval_tag(config: str, metric: str) -> str:
    """MLflow keys allow no '+': `finetuned+rag` is tagged as `eval.finetuned_rag.<metric>`."""
    return f"eval.{config.replace('+', '_')}.{metric}"


def eval_tags(eval_report: dict[str, Any]) -> dict[str, str]:
    """The evaluation numbers, as tags on the model version: what the gate compares."""
    tags = {
        eval_tag(config, metric): f"{value:.4f}"
        for config, values in eval_report["configs"].items()
        for metric, value in values.items()
        if value == value  # skip nan
    }
    tags.update(
        {f"eval.retrieval.{m}": f"{v:.4f}" for m, v in eval_report["retrieval"].items() if v == v}
    )
    tags["eval.questions"] = str(eval_report["questions"])
    tags[FACTS_TAG] = str(eval_report["facts_metric"])
    return tags


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
        "params": registered_params(params),
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
    artifacts = {"adapter": str(adapter)}
    if params.finetune_embedder.enabled:
        artifacts["embedder"] = str(finetuned_dir(params))
    # MLflow serves the input example once while logging: point it at this machine's index and
    # base, so that check answers for real instead of failing on where the model is served.
    served_here = {INDEX_ENV: str(params.paths.index_dir), BASE_ENV: str(base_model_dir(params))}
    with mlflow.start_run(run_name="register") as run, environment(served_here):
        mlflow.set_tags({"step": "register", "git_commit": tracking.git_commit()})
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
    registered_version = str(info.registered_model_version)
    client = MlflowClient()
    client.set_registered_model_alias(name, CHALLENGER, registered_version)
    tags = {
        **eval_tags(eval_report),
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
        run_id=run.info.run_id,
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
