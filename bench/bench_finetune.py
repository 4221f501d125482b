"""Fine-tuning speed on this machine: training tokens/s of the real base model on the same
records, the path each change replaces against it, and the loss gap at the last step.

- library: transformers' own causal-LM loss (logits at every position), LoRA dropout 0.05;
  what finetune did before;
- response loss: logits only at the response tokens (tasks/train/response_loss.py);
- + no LoRA dropout: `finetune.lora.lora_dropout=0` (its mask was 18% of a step);
- fp32: library loss without bf16 autocast, the library's default precision.

    python bench/bench_finetune.py [--steps 20] [--records out/sft/train.jsonl] [--out out]

Needs `tandem prepare-model` first. tokens/s = tokens seen / the Trainer's wall time, with the
first step (warm-up) excluded; the loss is the Trainer's logged train loss at the last step.
"""

from __future__ import annotations

import argparse
import time
import types
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from flows.runtime import configure_environment
from tasks.params_loader import load_params
from tasks.train import finetune


class StepTimer(TrainerCallback):
    """Time and tokens between consecutive optimizer steps' ends (the first step is warm-up);
    a step's start is no mark: the Trainer counts a step's first micro-batch before it."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, int]] = []
        self.losses: list[float] = []

    def on_train_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        self.marks = []

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        self.marks.append((time.perf_counter(), state.num_input_tokens_seen))

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


def measure(
    overrides: list[str], records: list[dict[str, Any]], steps: int, library_loss: bool
) -> dict[str, Any]:
    from transformers import Trainer

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
    if library_loss:  # the path being replaced
        trainer.compute_loss = types.MethodType(Trainer.compute_loss, trainer)
    timer = StepTimer()
    trainer.add_callback(timer)
    trainer.train()
    (first_time, first_tokens), (last_time, last_tokens) = timer.marks[0], timer.marks[-1]
    tokens, seconds = last_tokens - first_tokens, last_time - first_time
    return {
        "device": device,
        "precision": precision,
        "tokens_per_second": round(tokens / seconds, 1),
        "last_loss": round(timer.losses[-1], 4),
    }


def main() -> None:
    configure_environment()
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--records", type=Path, default=Path("out/sft/train.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("out"), help="holds models/base")
    args = parser.parse_args()
    records = (
        finetune.read_records(args.records) if args.records.is_file() else synthetic_records(64)
    )
    out = [f"paths.out_dir={args.out}"]
    dropout = ["finetune.lora.lora_dropout=0.05"]
    runs = {
        "library": measure([*out, *dropout], records, args.steps, library_loss=True),
        "response loss": measure([*out, *dropout], records, args.steps, library_loss=False),
        "+ no LoRA dropout": measure(
            [*out, "finetune.lora.lora_dropout=0"], records, args.steps, library_loss=False
        ),
        "fp32": measure([*out, *dropout, "finetune.precision=fp32"], records, 4, library_loss=True),
    }
    base = runs["library"]
    print(f"{len(records)} records, {args.steps} steps (fp32: 4)")
    for name, run in runs.items():
        gap = abs(run["last_loss"] - base["last_loss"]) / base["last_loss"]
        print(
            f"{name:18s} {run['tokens_per_second']:7.1f} tokens/s  "
            f"x{run['tokens_per_second'] / base['tokens_per_second']:.2f}  "
            f"last loss {run['last_loss']:.4f} (gap {gap:.2%})  {run['precision']}"
        )


if __name__ == "__main__":
    main()
