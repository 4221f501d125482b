"""The slow half learns from its users, with the real model (SmolLM2-135M, the sample's default
params): the copilot is asked something no document answers, a support agent corrects the traced
answer, a reviewer approves it, `feedback export` turns it into an sft example and a knowledge
document, and after the next re-index and fine-tune the copilot's answer to that question states
the corrected fact, which it did not before. (The page that records the
correction is driven in tests/e2e/test_agent_page.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tasks import tracking
from tasks.copilot import feedback
from tasks.copilot.copilot import Copilot
from tasks.copilot.tracing import Tracer
from tasks.data import curate, validate
from tasks.index import index
from tasks.models import adapter_dir
from tasks.params import Params
from tasks.params_loader import load_params
from tasks.train import build_sft, finetune
from tasks.train.prepare_model import run as prepare_model

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
QUESTION = "Does the Larkspur mobile app have a dark mode, and where do I turn it on?"
FACT = "Profile > Appearance"  # in no document, sft example or eval question of the sample
CORRECTION = (
    "Summary: Yes, the mobile app has a dark mode: open Profile > Appearance and choose Dark.\n"
    "Steps:\n1. Open the Larkspur mobile app and tap Profile.\n"
    "2. Tap Appearance and choose Dark, or System to follow the phone's setting."
)


@pytest.fixture(scope="module")
def params(tmp_path_factory: pytest.TempPathFactory) -> Params:
    work = tmp_path_factory.mktemp("feedback-real")
    source = work / "source"
    shutil.copytree(REPO / "data" / "sample", source)  # feedback is exported into the source
    loaded = load_params(
        REPO / "params.yaml",
        values={"paths.source_dir": str(source), "paths.out_dir": str(work / "out")},
    )
    for step in (prepare_model, validate.run, curate.run, index.run):
        step(loaded)
    return loaded


def answer(params: Params, adapter: Path | None, tracer: Tracer) -> tuple[str, str]:
    copilot = Copilot(params, adapter)
    try:
        said = copilot.answer_one(QUESTION, "", None, tracer, False, {"test": "feedback"})
    finally:
        copilot.close()
    return said.answer, said.trace_id


def test_an_approved_correction_is_what_the_next_fine_tune_answers(params: Params) -> None:
    corpus = (params.paths.source_dir / "documents").rglob("*")
    assert not any(FACT in p.read_text(errors="ignore") for p in corpus if p.is_file())
    tracking.setup(params)  # the traces go where feedback reads them
    before, trace_id = answer(params, None, Tracer(True))  # today's copilot: the base model
    assert FACT not in before and trace_id

    feedback.record(
        params, trace_id, helpful=False, reason="we do have a dark mode",
        correction=CORRECTION, agent="agent-1",
    )  # fmt: skip
    feedback.approve(params, trace_id, reviewer="lead")
    exported = feedback.export(params)
    assert exported.corrections == 1

    for step in (validate, curate, index, build_sft, finetune):  # the next scheduled runs
        step.run(params)
    train = [json.loads(line) for line in (params.paths.sft_dir / "train.jsonl").open()]
    taught = [r for r in train if r["id"] == f"fb-{trace_id}"]
    assert len(taught) == params.sft.feedback_repeat
    assert feedback.document_id(trace_id) in taught[0]["context_doc_ids"]
    assert FACT in taught[0]["messages"][-1]["content"]

    after, _ = answer(params, adapter_dir(params), Tracer(False))
    assert FACT in after, after  # (whether it also cites it varies: gold cited in ~70% of answers)
