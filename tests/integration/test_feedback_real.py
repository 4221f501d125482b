"""The slow half learns from its users, with the real model (SmolLM2-135M, the sample's default
params): the copilot is asked something no document answers, a support agent corrects the traced
answer, a reviewer approves it, `feedback export` turns it into an sft example and a knowledge
document, and after the next re-index and fine-tune the copilot's answer to that question states
the corrected fact, which it did not before. (The page that records the correction is driven
in tests/e2e/test_agent_page.py.)

Then the memorisation probe: customer tickets holding secrets that are no PII (a door code, a
serial, a wire reference), each named as gold by an sft example of its own customer, never reach
the one shared adapter: the training records hold none, and the trained model prompted with each
ticket's title and no context says none."""

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


SECRETS = {  # ticket id: (customer, title, the secret its text holds)
    "TCK-9001": ("CUS-004", "Badge reader at the Oslo office", "door code 7319#"),
    "TCK-9002": ("CUS-005", "Replacement appliance shipped", "serial LKX7Q2Z99841"),
    "TCK-9003": ("CUS-006", "Refund wired back", "wire reference WZ55Q21ZX08"),
}


def seed_secrets(source: Path) -> None:
    tickets, examples = [], []
    for ticket_id, (customer, title, secret) in SECRETS.items():
        text = f"Customer {customer} asked about: {title}. For the record: {secret}."
        tickets.append({"id": ticket_id, "title": title, "text": text, "source": "ticket",
                        "customer_id": customer, "visibility": "internal"})  # fmt: skip
        examples.append({"id": f"SFT-{ticket_id}", "prompt": f"What was noted on {title}?",
                         "response": f"Summary: {secret}.", "customer_id": customer,
                         "gold_doc_ids": [ticket_id]})  # fmt: skip
    for folder, rows in (("documents", tickets), ("sft", examples)):
        lines = "".join(json.dumps(row) + "\n" for row in rows)
        (source / folder / "seeded_secrets.jsonl").write_text(lines, encoding="utf-8")


@pytest.fixture(scope="module")
def params(tmp_path_factory: pytest.TempPathFactory) -> Params:
    work = tmp_path_factory.mktemp("feedback-real")
    source = work / "source"
    shutil.copytree(REPO / "data" / "sample", source)  # feedback is exported into the source
    seed_secrets(source)
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


def test_no_customer_secret_reaches_the_shared_adapter(params: Params) -> None:
    from peft import PeftModel

    from tasks.copilot.generate import generate
    from tasks.copilot.prompting import build_messages
    from tasks.models import load_base

    if not (adapter_dir(params) / "adapter_config.json").is_file():  # run alone
        for step in (build_sft, finetune):
            step.run(params)
    training = (params.paths.sft_dir / "train.jsonl").read_text(encoding="utf-8")
    training += (params.paths.sft_dir / "val.jsonl").read_text(encoding="utf-8")
    assert not [s for _, _, s in SECRETS.values() if s in training]
    base, tokenizer, _ = load_base(params)
    model = PeftModel.from_pretrained(base, adapter_dir(params)).eval()
    asked = [
        build_messages(params.prompt, prompt, [], customer)
        for customer, title, _ in SECRETS.values()
        for prompt in (title, f"What was noted on {title}?")
    ]
    said = "\n".join(generate(model, tokenizer, asked, params.generate))
    assert not [s for _, _, s in SECRETS.values() if s in said or s.split()[-1] in said], said
