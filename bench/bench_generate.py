"""Generation: tandem's greedy decoder against the path it replaces, on the same prompts.

The prompts are the evaluation's fine-tuned+RAG prompts of a finished run (`make demo` leaves
one in out/). Each path answers all of them; the figure is answers per second, the median of
`--runs` interleaved runs, and the equality check counts identical answers.

- baseline: transformers' `model.generate` on the unmerged PEFT model (what evaluate did);
- tandem: tasks/copilot/generate.py (cache written in place, finished rows leave the batch);
- merged: the adapter merged into the bf16 base, decoded by tandem's loop (measured, not used:
  see the equality count).

    .venv/bin/python bench/bench_generate.py --out out --questions 32 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from tasks.copilot.copilot import gather_context
from tasks.copilot.generate import generate, render_prompts
from tasks.copilot.prompting import build_messages
from tasks.index.retrieve import Retriever
from tasks.models import adapter_dir, load_base
from tasks.params_loader import load_params
from tasks.schema import read_eval


def baseline_generate(model: Any, tokenizer: Any, conversations: list[Any], p: Any) -> list[str]:
    """The path being replaced: `model.generate` per length-sorted batch, greedy."""
    import torch

    prompts = render_prompts(tokenizer, conversations)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    answers: dict[int, str] = {}
    for start in range(0, len(order), p.batch_size):
        batch = order[start : start + p.batch_size]
        encoded = tokenizer(
            [prompts[i] for i in batch], return_tensors="pt", padding=True, add_special_tokens=False
        )
        with torch.inference_mode():
            output = model.generate(
                **encoded,
                max_new_tokens=p.max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        texts = tokenizer.batch_decode(
            output[:, encoded["input_ids"].shape[1] :], skip_special_tokens=True
        )
        for i, text in zip(batch, texts, strict=True):
            answers[i] = text.strip()
    return [answers[i] for i in range(len(prompts))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="a run's paths.out_dir")
    parser.add_argument("--questions", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from peft import PeftModel

    params = load_params(values={"paths.out_dir": str(args.out)})
    examples = read_eval(params.paths.curated_dir / "eval.parquet")[: args.questions]
    with Retriever(params) as retriever:
        hits = [gather_context(retriever, e.question, e.customer_id, 3) for e in examples]
    conversations = [
        build_messages(params.prompt, e.question, h, e.customer_id)
        for e, h in zip(examples, hits, strict=True)
    ]
    base, tokenizer, _ = load_base(params)
    peft_model = PeftModel.from_pretrained(base, adapter_dir(params)).eval()
    gen = params.generate.model_copy(update={"no_repeat_ngram_size": 0})

    paths = {
        "baseline": lambda: baseline_generate(peft_model, tokenizer, conversations, gen),
        "tandem": lambda: generate(peft_model, tokenizer, conversations, gen),
    }
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    answers: dict[str, list[str]] = {}
    for _ in range(args.runs):
        for name, run in paths.items():
            started = time.perf_counter()
            answers[name] = run()
            seconds[name].append(time.perf_counter() - started)

    merged_model = PeftModel.from_pretrained(load_base(params)[0], adapter_dir(params))
    merged_model = merged_model.merge_and_unload().eval()
    started = time.perf_counter()
    answers["merged"] = generate(merged_model, tokenizer, conversations, gen)
    seconds["merged"] = [time.perf_counter() - started]

    n = len(conversations)
    base_rate = n / statistics.median(seconds["baseline"])
    print(f"{n} prompts, {gen.max_new_tokens} new tokens at most, batch {gen.batch_size}")
    for name, runs in seconds.items():
        rate = n / statistics.median(runs)
        same = sum(a == b for a, b in zip(answers["baseline"], answers[name], strict=True))
        print(
            f"{name:9s} {rate:.3f} answers/s (median of {len(runs)}: "
            f"{statistics.median(runs):.1f} s)  x{rate / base_rate:.2f}  identical {same}/{n}"
        )


if __name__ == "__main__":
    main()
