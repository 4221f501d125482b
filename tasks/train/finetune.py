"""LoRA fine-tuning with transformers' Trainer and PEFT: loss on response tokens only."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tasks.errors import UserError
from tasks.models import (
    adapter_dir,
    base_model_dir,
    configure_threads,
    ensure_pad_token,
    fast_bf16,
    pick_device,
)
from tasks.params import Params
from tasks.reports import read_json, write_json_atomic, write_report
from tasks.schema import FEEDBACK_TASK
from tasks.sections import FinetuneParams
from tasks.train.response_loss import IGNORE_INDEX, response_loss_trainer

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise UserError(f"sft records '{path}' not found; run `tandem build-sft` first")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def tokenize_record(
    record: dict[str, Any], tokenizer: PreTrainedTokenizerBase, max_length: int
) -> dict[str, list[int]]:
    """input_ids = prompt + response + end-of-turn; labels mask the prompt.

    Too long a record loses the start of its prompt, never its response: the response is what
    the model learns from.
    """
    *prompt_messages, answer = record["messages"]
    prompt = tokenizer.apply_chat_template(
        prompt_messages, tokenize=False, add_generation_prompt=True
    )
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    end = tokenizer.eos_token or ""
    response_ids = tokenizer(answer["content"] + end, add_special_tokens=False)["input_ids"]
    response_ids = response_ids[:max_length]
    prompt_ids = prompt_ids[max(0, len(prompt_ids) + len(response_ids) - max_length) :]
    return {
        "input_ids": prompt_ids + response_ids,
        "attention_mask": [1] * (len(prompt_ids) + len(response_ids)),
        "labels": [IGNORE_INDEX] * len(prompt_ids) + response_ids,
    }


def choose_precision(p: FinetuneParams, device: str) -> str:
    """bf16 mixed precision where the hardware does it natively; fp32 elsewhere."""
    if p.precision != "auto":
        return p.precision
    return "bf16" if fast_bf16(device) else "fp32"


@dataclass(frozen=True)
class FinetuneReport:
    adapter_dir: str
    device: str
    precision: str
    train_records: int
    val_records: int
    steps: int
    epochs: float
    train_tokens: int
    tokens_per_second: float
    wall_seconds: float
    trainable_params: int
    total_params: int
    final_train_loss: float | None
    final_val_loss: float | None
    resumed_from: str | None
    mlflow_run_id: str | None = None


def checkpoints_dir(params: Params) -> Path:
    return params.paths.models_dir / "checkpoints"


def build_trainer(params: Params, train: list[dict[str, Any]], val: list[dict[str, Any]]) -> Any:
    """A transformers Trainer over a PEFT LoRA model; kept separate so tests can drive it."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForSeq2Seq,
        EarlyStoppingCallback,
        TrainingArguments,
    )

    p = params.finetune
    configure_threads(params.model)
    device = pick_device(params.model.device)
    precision = choose_precision(p, device)
    model_dir = base_model_dir(params)
    tokenizer = ensure_pad_token(AutoTokenizer.from_pretrained(model_dir), params.model.pad_token)
    tokenizer.padding_side = "right"  # training pads on the right; generation on the left
    model: Any = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(**p.lora.model_dump(), task_type="CAUSAL_LM"))

    def encode(records: list[dict[str, Any]]) -> Dataset:
        rows = [tokenize_record(r, tokenizer, p.max_seq_length) for r in records]
        return Dataset.from_list(rows)

    has_val = bool(val)
    args = TrainingArguments(
        **p.trainer_arguments(),
        output_dir=str(checkpoints_dir(params)),
        per_device_eval_batch_size=p.per_device_train_batch_size,
        data_seed=p.seed,
        logging_steps=1,
        save_strategy="steps",
        eval_strategy="steps" if has_val else "no",
        load_best_model_at_end=has_val,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        bf16=precision == "bf16",
        use_cpu=device == "cpu",
        report_to=[],
        include_num_input_tokens_seen=True,
        disable_tqdm=False,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        prediction_loss_only=True,  # the eval loss is all early stopping reads
    )
    collator = DataCollatorForSeq2Seq(
        tokenizer,
        padding=True,
        pad_to_multiple_of=p.pad_to_multiple_of,
        label_pad_token_id=IGNORE_INDEX,
    )
    callbacks = (
        [EarlyStoppingCallback(early_stopping_patience=p.early_stopping_patience)]
        if has_val
        else []
    )
    trainer = response_loss_trainer()(
        model=model,
        args=args,
        train_dataset=encode(train),
        eval_dataset=encode(val) if has_val else None,
        data_collator=collator,
        processing_class=tokenizer,
        callbacks=callbacks,
    )
    return trainer, tokenizer, device, precision


def latest_checkpoint(params: Params) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    folder = checkpoints_dir(params)
    return get_last_checkpoint(str(folder)) if folder.is_dir() else None


def finetune(params: Params, resume: bool = False) -> FinetuneReport:
    """Train, save the adapter and tokenizer, and report what it cost."""
    train = read_records(params.paths.sft_dir / "train.jsonl")
    val = read_records(params.paths.sft_dir / "val.jsonl")
    if not train:
        raise UserError(f"no training records in '{params.paths.sft_dir / 'train.jsonl'}'")
    trainer, tokenizer, device, precision = build_trainer(params, train, val)
    resume_from = latest_checkpoint(params) if resume else None
    if resume and resume_from is None:
        log.warning("--resume: no checkpoint in %s, starting from scratch", checkpoints_dir(params))

    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume_from)
    wall = time.perf_counter() - started

    out = adapter_dir(params)
    trainer.model.save_pretrained(out)
    tokenizer.padding_side = "left"
    tokenizer.save_pretrained(out)

    history = trainer.state.log_history
    train_losses = [h["loss"] for h in history if "loss" in h]
    val_losses = [h["eval_loss"] for h in history if "eval_loss" in h]
    tokens_seen = int(trainer.state.num_input_tokens_seen) or _count_tokens(trainer)
    trainable, total = trainer.model.get_nb_trainable_parameters()
    report = FinetuneReport(
        adapter_dir=str(out),
        device=device,
        precision=precision,
        train_records=len(train),
        val_records=len(val),
        steps=int(trainer.state.global_step),
        epochs=round(float(trainer.state.epoch or 0), 3),
        train_tokens=tokens_seen,
        tokens_per_second=round(tokens_seen / wall, 1) if wall else 0.0,
        wall_seconds=round(wall, 1),
        trainable_params=int(trainable),
        total_params=int(total),
        final_train_loss=round(train_losses[-1], 4) if train_losses else None,
        final_val_loss=round(val_losses[-1], 4) if val_losses else None,
        resumed_from=resume_from,
    )
    write_json_atomic(out / "training_summary.json", report)
    write_json_atomic(params.paths.reports_dir / "finetune_history.json", history)
    # The same curves as one row per step, every row with the same keys: what `dvc plots` reads
    # (log_history mixes training, evaluation and summary records); null where none was logged.
    by_step: dict[int, dict[str, float | None]] = {}
    for h in history:
        for key, name in (("loss", "train_loss"), ("eval_loss", "val_loss")):
            if key in h:
                row = by_step.setdefault(int(h["step"]), {"train_loss": None, "val_loss": None})
                row[name] = float(h[key])
    curves = [{"step": step, **by_step[step]} for step in sorted(by_step)]
    write_json_atomic(params.paths.reports_dir / "finetune_curves.json", curves)
    log.info(
        "trained %d steps in %.0fs (%.0f tokens/s)", report.steps, wall, report.tokens_per_second
    )
    del result
    return report


def _count_tokens(trainer: Any) -> int:
    """Tokens the optimizer saw: the dataset's non-padding tokens times the epochs run."""
    per_epoch = sum(len(ids) for ids in trainer.train_dataset["input_ids"])
    return int(per_epoch * float(trainer.state.epoch or 0))


def log_finetune_run(params: Params, report: FinetuneReport) -> None:
    """Into the step's MLflow run: the loss curves, speed, the data hashes, the adapter."""
    from tasks import tracking

    history = read_json(params.paths.reports_dir / "finetune_history.json")
    curves = {
        name: [(int(h.get("step", 0)), float(h[key])) for h in history if key in h]
        for name, key in (("train_loss", "loss"), ("val_loss", "eval_loss"))
    }
    finals = {"final_val_loss": report.final_val_loss, "final_train_loss": report.final_train_loss}
    records = read_records(params.paths.sft_dir / "train.jsonl")
    metrics = {
        "feedback_examples": len({r["id"] for r in records if r.get("task_type") == FEEDBACK_TASK}),
        "tokens_per_second": report.tokens_per_second,
        "wall_seconds": report.wall_seconds,
        "trainable_params": report.trainable_params,
        "train_tokens": report.train_tokens,
        "steps": report.steps,
        **{name: value for name, value in finals.items() if value is not None},
    }
    tags = {
        "curated_data_hash": tracking.tree_hash(params.paths.curated_dir),
        "sft_data_hash": tracking.tree_hash(params.paths.sft_dir),
        "device": report.device,
        "precision": report.precision,
    }
    tracking.record(metrics=metrics, curves=curves, artifacts=[Path(report.adapter_dir)], tags=tags)


def run(params: Params, resume: bool = False) -> FinetuneReport:
    from tasks import tracking

    with tracking.step_run(params, "finetune") as run_id:
        for split, context in (("train", "training"), ("val", "validation")):
            records = params.paths.sft_dir / f"{split}.jsonl"
            if records.is_file() and records.stat().st_size:
                tracking.log_dataset(records, f"sft-{split}", context)
        report = finetune(params, resume=resume)
        log_finetune_run(params, report)
    report = FinetuneReport(**{**report.__dict__, "mlflow_run_id": run_id})
    write_report(params.paths.reports_dir, "finetune", report)
    return report
