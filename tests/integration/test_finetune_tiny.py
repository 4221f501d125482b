"""LoRA training on the tiny model: the adapter learns, the base does not, and resume continues."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import TrainerCallback

from tasks.params import Params
from tasks.train import finetune

pytestmark = pytest.mark.integration


def write_records(sft_dir: Path, count: int) -> None:
    sft_dir.mkdir(parents=True, exist_ok=True)
    for name, n in (("train.jsonl", count), ("val.jsonl", 4)):
        with (sft_dir / name).open("w") as handle:
            for i in range(n):
                messages = [
                    {"role": "system", "content": "You are the support copilot."},
                    {
                        "role": "user",
                        "content": f"Context documents:\n[KB-{i:03d}] Plan\n"
                        f"The plan costs ${i}.\n\nQuestion: price {i}?",
                    },
                    {
                        "role": "assistant",
                        "content": f"Summary: It costs ${i}.\nSteps:\n1. Open Billing.\n"
                        f"Sources: [KB-{i:03d}]",
                    },
                ]
                handle.write(json.dumps({"id": f"{name}-{i}", "messages": messages}) + "\n")


def test_lora_weights_move_and_base_weights_do_not(tiny_params: Params) -> None:
    write_records(tiny_params.paths.sft_dir, 8)
    train = finetune.read_records(tiny_params.paths.sft_dir / "train.jsonl")
    val = finetune.read_records(tiny_params.paths.sft_dir / "val.jsonl")
    trainer, _, _, _ = finetune.build_trainer(tiny_params, train, val)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    after = dict(trainer.model.named_parameters())
    lora = [n for n in before if "lora_" in n]
    base = [n for n in before if "lora_" not in n]
    assert lora and base
    assert any(not torch.equal(before[n], after[n]) for n in lora if "lora_B" in n)
    assert all(torch.equal(before[n], after[n]) for n in base)
    assert all(not after[n].requires_grad for n in base)


def test_run_writes_adapter_summary_and_labels_only_response(tiny_params: Params) -> None:
    write_records(tiny_params.paths.sft_dir, 8)
    report = finetune.finetune(tiny_params)
    adapter = Path(report.adapter_dir)
    assert (adapter / "adapter_model.safetensors").is_file()
    assert (adapter / "tokenizer.json").is_file()
    summary = json.loads((adapter / "training_summary.json").read_text())
    assert summary["steps"] == 4
    assert summary["trainable_params"] < summary["total_params"]
    assert summary["train_tokens"] > 0 and summary["tokens_per_second"] > 0
    assert summary["final_train_loss"] is not None


class Interrupt(TrainerCallback):
    """Crash after the step-2 checkpoint, as a killed job would."""

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if state.global_step == 3:
            raise KeyboardInterrupt("simulated interruption")


def losses(history: list[dict]) -> dict[int, float]:
    return {h["step"]: h["loss"] for h in history if "loss" in h}


def test_interrupted_training_resumes_from_checkpoint(tiny_params: Params, tmp_path: Path) -> None:
    write_records(tiny_params.paths.sft_dir, 8)
    records = finetune.read_records(tiny_params.paths.sft_dir / "train.jsonl")
    val = finetune.read_records(tiny_params.paths.sft_dir / "val.jsonl")

    reference, *_ = finetune.build_trainer(tiny_params, records, val)
    reference.args.output_dir = str(tmp_path / "reference")
    reference.train()
    expected = losses(reference.state.log_history)

    interrupted, *_ = finetune.build_trainer(tiny_params, records, val)
    interrupted.add_callback(Interrupt())
    with pytest.raises(KeyboardInterrupt):
        interrupted.train()
    assert finetune.latest_checkpoint(tiny_params) is not None

    report = finetune.finetune(tiny_params, resume=True)
    assert report.resumed_from and report.resumed_from.endswith("checkpoint-2")
    assert report.steps == 4
    history = json.loads((tiny_params.paths.reports_dir / "finetune_history.json").read_text())
    steps_logged = [h["step"] for h in history if "loss" in h]
    assert steps_logged == [1, 2, 3, 4]  # steps 1-2 restored from the checkpoint, each step once
    resumed = losses(history)
    for step in (1, 2, 3, 4):  # the curve continues exactly where the uninterrupted run goes
        assert resumed[step] == pytest.approx(expected[step], rel=1e-3)
