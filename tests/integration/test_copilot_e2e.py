"""The whole chain on tiny data with the tiny model: every step real (Qdrant engine, MLflow
store, PEFT), then the registry: forced promotion, load by alias in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tasks.copilot import register
from tasks.data import curate, validate
from tasks.evaluate import evaluate, promote
from tasks.index import index
from tasks.params import Params
from tasks.train import build_sft as sft
from tasks.train import finetune

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
    from tasks.params_loader import load_params

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


def test_register_then_force_the_first_champion(trained: Params) -> None:
    """The registry path on the tiny model. Whether the gate rejects a broken adapter is
    tested on the real model (test_copilot_real.py): here every score is noise around 0, so a
    broken adapter can beat the champion by chance."""
    first = register.run(trained)
    forced = promote.run(trained, force_version=first.version)  # the operator's first champion
    assert forced.forced and forced.champion == first.version

    from mlflow import MlflowClient

    from tasks import tracking

    tracking.setup(trained)
    client = MlflowClient()
    champion = client.get_model_version_by_alias(trained.register_.model_name, "champion")
    assert str(champion.version) == first.version
    assert champion.tags["gate.decision"] == "forced"


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
    env = {
        **os.environ,
        "TANDEM_INDEX_DIR": str(trained.paths.index_dir),
        "TANDEM_BASE_DIR": str(trained.paths.models_dir / "base"),  # the tiny base it learned on
    }
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd="/",
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    row = json.loads(result.stdout.strip().splitlines()[-1])[0]
    assert isinstance(row["answer"], str)  # the tiny model says little; the real one is in the demo
    retrieved, sources = json.loads(row["retrieved"]), json.loads(row["sources"])
    assert "KB-001" in retrieved
    assert {s["id"] for s in sources} <= set(retrieved)
    assert row["model"] == "tandem-copilot" and row["index_version"] == "v0001"


def test_the_registered_config_holds_no_path_of_this_machine(trained: Params) -> None:
    """What travels with the model version: nothing that only exists where it was registered."""
    from mlflow import MlflowClient

    from tasks import tracking

    register.run(trained)
    tracking.setup(trained)
    client = MlflowClient()
    version = client.get_model_version_by_alias("tandem-copilot", "challenger")
    model_dir = Path(client.download_artifacts(version.run_id, "copilot"))
    mlmodel = yaml.safe_load((model_dir / "MLmodel").read_text())
    # Ours is the model config; MLflow's own provenance beside it (artifact_path, each
    # artifact's source uri, model_code_path) records where it was logged from and is not read
    # when the model loads.
    config = yaml.safe_dump(mlmodel["flavors"]["python_function"]["config"])
    assert "adapter_sha256" in config and "manifest_sha256" in config
    for place in (str(trained.paths.out_dir), str(Path(__file__).resolve().parents[2]), "/tmp/"):
        assert place not in config
    assert mlmodel["signature"]["inputs"] and (model_dir / "input_example.json").is_file()


def test_a_copilot_served_without_its_index_says_where_to_point_it(trained: Params) -> None:
    from tasks import tracking

    register.run(trained)
    script = (
        "import mlflow\n"
        f"mlflow.set_tracking_uri({tracking.tracking_uri(trained)!r})\n"
        "mlflow.pyfunc.load_model('models:/tandem-copilot@challenger')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TANDEM_INDEX_DIR"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd="/",
        env=env,
    )  # fmt: skip
    assert result.returncode != 0
    assert "set TANDEM_INDEX_DIR to the folder of the index" in result.stderr


def test_a_copilot_served_on_another_base_model_says_which_it_needs(
    trained: Params, tmp_path: Path
) -> None:
    """An adapter on the wrong base fails loudly (not with a wall of tensor shape errors)."""
    from tasks import tracking
    from tasks.models import PREPARED_MARKER

    register.run(trained)
    other = tmp_path / "other-base"
    other.mkdir()
    base = trained.paths.models_dir / "base"
    config = json.loads((base / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "hidden_size": 32}))
    (other / PREPARED_MARKER).write_text((base / PREPARED_MARKER).read_text())
    script = (
        "import mlflow\n"
        f"mlflow.set_tracking_uri({tracking.tracking_uri(trained)!r})\n"
        "mlflow.pyfunc.load_model('models:/tandem-copilot@challenger')\n"
    )
    env = {
        **os.environ,
        "TANDEM_INDEX_DIR": str(trained.paths.index_dir),
        "TANDEM_BASE_DIR": str(other),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd="/",
        env=env,
    )  # fmt: skip
    assert result.returncode != 0
    assert "set TANDEM_BASE_DIR to a prepared copy of that model" in result.stderr
    assert "size mismatch" not in result.stderr


def test_mlflow_models_serve_answers_and_refuses_a_bad_request_in_one_line(
    trained: Params,
) -> None:
    """The serving contract over HTTP: `mlflow models serve` on the registered version."""
    import urllib.error
    import urllib.request

    from tasks import tracking
    from tests.servers import BIN, free_port, http_ok, start

    register.run(trained)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "MLFLOW_TRACKING_URI": tracking.tracking_uri(trained),
        "TANDEM_INDEX_DIR": str(trained.paths.index_dir),
        "TANDEM_BASE_DIR": str(trained.paths.models_dir / "base"),
    }
    command = [
        str(BIN / "mlflow"), "models", "serve", "-m", "models:/tandem-copilot@challenger",
        "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    home = trained.paths.out_dir / "models-serve"
    server = start(command, home, home / "serve.log", env, http_ok(f"{url}/ping"), url,
                   cwd=Path("/"), timeout=240)  # fmt: skip

    def post(body: dict[str, object]) -> tuple[int, str]:
        request = urllib.request.Request(
            f"{url}/invocations", json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    try:
        status, body = post({"dataframe_records": [{"question": "How do I rotate an API key?"}]})
        assert status == 200, body
        row = json.loads(body)["predictions"][0]
        assert "KB-001" in json.loads(row["retrieved"]) and row["index_version"] == "v0001"
        for bad in ({"dataframe_records": [{"customer_id": "CUS-1"}]},
                    {"dataframe_records": [{"question": None}]},
                    {"dataframe_records": [{"question": "x", "at": "yesterday-ish"}]}):  # fmt: skip
            status, body = post(bad)
            assert status == 400, body
            # MLflow's scoring server puts the request's rows before the model's own line
            reason = json.loads(body)["message"].strip().splitlines()[-1]
            assert reason.startswith("Error: ") and "Error" not in reason[len("Error: ") :]
            assert "Traceback" not in body and "stack_trace" not in body
    finally:
        server.stop()
