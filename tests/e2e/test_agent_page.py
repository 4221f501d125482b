"""The support agents' page end to end in headless Chromium (Playwright driving Debian's
chromium): ask as a customer, see the answer and its sources, send a correction; then the
correction, approved, is exported as an sft example, the next fine-tune trains on it, and the
new adapter's loss on that example falls. The tiny model answers noise; the real model's
citations on this page are checked in test_copilot_real.py."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasks.copilot import feedback
from tasks.data import curate, validate
from tasks.index import index
from tasks.models import adapter_dir
from tasks.params import Params
from tasks.params_loader import load_params
from tasks.train import build_sft, finetune
from tests.servers import BIN, Server, free_port, http_ok, start

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
QUESTION = "How long is the password reset link valid?"
CORRECTION = "The reset link we email you is valid for 30 minutes; click Forgot password."
TINY = (
    "finetune.max_steps=6", "finetune.per_device_train_batch_size=2",
    "finetune.gradient_accumulation_steps=1", "finetune.max_seq_length=256",
    "finetune.precision=fp32", "finetune.learning_rate=0.003", "generate.max_new_tokens=12",
    "sft.val_fraction=0.0", "sft.oracle_fraction=1.0", "model.dtype=fp32",
    "serve.feedback_needs_approval=true", "serve.hash_customer_ids=true",
)  # fmt: skip


@pytest.fixture(scope="module")
def params(
    tmp_path_factory: pytest.TempPathFactory, tiny_sources: Path, tiny_model_dir: Path
) -> Params:
    work = tmp_path_factory.mktemp("agent-page")
    source = work / "source"
    shutil.copytree(tiny_sources, source)  # feedback is exported into the source folder
    port = free_port()
    loaded = load_params(
        REPO / "params.yaml",
        [f"paths.source_dir={source}", f"paths.out_dir={work / 'out'}", f"serve.port={port}",
         *TINY],
    )  # fmt: skip
    (work / "out" / "models").mkdir(parents=True)
    (work / "out" / "models" / "base").symlink_to(tiny_model_dir, target_is_directory=True)
    for step in (validate, curate, index, build_sft, finetune):
        step.run(loaded)
    return loaded


@pytest.fixture(scope="module")
def page(params: Params) -> Iterator[Server]:
    params_file = Path(params.paths.out_dir) / "params.yaml"
    params_file.write_text(json.dumps(params.as_dict()))
    url = f"http://127.0.0.1:{params.serve.port}"
    server = start(
        [str(BIN / "tandem"), "serve-copilot", "--params", str(params_file)],
        Path(params.paths.out_dir), Path(params.paths.out_dir) / "serve.log",
        {"MLFLOW_TRACKING_URI": ""}, http_ok(f"{url}/api/health"), url, cwd=REPO, timeout=180,
    )  # fmt: skip
    yield server
    server.stop()


def browse(url: str, steps: Any) -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            tab = browser.new_page()
            tab.goto(url)
            return steps(tab)
        finally:
            browser.close()


@pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM}")
def test_ask_see_sources_and_correct_then_the_next_fine_tune_learns_it(
    params: Params, page: Server
) -> None:
    def ask_and_correct(tab: Any) -> str:
        tab.fill("#customer", "CUS-001")
        tab.fill("#question", QUESTION)
        tab.click("#ask")
        tab.wait_for_selector("#result:not(.hidden)", timeout=120_000)
        trace = tab.inner_text("#trace")  # the tiny model's words are noise; the page is not
        assert "index v0001" in trace and "trace tr-" in trace
        assert tab.inner_text("#sources").strip()  # ids with their snippets, or "none"
        tab.fill("#reason", "the link lasts 30 minutes")
        tab.fill("#correction", CORRECTION)
        tab.click("#correct")
        tab.wait_for_function("document.getElementById('thanks').textContent.length > 0")
        assert "Thank you" in tab.inner_text("#thanks")
        return trace.rsplit("trace ", 1)[-1].strip()

    trace_id = browse(page.url, ask_and_correct)
    assert trace_id.startswith("tr-")

    unapproved = feedback.export(params)
    assert (unapproved.corrections, unapproved.skipped_unapproved) == (0, 1)
    feedback.approve(params, trace_id, reviewer="lead")
    exported = feedback.export(params)
    assert exported.corrections == 1
    [row] = [json.loads(line) for line in Path(exported.path).read_text().splitlines()]
    assert (row["prompt"], row["response"], row["customer_id"]) == (QUESTION, CORRECTION, "CUS-001")

    for step in (validate, curate, build_sft):  # the next fine-tune's data, as scheduled
        step.run(params)
    before = loss_on(params, row["id"])  # the current adapter on the corrected example
    finetune.run(params)
    assert loss_on(params, row["id"]) < before


def loss_on(params: Params, record_id: str) -> float:
    """The current adapter's loss on one training record (built as build-sft built it)."""
    import torch
    from peft import PeftModel

    from tasks.models import load_base
    from tasks.train.finetune import read_records, tokenize_record

    records = {r["id"]: r for r in read_records(params.paths.sft_dir / "train.jsonl")}
    base, tokenizer, _ = load_base(params)
    model = PeftModel.from_pretrained(base, adapter_dir(params)).eval()
    encoded = tokenize_record(records[record_id], tokenizer, params.finetune.max_seq_length)
    batch = {k: torch.tensor([v]) for k, v in encoded.items()}
    with torch.no_grad():
        return float(model(**batch).loss)
