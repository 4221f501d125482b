"""The whole chain on a corpus of another shape than the sample (tests/data/tidepool): ids that
are paths and dotted names, Markdown and HTML sources, plain-prose answers, no customers, no
eval/ folder, and a German abstention text, run as docs/data.md's "Bring your own data" says:
`tandem run -S paths.source_dir=<folder>` with the folder's own params.yaml. The tiny model's
answers are noise, so what is asserted is what the data supports, not how good they are."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tasks.copilot.prompting import cited_ids
from tests.servers import BIN, base_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "data" / "tidepool"
GERMAN = "Dazu finde ich nichts in der Dokumentation"
TINY = (
    "finetune.max_steps=2", "finetune.per_device_train_batch_size=2",
    "finetune.gradient_accumulation_steps=1", "finetune.max_seq_length=256",
    "finetune.precision=fp32", "generate.max_new_tokens=8", "tracking.uri=null",
)  # fmt: skip


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """Step 3 of "Bring your own data": one command, the folder and an output folder."""
    out = tmp_path_factory.mktemp("tidepool") / "out"
    command = [str(BIN / "tandem"), "run", "--json", "-S", f"paths.source_dir={CORPUS}"]
    command += ["-S", f"paths.out_dir={out}", "-S", f"model.base={tiny_model_dir}"]
    for assignment in TINY:
        command += ["-S", assignment]
    env = base_env({})
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def report(out: Path, name: str) -> Any:
    return json.loads((out / "reports" / f"{name}.json").read_text(encoding="utf-8"))


def test_without_eval_a_stable_share_of_sft_is_held_out(out: Path) -> None:
    validation = report(out, "validation")
    held = validation["sources"]["eval"]["accepted"]
    assert held > 0 and validation["eval_source"].startswith(f"held out from sft/: {held}")
    assert validation["sources"]["sft"]["accepted"] + held == 52
    questions = pd.read_parquet(out / "curated" / "eval.parquet")
    sft = pd.read_parquet(out / "curated" / "sft.parquet")
    assert set(questions["id"]).isdisjoint(sft["id"])  # never trained on


def test_the_folder_overlay_and_any_id_shape_reach_the_training_records(out: Path) -> None:
    records = [
        json.loads(line)
        for line in (out / "sft" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    abstaining = [r for r in records if not r["oracle"]]
    answering = [r for r in records if r["oracle"]]
    assert abstaining and all(r["messages"][-1]["content"].startswith(GERMAN) for r in abstaining)
    for record in answering:
        target, prompt = record["messages"][-1]["content"], record["messages"][1]["content"]
        assert target.splitlines()[-1].startswith("Sources: [")  # sft.cite_as, appended
        assert cited_ids(target, record["context_doc_ids"])  # and parsed back, any id shape
        assert all(f"[{doc_id}]" in prompt for doc_id in record["context_doc_ids"])
    shown = {d for r in records for d in r["context_doc_ids"]}
    assert any("/" in d for d in shown) and any("." in d and "/" not in d for d in shown)


def test_every_metric_the_data_supports_is_defined(out: Path) -> None:
    evaluation = report(out, "eval")
    configs = evaluation["configs"]
    assert evaluation["facts_metric"] == "token_f1"  # no must_include in this data
    for name, values in configs.items():
        assert math.isnan(values["format"]) and math.isnan(values["must_include"])  # not declared
        for metric in ("answer_score", "rougeL", "token_f1", "facts", "abstention_accuracy"):
            assert not math.isnan(values[metric]), (name, metric)
        if name in ("retrieval", "base+rag", "finetuned+rag"):
            assert not math.isnan(values["cites_gold"]), name
    search_box = configs["retrieval"]
    assert not math.isnan(search_box["citation_precision"])  # it cites its top chunk's id
    assert search_box["cites_gold"] > 0.5  # and that id is parsed, whatever its shape
    rows = pd.read_csv(out / "reports" / "eval_questions.csv")
    top = rows[rows["config"] == "retrieval"]
    assert any(
        cited_ids(answer, str(shown).split())
        for answer, shown in zip(top["answer"], top["context_doc_ids"], strict=True)
    )


def test_the_gate_decision_names_its_rule_and_numbers(out: Path) -> None:
    decision = report(out, "promote")
    assert not decision["promoted"]  # noise does not beat the search box
    assert "search box: finetuned+rag token_f1=" in decision["reasons"]
    assert "(retrieval token_f1=" in decision["reasons"]
