"""The real copilot on the sample data: SmolLM2-135M fine-tuned with the default params (20 LoRA
steps, ~4 min on 2 CPU cores), evaluated on the first 16 eval questions, registered and passed
through the gate on its own numbers. Then, in a fresh process, the champion loaded by alias
answers with citations; and a deliberately broken adapter is registered but not promoted,
because it is worse than base+RAG (a gate that only compared against the champion would miss
that the fine-tune made things worse than no fine-tune at all)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from safetensors.torch import load_file, save_file

from tasks import tracking
from tasks.copilot import register
from tasks.data import curate, validate
from tasks.evaluate import evaluate, promote
from tasks.index import index
from tasks.params import Params
from tasks.params_loader import load_params
from tasks.train import build_sft as sft
from tasks.train import finetune
from tasks.train.prepare_model import run as prepare_model

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = 16  # evaluate.max_questions: ~20 s per configuration instead of ~65
# Eval questions, verbatim: four on shared knowledge, four on a customer's own tickets.
ASKED = [
    (
        "How much discount do registered nonprofits get, and how long does the verification take?",
        "",
    ),
    ("How many guests can a Business team invite, and does a guest take up a seat?", ""),
    ("What is the maximum number of members a single space can have on the Business plan?", ""),
    ("What do the storage add-on packs cost, and can a team on Starter buy one?", ""),
    ("What was decided about our refund request for the unused seats?", "CUS-024"),
    (
        "We asked for a fresh export after the old links expired. How many parts is it, and "
        "until when can we download it?",
        "CUS-023",
    ),
    ("Did our invoice ever get reissued with our VAT number on it?", "CUS-022"),
    (
        "Our import job is being throttled by the API again. What limit did you say applies to "
        "our plan, and what did you recommend?",
        "CUS-021",
    ),
]
# The fine-tuned 135M model cites in ~88% of its eval answers (46 of 52 in the demo), and which
# ones vary between training runs: a clear majority must cite, not every single one.
MIN_CITING = 5


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Params:
    out = tmp_path_factory.mktemp("copilot-real")
    params = load_params(
        REPO / "params.yaml",
        values={"paths.out_dir": str(out), "evaluate.max_questions": QUESTIONS},
    )
    for step in (prepare_model, validate.run, curate.run, index.run, sft.run, finetune.run):
        step(params)
    evaluate.run(params)
    return params


def ask_in_fresh_process(params: Params, model_uri: str) -> list[dict[str, Any]]:
    script = (
        "import json, sys, mlflow, pandas as pd\n"
        f"mlflow.set_tracking_uri({tracking.tracking_uri(params)!r})\n"
        f"model = mlflow.pyfunc.load_model({model_uri!r})\n"
        "rows = [{'question': q, 'customer_id': c} for q, c in json.loads(sys.argv[1])]\n"
        "print(json.dumps(model.predict(pd.DataFrame(rows)).to_dict('records')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(ASKED)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd="/",  # nothing relative to the repo or out/ may be needed
        env={**os.environ, "TANDEM_INDEX_DIR": str(params.paths.index_dir)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    return [
        {**row, "sources": json.loads(row["sources"]), "retrieved": json.loads(row["retrieved"])}
        for row in rows
    ]


def test_gate_decides_on_its_numbers_and_the_champion_answers_with_citations(
    trained: Params,
) -> None:
    registered = register.run(trained)
    decision = promote.run(trained)  # no champion yet: it must still beat base+RAG, fine-tuned
    evaluation = json.loads((trained.paths.reports_dir / "eval.json").read_text())
    facts, configs = evaluation["facts_metric"], evaluation["configs"]
    loses_to_search = configs["finetuned+rag"][facts] < configs["retrieval"][facts]
    assert decision.promoted == (not loses_to_search), decision.reasons
    if loses_to_search:  # the search box rule decided, and says so on the version
        assert "search box:" in decision.reasons
        promote.run(trained, force_version=registered.version)  # to serve it below
    assert champion_version(trained) == registered.version

    rows = ask_in_fresh_process(trained, "models:/tandem-copilot@champion")

    assert len(rows) == len(ASKED)
    citing = 0
    for row, (_question, customer) in zip(rows, ASKED, strict=True):
        cited = [source["id"] for source in row["sources"]]
        citing += bool(cited)
        assert set(cited) <= set(row["retrieved"])  # a citation is always of something shown
        assert all(f"[{doc_id}]" in row["answer"] for doc_id in cited)
        assert all(source["title"] and source["snippet"] for source in row["sources"])
        if customer:  # their own ticket is among what was retrieved for them
            assert any(doc_id.startswith("TCK-") for doc_id in row["retrieved"])
    answers = "\n---\n".join(row["answer"] for row in rows)
    assert citing >= MIN_CITING, f"{citing} of {len(rows)} answers cite a source:\n{answers}"


def break_adapter(adapter: Path) -> dict[str, Any]:
    """Blow up the LoRA B matrices in place (a deliberately broken model); returns the original."""
    path = str(adapter / "adapter_model.safetensors")
    original = load_file(path)
    save_file({k: (v * 1e4 if "lora_B" in k else v) for k, v in original.items()}, path)
    return original


def champion_version(params: Params) -> str:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    tracking.setup(params)
    try:
        alias = MlflowClient().get_model_version_by_alias(params.register_.model_name, "champion")
    except MlflowException:
        return ""
    return str(alias.version)


def test_broken_adapter_is_registered_but_not_promoted(trained: Params) -> None:
    champion = champion_version(trained)  # what the test before left, if it ran
    adapter = finetune.adapter_dir(trained)
    original = break_adapter(adapter)
    try:
        report = evaluate.run(trained)
        broken = register.run(trained)
        decision = promote.run(trained)
    finally:
        save_file(original, str(adapter / "adapter_model.safetensors"))

    both, base_rag = report.configs["finetuned+rag"], report.configs["base+rag"]
    assert both["answer_score"] < base_rag["answer_score"]  # the breakage is real
    assert not decision.promoted
    assert champion_version(trained) == champion
    assert "is worse than base+rag" in decision.reasons
    from mlflow import MlflowClient

    tracking.setup(trained)
    version = MlflowClient().get_model_version(trained.register_.model_name, broken.version)
    assert version.tags["gate.decision"] == "rejected"
    assert "REJECTED" in version.description
