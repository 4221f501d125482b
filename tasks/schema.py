"""The records passed between steps, and the files that carry them (all Parquet, one table each).

validate   -> validated/{documents,sft,eval}.parquet   (+ quarantine/quarantine.jsonl)
curate     -> curated/{documents,chunks,sft,eval}.parquet
index      -> the Qdrant index (+ its manifest); retrieve reads it
build-sft  -> sft/{train,val}.jsonl
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tasks.errors import UserError
from tasks.reports import publish_folder, text_sha256

# Fields of the document contract (docs/data.md); anything else is kept in `metadata` (JSON).
FEEDBACK_TASK = "feedback"  # the task_type of sft examples exported from agents' feedback
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
# `context`: recorded provider blocks as JSON, "" for none (tasks/context/snapshots.py)
SFT_COLUMNS = ("id", "prompt", "response", "task_type", "customer_id", "gold_doc_ids", "context")
EVAL_COLUMNS = (
    "id", "question", "reference_answer", "gold_doc_ids", "customer_id", "must_include", "context"
)  # fmt: skip
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
    context: str = ""  # recorded provider blocks (JSON), "" for none


@dataclass(frozen=True)
class EvalExample:
    id: str
    question: str
    reference_answer: str
    gold_doc_ids: tuple[str, ...] = ()
    customer_id: str = ""
    must_include: tuple[str, ...] = field(default_factory=tuple)
    context: str = ""


Example = TypeVar("Example", "SftExample", "EvalExample")


def in_share(example_id: str, fraction: float, salt: str = "") -> bool:
    """A stable split by id: an example stays on its side whatever else is added. Splits with
    another `salt` are independent of each other."""
    bucket = int(text_sha256(f"{salt}{example_id}")[:8], 16) / 0xFFFFFFFF
    return bucket < fraction


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


def write_tables(
    folder: Path, tables: Mapping[str, tuple[Sequence[Mapping[str, Any]], Sequence[str]]]
) -> None:
    """Each {file name: (rows, columns)} as a typed Parquet table of exactly those columns,
    the folder's files published together as one generation (reports.publish_folder)."""
    with publish_folder(folder) as staging:
        for name, (rows, columns) in tables.items():
            picked = [{c: row[c] for c in columns} for row in rows]
            table = pa.Table.from_pylist(picked, schema=arrow_schema(columns))
            pq.write_table(table, staging / name)


def read_table(path: Path, columns: Sequence[str], producer: str) -> pd.DataFrame:
    """A step's input table, or a message naming the file and the step that writes it."""
    if not path.is_file():
        raise UserError(f"'{path}' not found; run `tandem {producer}` first")
    frame = pd.read_parquet(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UserError(f"'{path}' lacks columns {missing}; run `tandem {producer}` again")
    return frame


def is_missing(value: object) -> bool:
    """None or a NaN cell: pandas' missing value in an object column."""
    return value is None or (isinstance(value, float) and pd.isna(value))


def text_or_empty(value: object) -> str:
    """A table cell as text; a missing cell is ""."""
    return "" if is_missing(value) else str(value)


def strings_tuple(value: object) -> tuple[str, ...]:
    """A list cell as a tuple of strings; a missing cell is ()."""
    return () if is_missing(value) else tuple(str(v) for v in value)  # type: ignore[attr-defined]


def read_examples(path: Path, kind: type[Example]) -> list[Example]:
    """sft or eval examples from a curated table; missing cells become "" or ()."""
    names = [f.name for f in fields(kind)]

    def cell(row: dict[str, Any], name: str) -> Any:
        value = row.get(name)
        return strings_tuple(value) if name in LIST_COLUMNS else text_or_empty(value)

    rows = pd.read_parquet(path).to_dict("records")
    return [kind(**{name: cell(row, name) for name in names}) for row in rows]


def read_sft(path: Path) -> list[SftExample]:
    return read_examples(path, SftExample)


def read_eval(path: Path) -> list[EvalExample]:
    return read_examples(path, EvalExample)
