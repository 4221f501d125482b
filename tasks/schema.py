"""The records passed between steps, and the files that carry them (all Parquet, one table each).

validate   -> validated/{documents,sft,eval}.parquet   (+ quarantine/quarantine.jsonl)
curate     -> curated/{documents,chunks,sft,eval}.parquet
index      -> the Qdrant index (+ its manifest); retrieve reads it
build-sft  -> sft/{train,val}.jsonl
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from tasks.errors import UserError

# Fields of the document contract (docs/data.md); anything else is kept in `metadata` (JSON).
DOCUMENT_FIELDS = (
    "id",
    "text",
    "title",
    "source",
    "updated_at",
    "customer_id",
    "visibility",
    "valid_from",
    "valid_until",
    "url",
)
DOCUMENT_COLUMNS = (*DOCUMENT_FIELDS, "metadata", "source_file")
SFT_COLUMNS = ("id", "prompt", "response", "task_type", "customer_id", "gold_doc_ids")
EVAL_COLUMNS = ("id", "question", "reference_answer", "gold_doc_ids", "customer_id", "must_include")
# Document fields every chunk carries, so the index can filter and cite without a join.
CHUNK_METADATA = (
    "title",
    "source",
    "customer_id",
    "visibility",
    "updated_at",
    "valid_from",
    "valid_until",
    "url",
)
CHUNK_COLUMNS = ("chunk_id", "doc_id", "position", "text", *CHUNK_METADATA, "content_hash")
LIST_COLUMNS = frozenset({"gold_doc_ids", "must_include"})
KINDS = ("documents", "sft", "eval")


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk, as the copilot, sft building and evaluation see it."""

    chunk_id: str
    doc_id: str
    title: str
    text: str
    score: float
    source: str = ""
    customer_id: str = ""
    url: str = ""


@dataclass(frozen=True)
class SftExample:
    id: str
    prompt: str
    response: str
    task_type: str = ""
    customer_id: str = ""
    gold_doc_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalExample:
    id: str
    question: str
    reference_answer: str
    gold_doc_ids: tuple[str, ...] = ()
    customer_id: str = ""
    must_include: tuple[str, ...] = field(default_factory=tuple)


def arrow_schema(columns: Sequence[str]) -> pa.Schema:
    """Parquet types of our tables: strings, lists of strings, and the chunk position.

    Typed explicitly: pandas would make an empty frame's columns float64.
    """
    types = {"position": pa.int64()}
    return pa.schema(
        [
            (c, types.get(c, pa.list_(pa.string()) if c in LIST_COLUMNS else pa.string()))
            for c in columns
        ]
    )


def read_table(path: Path, columns: Sequence[str], producer: str) -> pd.DataFrame:
    """A step's input table, or a message naming the file and the step that writes it."""
    if not path.is_file():
        raise UserError(f"'{path}' not found; run `tandem {producer}` first")
    frame = pd.read_parquet(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UserError(f"'{path}' lacks columns {missing}; run `tandem {producer}` again")
    return frame


def _tuple(value: object) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ()
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def read_sft(path: Path) -> list[SftExample]:
    frame = pd.read_parquet(path)
    return [
        SftExample(
            id=str(row["id"]),
            prompt=str(row["prompt"]),
            response=str(row["response"]),
            task_type=_text(row.get("task_type")),
            customer_id=_text(row.get("customer_id")),
            gold_doc_ids=_tuple(row.get("gold_doc_ids")),
        )
        for row in frame.to_dict("records")
    ]


def read_eval(path: Path) -> list[EvalExample]:
    frame = pd.read_parquet(path)
    return [
        EvalExample(
            id=str(row["id"]),
            question=str(row["question"]),
            reference_answer=str(row["reference_answer"]),
            gold_doc_ids=_tuple(row.get("gold_doc_ids")),
            customer_id=_text(row.get("customer_id")),
            must_include=_tuple(row.get("must_include")),
        )
        for row in frame.to_dict("records")
    ]
