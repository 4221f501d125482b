"""finetune-embedder: the retriever's half of fine-tuning + RAG.

The untuned embedder ranks the curated chunks for every sft prompt; the prompt's gold document
chunk it ranks highest is the positive, and the top chunks of other documents are the hard
negatives (mined here, not with sentence-transformers' mine_hard_negatives, because another
chunk of the gold document is no negative). sentence-transformers' trainer tunes the embedder
with MultipleNegativesRankingLoss (in-batch negatives plus the mined ones), and the result is
measured against the untuned one on the eval questions only, never on the pairs it trained on.
Index and retrieval then use it (tasks/index/embed.py): its identity changes, so `tandem index`
rebuilds the index with its vectors (recall-gated, switched atomically).
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tasks.errors import UserError
from tasks.evaluate.metrics import mean, recall_at_k
from tasks.index.embed import EMBEDDER_MARKER, embed_texts, finetuned_dir
from tasks.index.plan import embedding_text
from tasks.models import configure_threads, resolve_model_ref
from tasks.params import Params
from tasks.reports import file_sha256, text_sha256, write_json_atomic, write_report
from tasks.schema import CHUNK_COLUMNS, EvalExample, SftExample, read_eval, read_sft, read_table

log = logging.getLogger(__name__)

RECALL_AT = (1, 3, 5)


@dataclass(frozen=True)
class FinetuneEmbedderReport:
    enabled: bool
    model_dir: str
    pairs: int
    steps: int
    seconds: float
    recall_before: dict[str, float]
    recall_after: dict[str, float]
    mlflow_run_id: str | None = None


def rank(query_vectors: np.ndarray, chunk_vectors: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Chunk indices by cosine similarity (unit vectors), best first; disallowed ones last."""
    scores = np.where(allowed, query_vectors @ chunk_vectors.T, -np.inf)
    return np.argsort(-scores, axis=1)


def visible(chunks: pd.DataFrame, customer_ids: Sequence[str]) -> np.ndarray:
    """Which chunks each asker may be shown: shared ones and their own (never another's)."""
    owners = chunks["customer_id"].fillna("").to_numpy()
    return np.array([(owners == "") | (owners == c) for c in customer_ids])


def triplets(
    examples: Sequence[SftExample], chunks: pd.DataFrame, order: np.ndarray, negatives: int
) -> list[dict[str, str]]:
    """(anchor, positive, negative_1..n) rows: the best-ranked gold chunk, the best-ranked
    chunks of other documents."""
    texts = [
        embedding_text(t or "", x) for t, x in zip(chunks["title"], chunks["text"], strict=True)
    ]
    docs = chunks["doc_id"].tolist()
    rows = []
    for example, ranked in zip(examples, order, strict=True):
        gold = set(example.gold_doc_ids)
        positives = [i for i in ranked if docs[i] in gold]
        others = [i for i in ranked if docs[i] not in gold]
        if not positives or len(others) < negatives:
            continue
        row = {"anchor": example.prompt, "positive": texts[positives[0]]}
        row.update({f"negative_{n + 1}": texts[i] for n, i in enumerate(others[:negatives])})
        rows.append(row)
    return rows


def recall(
    model: Any, examples: Sequence[EvalExample], chunks: pd.DataFrame, batch: int
) -> dict[str, float]:
    """recall@k of the gold documents over the visible chunks, brute force, per eval question."""
    answerable = [e for e in examples if e.gold_doc_ids]
    if not answerable:
        return {}
    texts = [
        embedding_text(t or "", x) for t, x in zip(chunks["title"], chunks["text"], strict=True)
    ]
    order = rank(
        embed_texts(model, [e.question for e in answerable], batch),
        embed_texts(model, texts, batch),
        visible(chunks, [e.customer_id for e in answerable]),
    )
    docs = chunks["doc_id"].tolist()
    ranked = [[docs[i] for i in row[:50]] for row in order]
    return {
        f"recall_at_{k}": round(
            mean(
                [recall_at_k(r, e.gold_doc_ids, k) for r, e in zip(ranked, answerable, strict=True)]
            ),
            4,
        )
        for k in RECALL_AT
    }


def train(params: Params, rows: list[dict[str, str]], model: Any) -> int:
    """sentence-transformers' trainer with MultipleNegativesRankingLoss; returns the steps."""
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.training_args import BatchSamplers

    p = params.finetune_embedder
    args = SentenceTransformerTrainingArguments(
        output_dir=str(params.paths.models_dir / "embedder-checkpoints"),
        num_train_epochs=p.num_train_epochs,
        per_device_train_batch_size=p.per_device_train_batch_size,
        learning_rate=p.learning_rate,
        warmup_ratio=p.warmup_ratio,
        seed=p.seed,
        batch_sampler=BatchSamplers.NO_DUPLICATES,  # a repeated text would be its own negative
        save_strategy="no",
        report_to=[],
        logging_steps=1,
        disable_tqdm=True,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        loss=MultipleNegativesRankingLoss(model),
    )
    trainer.train()
    return int(trainer.state.global_step)


def run(params: Params) -> FinetuneEmbedderReport:
    started = time.perf_counter()
    target = finetuned_dir(params)
    if not params.finetune_embedder.enabled:
        target.mkdir(parents=True, exist_ok=True)  # DVC's out exists either way
        write_json_atomic(target / EMBEDDER_MARKER, {"enabled": False})
        report = FinetuneEmbedderReport(False, str(target), 0, 0, 0.0, {}, {})
        write_report(params.paths.reports_dir, "finetune_embedder", report)
        return report
    from tasks import tracking

    with tracking.step_run(params, "finetune-embedder") as run_id:
        tracking.log_dataset(params.paths.curated_dir / "sft.parquet", "sft", "training")
        tracking.log_dataset(params.paths.curated_dir / "eval.parquet", "eval", "evaluation")
        report = tune(params, target, started)
        tracking.record(
            metrics={
                "pairs": report.pairs,
                "steps": report.steps,
                **{f"before.{k}": v for k, v in report.recall_before.items()},
                **{f"after.{k}": v for k, v in report.recall_after.items()},
            }
        )
    report = FinetuneEmbedderReport(**{**report.__dict__, "mlflow_run_id": run_id})
    write_report(params.paths.reports_dir, "finetune_embedder", report)
    log.info(
        "embedder tuned on %d pairs: recall %s -> %s",
        report.pairs, report.recall_before, report.recall_after,
    )  # fmt: skip
    return report


def tune(params: Params, target: Path, started: float) -> FinetuneEmbedderReport:
    """Train on (prompt, gold chunk, hard negatives); recall on eval before and after."""
    from sentence_transformers import SentenceTransformer

    curated = params.paths.curated_dir
    chunks = read_table(curated / "chunks.parquet", CHUNK_COLUMNS, producer="curate")
    examples = [e for e in read_sft(curated / "sft.parquet") if e.gold_doc_ids]
    questions = read_eval(curated / "eval.parquet")
    if not examples:
        raise UserError("finetune-embedder: no sft example names a gold document to train on")
    configure_threads(params.model)
    base = resolve_model_ref(params.embedding.model)
    model = SentenceTransformer(base, device="cpu")
    batch = params.embedding.batch_size  # a torch model: its vectors do not depend on the batch
    texts = [
        embedding_text(t or "", x) for t, x in zip(chunks["title"], chunks["text"], strict=True)
    ]
    order = rank(
        embed_texts(model, [e.prompt for e in examples], batch),
        embed_texts(model, texts, batch),
        visible(chunks, [e.customer_id for e in examples]),
    )
    rows = triplets(examples, chunks, order, params.finetune_embedder.hard_negatives)
    before = recall(model, questions, chunks, batch)
    steps = train(params, rows, model)
    after = recall(model, questions, chunks, batch)
    shutil.rmtree(target, ignore_errors=True)
    model.save_pretrained(str(target))
    weights = sorted(target.rglob("*.safetensors"))
    digest = text_sha256("".join(file_sha256(p) for p in weights))
    write_json_atomic(
        target / EMBEDDER_MARKER,
        {"enabled": True, "base": params.embedding.model, "sha256": digest},
    )
    report = FinetuneEmbedderReport(
        True, str(target), len(rows), steps, round(time.perf_counter() - started, 1), before, after
    )
    return report
