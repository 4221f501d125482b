"""The copilot in a real MLflow registry (`mlflow server` on loopback): register and promote move
the aliases as the gate decides, and `models:/<name>@champion` loads and answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.copilot import register
from tasks.data import curate, validate
from tasks.evaluate import promote
from tasks.index import index, versions
from tasks.models import adapter_dir, base_model_dir
from tasks.params import Params
from tasks.params_loader import load_params
from tasks.reports import file_sha256, write_report
from tests.servers import Server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
RIVALS = {"base": 0.10, "base+rag": 0.20, "finetuned": 0.20}  # what the challenger must beat


def write_adapter(base_dir: Path, target: Path) -> None:
    """An untrained LoRA adapter on the tiny model: the registry does not care how good it is."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base_dir)
    config = LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"
    )
    get_peft_model(model, config).save_pretrained(target)


def write_eval(params: Params, score: float) -> None:
    """reports/eval.json as `tandem evaluate` writes it, with finetuned+rag scoring `score`."""
    scores = {**RIVALS, "finetuned+rag": score}
    write_report(
        params.paths.reports_dir,
        "eval",
        {
            "questions": 3,
            "configs": {
                # the search box loses on the facts (token F1 here: the eval has no must_include)
                "retrieval": {"answer_score": 0.05, "token_f1": 0.1},
                **{c: {"answer_score": v, "token_f1": v} for c, v in scores.items()},
            },
            "retrieval": {"recall_at_3": 1.0, "mrr": 1.0},
            "primary_metric": "answer_score",
            "facts_metric": "token_f1",
            "seconds": 0.1,
            "index_version": versions.current_version(params)[0],
            "adapter_sha256": file_sha256(adapter_dir(params) / "adapter_model.safetensors"),
            "mlflow_run_id": None,
        },
    )


@pytest.fixture(scope="module")
def copilot_params(
    mlflow_server: Server,
    tiny_sources: Path,
    tiny_model_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Params]:
    """Params tracking to the server, with a real index on the tiny sources and an adapter."""
    out = tmp_path_factory.mktemp("registry") / "out"
    overrides = [
        f"paths.source_dir={tiny_sources}",
        f"paths.out_dir={out}",
        f"tracking.uri={mlflow_server.url}",
        "generate.max_new_tokens=8",
    ]
    params = load_params(REPO / "params.yaml", overrides)
    base = base_model_dir(params)
    base.parent.mkdir(parents=True, exist_ok=True)
    base.symlink_to(tiny_model_dir, target_is_directory=True)
    validate.run(params)
    curate.run(params)
    index.run(params)
    write_adapter(tiny_model_dir, adapter_dir(params))
    with pytest.MonkeyPatch.context() as env:
        env.delenv("MLFLOW_TRACKING_URI", raising=False)  # params.tracking.uri must win
        yield params


def aliases(params: Params) -> dict[str, str]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=params.tracking.uri)
    return dict(client.get_registered_model(params.register_.model_name).aliases)


def test_aliases_follow_the_gate_and_champion_loads(
    copilot_params: Params, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow
    import mlflow.genai
    import pandas as pd
    from mlflow import MlflowClient

    params = copilot_params
    write_eval(params, 0.30)
    first = register.run(params)
    assert first.version == "1"
    assert aliases(params) == {"challenger": "1"}
    assert promote.run(params).promoted
    assert aliases(params) == {"challenger": "1", "champion": "1"}

    write_eval(params, 0.50)  # better than the champion: promoted
    second = register.run(params)
    assert promote.run(params).promoted
    assert aliases(params) == {"challenger": "2", "champion": "2"}

    write_eval(params, 0.40)  # beats its rivals, not the champion: stays challenger
    register.run(params)
    decision = promote.run(params)
    assert not decision.promoted
    assert "does not beat the champion" in decision.reasons
    assert aliases(params) == {"challenger": "3", "champion": "2"}

    mlflow.set_tracking_uri(params.tracking.uri)
    # The prompt is registered with the model: one version while its text is the same, named by
    # every model version, and its champion alias follows the model's.
    client = MlflowClient(tracking_uri=params.tracking.uri)
    named = {
        client.get_model_version(params.register_.model_name, v).tags["prompt_version"]
        for v in ("1", "2", "3")
    }
    assert named == {"1"}
    champion_prompt = mlflow.genai.load_prompt("prompts:/tandem-copilot-prompt@champion")
    assert champion_prompt.version == 1
    assert "{{question}}" in champion_prompt.template[1]["content"]
    assert champion_prompt.template[0]["content"] == params.prompt.system
    monkeypatch.setenv("TANDEM_INDEX_DIR", str(params.paths.index_dir))  # where it is served
    monkeypatch.setenv("TANDEM_BASE_DIR", str(params.paths.models_dir / "base"))
    model = mlflow.pyfunc.load_model(f"models:/{params.register_.model_name}@champion")
    assert model.metadata.run_id == second.run_id
    answers = model.predict(pd.DataFrame({"question": ["How do I rotate an API key?"]}))
    assert list(answers.columns)[:3] == ["answer", "sources", "retrieved"]
    assert "KB-001" in json.loads(answers["retrieved"][0])  # retrieval ran on the live index
