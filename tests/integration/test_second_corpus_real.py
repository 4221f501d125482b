"""The real SmolLM2-135M on the second corpus (tests/data/tidepool): a short LoRA run on that
corpus's own sft examples teaches it to cite ids it has never seen the shape of (paths and dotted
names), and those citations are parsed, in the evaluation and in `tandem ask`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tasks.copilot.prompting import cited_ids
from tasks.data import curate, validate
from tasks.evaluate import evaluate
from tasks.index import index
from tasks.params import Params
from tasks.params_loader import load_params
from tasks.train import build_sft, finetune, prepare_model
from tests.servers import BIN, base_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "data" / "tidepool"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Params:
    out = tmp_path_factory.mktemp("tidepool-real") / "out"
    params = load_params(
        REPO / "params.yaml",
        values={"paths.source_dir": str(CORPUS), "paths.out_dir": str(out), "tracking.uri": None},
    )
    steps = (validate, curate, index, prepare_model, build_sft, finetune, evaluate)
    for step in steps:
        step.run(params)
    return params


def test_half_the_answers_cite_a_shown_document_and_are_parsed(trained: Params) -> None:
    rows = pd.read_csv(trained.paths.reports_dir / "eval_questions.csv")
    both = rows[rows["config"] == "finetuned+rag"]
    cited = [
        cited_ids(str(answer), str(shown).split())
        for answer, shown in zip(both["answer"], both["context_doc_ids"], strict=True)
    ]
    answers = "\n---\n".join(both["answer"].astype(str))
    assert sum(bool(c) for c in cited) >= len(both) / 2, answers
    evaluation = json.loads((trained.paths.reports_dir / "eval.json").read_text())
    assert evaluation["configs"]["finetuned+rag"]["citation_precision"] > 0


def test_tandem_ask_lists_the_cited_sources(trained: Params) -> None:
    rows = pd.read_csv(trained.paths.reports_dir / "eval_questions.csv")
    both = rows[rows["config"] == "finetuned+rag"]
    citing = [
        question
        for question, answer, shown in zip(
            both["question"], both["answer"], both["context_doc_ids"], strict=True
        )
        if cited_ids(str(answer), str(shown).split())
    ][:3]
    assert citing
    listed = []
    for question in citing:
        command = [str(BIN / "tandem"), "ask", question, "--json"]
        for key in ("source_dir", "out_dir"):
            command += ["-S", f"paths.{key}={getattr(trained.paths, key)}"]
        done = subprocess.run(
            command, cwd=REPO, env=base_env({}), capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
        answer = json.loads(done.stdout)
        listed += [source["id"] for source in answer["sources"]]
        assert {s["id"] for s in answer["sources"]} <= set(answer["retrieved"])
    assert listed, "no answer of tandem ask listed a source"
