"""curate: validated data -> clean, deduplicated, redacted documents, their chunks, sft and eval.

Per kind, in id order: normalize (cleaning.py) -> exact, then near duplicates
(dedupe.py) -> PII redaction (pii.py); documents are then chunked by tokens of the embedding
model's tokenizer (chunking.py).

Duplicates are only looked for within a scope. Documents: (customer_id, visibility, valid_from,
valid_until): two customers' look-alike tickets must each stay retrievable for their customer,
a public article must not be dropped for an internal copy the public cannot see, and two
versions of a policy with different validity windows are meant to differ. sft and eval:
customer_id. A removed document's id is rewritten to its kept twin in sft/eval gold_doc_ids.

Redaction covers what can reach model weights: sft prompts and responses, and shared documents
(customer_id empty: shown to everyone and retrieved into training prompts). A customer's own
tickets keep their content: support agents need the history, and the index filters by
customer (build-sft redacts retrieved context again with the same Redactor).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tasks.data.chunking import chunk_documents, load_tokenizer
from tasks.data.cleaning import clean_document, compile_boilerplate, normalize_text
from tasks.data.dedupe import Scope, dedupe, kept_twin
from tasks.params import Params
from tasks.reports import text_sha256, write_json_atomic
from tasks.schema import (
    CHUNK_COLUMNS,
    DOCUMENT_COLUMNS,
    EVAL_COLUMNS,
    KINDS,
    LIST_COLUMNS,
    SFT_COLUMNS,
    read_table,
    strings_tuple,
    text_or_empty,
    write_tables,
)
from tasks.sections import CurateParams

if TYPE_CHECKING:
    from tasks.data.pii import Redactor

log = logging.getLogger(__name__)

Record = dict[str, Any]
Timings = defaultdict[str, float]

# ---------------------------------------------------------------- per-kind curation


@dataclass(frozen=True)
class KindReport:
    received: int  # "in" in curation.json
    empty: int  # nothing left after normalization
    exact_duplicates: int
    near_duplicates: int
    out: int
    redactions: dict[str, int]
    chunks: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        fields = asdict(self)
        return {"in": fields.pop("received"), **fields}


@dataclass(frozen=True)
class KindSpec:
    """How one kind is curated: which fields to normalize, what to compare, what to redact."""

    normalize: Callable[[Record], Record]
    dedupe_text: Callable[[Record], str]
    scope: Callable[[Record], Scope]
    redact_fields: tuple[str, ...] = ()
    should_redact: Callable[[Record], bool] = lambda record: True


def _normalize_fields(names: Sequence[str]) -> Callable[[Record], Record]:
    return lambda r: {**r, **{name: normalize_text(r[name]) for name in names}}


def kind_specs(p: CurateParams) -> dict[str, KindSpec]:
    boilerplate = compile_boilerplate(p.boilerplate_patterns)
    normalize_eval = _normalize_fields(("question", "reference_answer"))
    return {
        "documents": KindSpec(
            normalize=lambda r: clean_document(r, boilerplate),
            dedupe_text=lambda r: r["text"],
            scope=lambda r: (r["customer_id"], r["visibility"], r["valid_from"], r["valid_until"]),
            redact_fields=("text", "title", "url"),
            should_redact=lambda r: not r["customer_id"],  # shared docs; see the module docstring
        ),
        "sft": KindSpec(
            normalize=_normalize_fields(("prompt", "response")),
            dedupe_text=lambda r: f"{r['prompt']}\n{r['response']}",
            scope=lambda r: (r["customer_id"],),
            redact_fields=("prompt", "response"),
        ),
        # Eval is normalized but not redacted: it is never trained on, so its PII cannot reach
        # weights, and the scorer compares answers with reference_answer and must_include
        # verbatim: a placeholder there would mark a correct answer (one quoting the
        # customer's address or card ending, say) wrong.
        "eval": KindSpec(
            normalize=lambda r: {
                **normalize_eval(r),
                "must_include": [normalize_text(m) for m in r["must_include"]],
            },
            dedupe_text=lambda r: f"{r['question']}\n{r['reference_answer']}",
            scope=lambda r: (r["customer_id"],),
        ),
    }


@contextmanager
def _timed(timings: Timings, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    timings[stage] += time.perf_counter() - started


def curate_records(
    records: Sequence[Record], spec: KindSpec, p: CurateParams, redactor: Redactor, timings: Timings
) -> tuple[list[Record], KindReport, dict[str, str]]:
    """Records in id order -> kept records, their counts, and removed id -> kept twin's id."""
    with _timed(timings, "normalize"):
        normalized = [spec.normalize(r) for r in records]
        nonempty = [r for r in normalized if spec.dedupe_text(r).strip()]
    with _timed(timings, "dedupe"):
        texts, scopes = [spec.dedupe_text(r) for r in nonempty], [spec.scope(r) for r in nonempty]
        result = dedupe(texts, scopes, p)
    kept, redactions = [], Counter[str]()
    with _timed(timings, "redact"):
        for index in result.kept:
            record = nonempty[index]
            if spec.redact_fields and spec.should_redact(record):
                record = dict(record)
                for name in spec.redact_fields:
                    redaction = redactor.redact(record[name])
                    record[name] = redaction.text
                    redactions.update(redaction.counts)
            kept.append(record)
    report = KindReport(
        received=len(records),
        empty=len(records) - len(nonempty),
        exact_duplicates=result.exact_duplicates,
        near_duplicates=result.near_duplicates,
        out=len(kept),
        redactions=dict(sorted(redactions.items())),
    )
    ids = [r["id"] for r in nonempty]
    twins = {ids[i]: ids[kept_twin(result.duplicate_of, i)] for i in result.duplicate_of}
    return kept, report, twins


def remap_gold(records: Sequence[Record], twins: dict[str, str]) -> tuple[list[Record], int]:
    """Point gold_doc_ids at the kept twin of a removed duplicate document."""
    remapped, changed = [], 0
    for record in records:
        gold = [twins.get(d, d) for d in record["gold_doc_ids"]]
        changed += sum(d in twins for d in record["gold_doc_ids"])
        remapped.append({**record, "gold_doc_ids": list(dict.fromkeys(gold))})
    return remapped, changed


# ---------------------------------------------------------------- I/O and run

INPUT_COLUMNS = {"documents": DOCUMENT_COLUMNS, "sft": SFT_COLUMNS, "eval": EVAL_COLUMNS}
OUTPUT_COLUMNS = {**INPUT_COLUMNS, "documents": (*DOCUMENT_COLUMNS, "content_hash")}


def read_records(path: Path, columns: Sequence[str]) -> list[Record]:
    """Rows in id order; strings never null, list columns as lists of str."""
    rows = read_table(path, columns, producer="validate").to_dict("records")
    records = [
        {
            c: list(strings_tuple(row[c])) if c in LIST_COLUMNS else text_or_empty(row[c])
            for c in columns
        }
        for row in rows
    ]
    return sorted(records, key=lambda r: r["id"])


@dataclass(frozen=True)
class CurateReport:
    documents: int
    chunks: int
    sft: int
    eval: int
    redactions: int
    gold_remapped: int
    seconds: float
    kinds: dict[str, KindReport]
    stage_seconds: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        """curation.json: the counts per kind, then the totals."""
        return {
            **{kind: report.to_json() for kind, report in self.kinds.items()},
            "gold_remapped": self.gold_remapped,
            "stage_seconds": self.stage_seconds,
            "seconds": self.seconds,
        }


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def run(params: Params) -> CurateReport:
    started = time.perf_counter()
    p, paths = params.curate, params.paths
    specs, timings = kind_specs(p), Timings(float)
    with _timed(timings, "read"):
        src = paths.validated_dir
        inputs = {k: read_records(src / f"{k}.parquet", INPUT_COLUMNS[k]) for k in KINDS}
    # presidio and spaCy take seconds to import: only when curating
    from tasks.data.ner import published_vocabulary
    from tasks.data.pii import Redactor

    redactor = Redactor(p, published_vocabulary(inputs["documents"]))
    outputs: dict[str, list[Record]] = {}
    reports: dict[str, KindReport] = {}

    kind_started = time.perf_counter()
    docs, report, twins = curate_records(
        inputs["documents"], specs["documents"], p, redactor, timings
    )
    outputs["documents"] = [{**d, "content_hash": text_sha256(d["text"])} for d in docs]
    with _timed(timings, "chunk"):
        chunks = chunk_documents(outputs["documents"], load_tokenizer(params), p)
    reports["documents"] = replace(report, chunks=len(chunks), seconds=_since(kind_started))

    gold_remapped = 0
    for kind in ("sft", "eval"):
        kind_started = time.perf_counter()
        records, report, _ = curate_records(inputs[kind], specs[kind], p, redactor, timings)
        outputs[kind], changed = remap_gold(records, twins)
        reports[kind] = replace(report, seconds=_since(kind_started))
        gold_remapped += changed

    with _timed(timings, "write"):
        dst = paths.curated_dir
        tables = {f"{kind}.parquet": (outputs[kind], OUTPUT_COLUMNS[kind]) for kind in KINDS}
        write_tables(dst, {**tables, "chunks.parquet": (chunks, CHUNK_COLUMNS)})
    curated = CurateReport(
        documents=len(outputs["documents"]),
        chunks=len(chunks),
        sft=len(outputs["sft"]),
        eval=len(outputs["eval"]),
        redactions=sum(sum(r.redactions.values()) for r in reports.values()),
        gold_remapped=gold_remapped,
        seconds=_since(started),
        kinds=reports,
        stage_seconds={stage: round(seconds, 2) for stage, seconds in timings.items()},
    )
    write_json_atomic(paths.reports_dir / "curation.json", curated.to_json())
    log.info("curated: %s", json.dumps(curated.to_json()))
    return curated
