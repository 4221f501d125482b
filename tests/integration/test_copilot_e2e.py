"""The whole chain on tiny data with the tiny model: every step real (Qdrant engine, MLflow
store, PEFT), then the registry: gate, load by alias in a fresh process, tenant isolation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from tasks import curate, evaluate, finetune, index, promote, register, sft, validate
from tasks.params import Params

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRAIN = [
    "finetune.max_steps=6",
    "finetune.per_device_train_batch_size=4",
    "finetune.save_steps=1000",
    "finetune.eval_steps=1000",
    "finetune.max_seq_length=256",
    "finetune.precision=fp32",
    "sft.oracle_fraction=1.0",
    "sft.val_fraction=0.0",
    "generate.max_new_tokens=48",
    "model.dtype=fp32",
]


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, tiny_sources: Path
) -> Params:
    from tasks.params import load_params

    out = tmp_path_factory.mktemp("copilot-e2e")
    repo = Path(__file__).resolve().parents[2]
    params = load_params(
        repo / "params.yaml",
        [f"paths.out_dir={out}", f"paths.source_dir={tiny_sources}", *TRAIN],
    )
    (out / "models").mkdir(parents=True)
    (out / "models" / "base").symlink_to(tiny_model_dir, target_is_directory=True)
    for step in (validate.run, curate.run, index.run, sft.run, finetune.run, evaluate.run):
        step(params)
    return params


def break_adapter(adapter: Path) -> dict[str, torch.Tensor]:
    """Blow up the LoRA B matrices in place (a deliberately broken model); returns the original."""
    path = str(adapter / "adapter_model.safetensors")
    original = load_file(path)
    save_file({k: (v * 1e4 if "lora_B" in k else v) for k, v in original.items()}, path)
    return original


def test_register_promote_and_reject_a_broken_adapter(trained: Params) -> None:
    first = register.run(trained)
    forced = promote.run(trained, force_version=first.version)  # the operator's first champion
    assert forced.forced and forced.champion == first.version

    # the broken adapter goes through the same evaluate -> register -> promote path
    adapter = finetune.adapter_dir(trained)
    original = break_adapter(adapter)
    try:
        evaluate.run(trained)
        second = register.run(trained)
        rejected = promote.run(trained)
    finally:
        save_file(original, str(adapter / "adapter_model.safetensors"))
        evaluate.run(trained)
    assert second.version != first.version
    assert not rejected.promoted
    assert rejected.champion == first.version  # the champion did not move

    from mlflow import MlflowClient

    from tasks import tracking

    tracking.setup(trained)
    version = MlflowClient().get_model_version(trained.register_.model_name, second.version)
    assert version.tags["gate.decision"] == "rejected"
    assert "REJECTED" in version.description


def test_registered_copilot_loads_by_alias_in_a_fresh_process(trained: Params) -> None:
    from tasks import tracking

    register.run(trained)
    script = (
        "import json, sys, mlflow, pandas as pd\n"
        f"mlflow.set_tracking_uri({tracking.tracking_uri(trained)!r})\n"
        "model = mlflow.pyfunc.load_model('models:/tandem-copilot@challenger')\n"
        "out = model.predict(pd.DataFrame([{'question': 'How do I rotate an API key?'}]))\n"
        "print(json.dumps(out.to_dict('records')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd="/"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    row = json.loads(result.stdout.strip().splitlines()[-1])[0]
    assert isinstance(row["answer"], str)  # the tiny model says little; the real one is in the demo
    assert "KB-001" in row["retrieved"]
    assert {s["id"] for s in row["sources"]} <= set(row["retrieved"])
