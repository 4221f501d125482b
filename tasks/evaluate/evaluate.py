"""evaluate: four configurations, identical prompts, greedy decoding, one table.

base, base+rag, finetuned, finetuned+rag differ only in whether the LoRA adapter is active and
whether retrieved context is in the prompt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.copilot.prompting import build_messages
from tasks.errors import UserError
from tasks.evaluate import metrics
from tasks.params import Params
from tasks.reports import file_sha256, write_report
from tasks.schema import EvalExample, Hit, read_eval

log = logging.getLogger(__name__)

BASE, BASE_RAG, FINETUNED, FINETUNED_RAG = "base", "base+rag", "finetuned", "finetuned+rag"
CONFIGS = (BASE, BASE_RAG, FINETUNED, FINETUNED_RAG)
ANSWER_METRICS = (
    "answer_score",
    "format",
    "must_include",
    "rougeL",
    "token_f1",
    "citation_precision",
    "abstention_accuracy",
)


def score_answer(
    answer: str, example: EvalExample, context_doc_ids: Sequence[str]
) -> dict[str, float]:
    """Pure: every answer metric for one answer."""
    gold = example.gold_doc_ids
    has_answer = bool(set(gold) & set(context_doc_ids))
    row = {
        "format": metrics.follows_format(answer),
        "must_include": metrics.must_include_coverage(answer, example.must_include),
        "rougeL": metrics.rouge_l(answer, example.reference_answer),
        "token_f1": metrics.token_f1(answer, example.reference_answer),
        "citation_precision": metrics.citation_precision(answer, context_doc_ids, gold),
        "abstention_accuracy": metrics.abstention_correct(answer, has_answer),
    }
    row["answer_score"] = metrics.answer_score(
        row["format"], row["rougeL"], row["must_include"], row["abstention_accuracy"]
    )
    return row


def score_retrieval(
    examples: Sequence[EvalExample], hits: Sequence[Sequence[Hit]], k: int
) -> dict[str, float]:
    docs = [[h.doc_id for h in per_question] for per_question in hits]
    return {
        f"recall_at_{k}": metrics.mean(
            [metrics.recall_at_k(d, e.gold_doc_ids, k) for d, e in zip(docs, examples, strict=True)]
        ),
        "mrr": metrics.mean(
            [metrics.mrr(d, e.gold_doc_ids) for d, e in zip(docs, examples, strict=True)]
        ),
        f"ndcg_at_{k}": metrics.mean(
            [metrics.ndcg_at_k(d, e.gold_doc_ids, k) for d, e in zip(docs, examples, strict=True)]
        ),
    }


@dataclass(frozen=True)
class EvalReport:
    questions: int
    configs: dict[str, dict[str, float]]
    retrieval: dict[str, float]
    primary_metric: str
    seconds: float
    index_version: str
    adapter_sha256: str
    mlflow_run_id: str | None = None


def summarize(rows: pd.DataFrame) -> dict[str, dict[str, float]]:
    table = {}
    for config in CONFIGS:
        part = rows[rows["config"] == config]
        table[config] = {m: round(metrics.mean(part[m].tolist()), 4) for m in ANSWER_METRICS}
    return table


def plot(table: dict[str, dict[str, float]], path: Path, primary: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [primary, "format", "must_include", "rougeL", "citation_precision"]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.2
    for i, config in enumerate(CONFIGS):
        values = [table[config][m] for m in shown]
        ax.bar([x + i * width for x in range(len(shown))], values, width, label=config)
    ax.set_xticks([x + 1.5 * width for x in range(len(shown))], shown)
    ax.set_ylim(0, 1)
    ax.set_title("tandem: base vs RAG vs fine-tuned vs both")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def evaluate(params: Params) -> tuple[EvalReport, pd.DataFrame]:
    from peft import PeftModel

    from tasks.copilot.copilot import gather_context
    from tasks.copilot.generate import generate
    from tasks.index.retrieve import Retriever
    from tasks.models import adapter_dir, load_base

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
    adapter = adapter_dir(params)
    if not (adapter / "adapter_config.json").is_file():
        raise UserError(f"no adapter in '{adapter}'; run `tandem finetune` first")
    base, tokenizer, _ = load_base(params)
    model: Any = PeftModel.from_pretrained(base, adapter)
    model.eval()

    def conversations(with_context: bool) -> list[list[dict[str, str]]]:
        return [
            build_messages(
                params.prompt.system,
                e.question,
                h if with_context else [],
                params.prompt.context_chars,
                e.customer_id,
            )
            for e, h in zip(examples, hits, strict=True)
        ]

    rows: list[dict[str, Any]] = []
    for config in CONFIGS:
        with_context = config in (BASE_RAG, FINETUNED_RAG)
        convs = conversations(with_context)
        gen = params.generate
        if config in (BASE, BASE_RAG):
            with model.disable_adapter():
                answers = generate(
                    model, tokenizer, convs, gen.max_new_tokens, gen.batch_size, config
                )
        else:
            answers = generate(model, tokenizer, convs, gen.max_new_tokens, gen.batch_size, config)
        for example, answer, per_question in zip(examples, answers, hits, strict=True):
            shown = [h.doc_id for h in per_question] if with_context else []
            rows.append(
                {
                    "config": config,
                    "id": example.id,
                    "question": example.question,
                    "customer_id": example.customer_id,
                    "answer": answer,
                    "context_doc_ids": " ".join(shown),
                    **score_answer(answer, example, shown),
                }
            )
    frame = pd.DataFrame(rows)
    report = EvalReport(
        questions=len(examples),
        configs=summarize(frame),
        retrieval={k_: round(v, 4) for k_, v in score_retrieval(examples, hits, k).items()},
        primary_metric=params.gate.primary_metric,
        seconds=round(time.perf_counter() - started, 1),
        index_version=index_version,
        adapter_sha256=file_sha256(adapter / "adapter_model.safetensors"),
    )
    return report, frame


def log_eval_run(params: Params, report: EvalReport, artifacts: list[Path]) -> str:
    """The MLflow run: the configurations' metrics, retrieval metrics, the CSV and the chart."""
    from tasks import tracking

    metrics_ = {
        f"{config.replace('+', '_')}.{m}": v
        for config, values in report.configs.items()
        for m, v in values.items()
    }
    metrics_.update({f"retrieval.{m}": v for m, v in report.retrieval.items()})
    return tracking.log_run(
        params,
        "evaluate",
        run_params={"questions": report.questions, "primary_metric": report.primary_metric},
        metrics=metrics_,
        artifacts=artifacts,
        tags={"index_version": report.index_version},
    )


def run(params: Params) -> EvalReport:
    report, frame = evaluate(params)
    reports = params.paths.reports_dir
    reports.mkdir(parents=True, exist_ok=True)
    frame.to_csv(reports / "eval_questions.csv", index=False)
    plot(report.configs, reports / "eval.png", params.gate.primary_metric)
    run_id = log_eval_run(params, report, [reports / "eval_questions.csv", reports / "eval.png"])
    report = EvalReport(**{**report.__dict__, "mlflow_run_id": run_id})
    write_report(reports, "eval", report)
    return report
