"""Fine-tuning speed on this machine: training tokens/s for the real base model, library defaults
(fp32) against our tuned settings (bf16 autocast where the CPU has AVX-512 BF16/AMX, length-grouped
batches, padding to multiples of 8), and the loss gap between them.

    python bench/bench_finetune.py [--steps 8] [--records out/sft/train.jsonl]

Needs `tandem prepare-model` first. Prints medians over steps (the first step is warm-up).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from flows.runtime import configure_environment
from tasks.params_loader import load_params
from tasks.train import finetune


class StepTimer(TrainerCallback):
    def __init__(self) -> None:
        self.started = 0.0
        self.seconds: list[float] = []
        self.tokens: list[int] = []
        self.losses: list[float] = []

    def on_step_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        self.started = time.perf_counter()
        self.seen = state.num_input_tokens_seen

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        self.seconds.append(time.perf_counter() - self.started)
        self.tokens.append(state.num_input_tokens_seen - self.seen)

    def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
        if logs and "loss" in logs:
            self.losses.append(logs["loss"])


def synthetic_records(count: int) -> list[dict[str, Any]]:
    context = "The Business plan costs $14 per user per month and includes 2 TB of storage. " * 8
    return [
        {
            "messages": [
                {"role": "system", "content": "You are the support copilot of Larkspur Cloud."},
                {
                    "role": "user",
                    "content": f"Context documents:\n[KB-{i:03d}] Plans\n"
                    f"{context[: 300 + 37 * (i % 9)]}\n\nQuestion: what does plan {i} cost?",
                },
                {
                    "role": "assistant",
                    "content": f"Summary: It costs $14.\nSteps:\n1. Open Billing.\n"
                    f"2. Choose plan {i}.\nSources: [KB-{i:03d}]",
                },
            ]
        }
        for i in range(count)
    ]


def measure(overrides: list[str], records: list[dict[str, Any]], steps: int) -> dict[str, float]:
    params = load_params(
        "params.yaml",
        [
            *overrides,
            f"finetune.max_steps={steps}",
            "finetune.save_steps=100000",
            "finetune.eval_steps=100000",
        ],
    )
    trainer, _, device, precision = finetune.build_trainer(params, records, [])
    trainer.args.output_dir = "/tmp/tandem-bench-finetune"
    timer = StepTimer()
    trainer.add_callback(timer)
    trainer.train()
    per_step = [t / s for t, s in zip(timer.tokens[1:], timer.seconds[1:], strict=True)]
    return {
        "device": device,
        "precision": precision,
        "tokens_per_second_median": round(statistics.median(per_step), 1),
        "first_loss": round(timer.losses[0], 4),
        "last_loss": round(timer.losses[-1], 4),
    }


def loss_parity(records: list[dict[str, Any]]) -> dict[str, float]:
    """The same batch's loss in fp32 and under bf16 autocast: bf16 must not change what we learn."""
    import torch

    params = load_params("params.yaml", ["finetune.max_steps=1"])
    trainer, *_ = finetune.build_trainer(params, records[:4], [])
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(4)])
    model = trainer.model.eval()
    with torch.no_grad():
        fp32 = float(model(**batch).loss)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            bf16 = float(model(**batch).loss)
    return {
        "fp32": round(fp32, 4),
        "bf16_autocast": round(bf16, 4),
        "relative_gap": round(abs(bf16 - fp32) / fp32, 4),
    }


def main() -> None:
    configure_environment()
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--records", type=Path, default=Path("out/sft/train.jsonl"))
    args = parser.parse_args()
    records = (
        finetune.read_records(args.records) if args.records.is_file() else synthetic_records(64)
    )
    defaults = [
        "finetune.precision=fp32",
        "finetune.group_by_length=false",
        "finetune.pad_to_multiple_of=1",
    ]
    tuned = ["finetune.precision=auto"]
    results = {
        "defaults_fp32": measure(defaults, records, args.steps),
        "tuned": measure(tuned, records, args.steps),
    }
    speedup = (
        results["tuned"]["tokens_per_second_median"]
        / results["defaults_fp32"]["tokens_per_second_median"]
    )
    results["speedup"] = {"tuned_over_defaults": round(speedup, 2)}
    results["loss_parity_same_batch"] = loss_parity(records)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
