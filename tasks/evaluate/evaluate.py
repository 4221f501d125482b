"""evaluate: five configurations, identical prompts, greedy decoding, one table.

`retrieval` is what a user would use instead of a copilot: the search box, the top retrieved
chunk shown as is (no provider blocks: a search box does not ask the CRM). base, base+rag,
finetuned, finetuned+rag differ only in whether the LoRA adapter is active and whether context
is in the prompt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.copilot.prompting import build_messages, citation_line, format_context
from tasks.errors import UserError
from tasks.evaluate.scoring import facts_metric, score_answer, score_retrieval, summarize
from tasks.params import Params
from tasks.reports import file_sha256, write_report
from tasks.schema import Hit, read_eval

log = logging.getLogger(__name__)

RETRIEVAL = "retrieval"  # the search box: the top chunk shown as is, no model
BASE, BASE_RAG, FINETUNED, FINETUNED_RAG = "base", "base+rag", "finetuned", "finetuned+rag"
CONFIGS = (RETRIEVAL, BASE, BASE_RAG, FINETUNED, FINETUNED_RAG)
WITH_CONTEXT = (RETRIEVAL, BASE_RAG, FINETUNED_RAG)


def search_box_answer(hits: Sequence[Hit], params: Params) -> str:
    """What a user would read instead of a copilot's answer: the top-ranked chunk as it is,
    cited in the form the copilot cites; the abstention text when nothing was found."""
    if not hits:
        return params.sft.abstain_response
    top = max(hits, key=lambda h: h.score)
    return f"{top.text}\n{citation_line(params.sft.cite_as or '{ids}', [top.doc_id])}"


@dataclass(frozen=True)
class EvalReport:
    questions: int
    configs: dict[str, dict[str, float]]
    retrieval: dict[str, float]
    primary_metric: str
    facts_metric: str
    seconds: float
    index_version: str
    adapter_sha256: str
    generated: dict[str, int]  # answers generated per configuration (the rest came from cache)
    mlflow_run_id: str | None = None


def plot(table: dict[str, dict[str, float]], path: Path, primary: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [primary, "format", "facts", "rougeL", "token_f1", "cites_gold"]
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / len(CONFIGS)
    for i, config in enumerate(CONFIGS):
        values = [table[config][m] for m in shown]
        ax.bar([x + i * width for x in range(len(shown))], values, width, label=config)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(shown))], shown)
    ax.set_ylim(0, 1)
    ax.set_title("tandem: the search box vs base vs RAG vs fine-tuned vs both")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def evaluate(params: Params) -> tuple[EvalReport, pd.DataFrame]:
    from peft import PeftModel

    from tasks.context.snapshots import recorded_first
    from tasks.copilot.copilot import gather_context
    from tasks.copilot.generate import generate, render_prompts
    from tasks.evaluate.answer_cache import AnswerCache, answer_key, base_identity
    from tasks.index.retrieve import Retriever
    from tasks.models import adapter_dir, base_model_dir, load_base

    started = time.perf_counter()
    eval_path = params.paths.curated_dir / "eval.parquet"
    if not eval_path.is_file():
        raise UserError(f"'{eval_path}' not found; run `tandem curate` first")
    examples = read_eval(eval_path)
    if params.evaluate.max_questions:
        examples = examples[: params.evaluate.max_questions]
    k = params.evaluate.k
    with Retriever(params) as retriever:
        # the same context the copilot gathers when answering (tasks/copilot/copilot.py)
        hits = [gather_context(retriever, e.question, e.customer_id, k) for e in examples]
        index_version = retriever.version
    # what the copilot shows: its providers' blocks (here as each question recorded them) first
    contexts = [
        recorded_first(e.context, e.customer_id, h, params.context)
        for e, h in zip(examples, hits, strict=True)
    ]
    adapter = adapter_dir(params)
    if not (adapter / "adapter_config.json").is_file():
        raise UserError(f"no adapter in '{adapter}'; run `tandem finetune` first")
    base, tokenizer, device = load_base(params)
    model: Any = PeftModel.from_pretrained(base, adapter)
    model.eval()
    identity = base_identity(base_model_dir(params))
    cache = AnswerCache.open(params.paths.cache_dir, identity)
    decoding = {**params.generate.model_dump(), "dtype": str(base.dtype), "device": device}

    def conversations(with_context: bool) -> list[list[dict[str, str]]]:
        return [
            build_messages(params.prompt, e.question, c if with_context else [], e.customer_id)
            for e, c in zip(examples, contexts, strict=True)
        ]

    def quotable(with_context: bool) -> list[str]:  # what a quote may copy
        return [format_context(c if with_context else [], params.prompt) for c in contexts]

    def base_answers(
        convs: list[list[dict[str, str]]], sources: list[str], config: str
    ) -> tuple[list[str], int]:
        keys = [answer_key(identity, p, decoding) for p in render_prompts(tokenizer, convs)]

        def produce(missing: list[int]) -> list[str]:
            picked = [convs[i] for i in missing], [sources[i] for i in missing]
            with model.disable_adapter():
                return generate(model, tokenizer, picked[0], gen, config, picked[1])

        return cache.answer_all(keys, produce)

    rows: list[dict[str, Any]] = []
    gen, generated = params.generate, {}
    for config in CONFIGS:
        with_context = config in WITH_CONTEXT
        convs = conversations(with_context)
        if config == RETRIEVAL:
            answers, generated[config] = [search_box_answer(h, params) for h in hits], 0
        elif config in (BASE, BASE_RAG):
            answers, generated[config] = base_answers(convs, quotable(with_context), config)
        else:
            answers = generate(model, tokenizer, convs, gen, config, quotable(with_context))
            generated[config] = len(answers)
        for example, answer, per_question in zip(examples, answers, contexts, strict=True):
            shown = [h.doc_id for h in per_question] if with_context else []
            rows.append(
                {
                    "config": config,
                    "id": example.id,
                    "question": example.question,
                    "customer_id": example.customer_id,
                    "answer": answer,
                    "context_doc_ids": " ".join(shown),
                    **score_answer(answer, example, shown, params),
                }
            )
    frame = pd.DataFrame(rows)
    report = EvalReport(
        questions=len(examples),
        configs=summarize(frame, CONFIGS),
        retrieval={k_: round(v, 4) for k_, v in score_retrieval(examples, hits, k).items()},
        primary_metric=params.gate.primary_metric,
        facts_metric=facts_metric(examples),
        seconds=round(time.perf_counter() - started, 1),
        index_version=index_version,
        adapter_sha256=file_sha256(adapter / "adapter_model.safetensors"),
        generated=generated,
    )
    return report, frame


def eval_metrics(report: EvalReport) -> dict[str, float]:
    """The evaluation as MLflow metric keys (which allow no '+': `finetuned_rag.must_include`);
    the retrieval metrics under `retrieval.`, the question count as `questions`."""
    metrics = {
        f"{config.replace('+', '_')}.{m}": v
        for config, values in report.configs.items()
        for m, v in values.items()
    }
    metrics.update({f"retrieval.{m}": v for m, v in report.retrieval.items()})
    metrics["questions"] = report.questions
    return metrics


def run(params: Params) -> EvalReport:
    from tasks import tracking

    reports = params.paths.reports_dir
    with tracking.step_run(params, "evaluate") as run_id:
        tracking.log_dataset(params.paths.curated_dir / "eval.parquet", "eval", "evaluation")
        report, frame = evaluate(params)
        reports.mkdir(parents=True, exist_ok=True)
        frame.to_csv(reports / "eval_questions.csv", index=False)
        plot(report.configs, reports / "eval.png", params.gate.primary_metric)
        tracking.record(
            metrics=eval_metrics(report),
            artifacts=[reports / "eval_questions.csv", reports / "eval.png"],
            tags={"index_version": report.index_version, "facts_metric": report.facts_metric},
        )
    report = EvalReport(**{**report.__dict__, "mlflow_run_id": run_id})
    write_report(reports, "eval", report)
    return report
