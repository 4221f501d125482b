"""Feedback that teaches the next fine-tune: what support agents say about answers, kept with
the answer's trace (MLflow assessments), and turned into sft examples of the input contract.

A thumbs up or down is a `helpful` feedback (with the reason); "the right answer is ..." is an
`expected_answer` expectation; a reviewer's `approved` feedback releases a correction when
`serve.feedback_needs_approval`. `export` writes `<source_dir>/sft/feedback.jsonl`: corrections
(approved where needed) and answers upvoted `serve.feedback_min_upvotes` times, each with the
asking customer (so validate's tenancy checks apply) and the documents the answer rested on as
gold; questions that repeat an sft prompt or come close to an eval question are left out (the
eval set must stay unseen). Validation, PII redaction and dedup then treat them as any input.

A correction is also a fact, and facts belong in the index: `<source_dir>/documents/feedback.jsonl`
holds each exported correction as a document (the question as title, the correction as text,
scoped to the asking customer: fail closed), cited like any other after the next re-index. A
shared correction is the gold of its sft example, so training quotes it as inference will; a
135M model did not learn a fact its context lacked from 16 copies in 20 steps.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks import tracking
from tasks.params import Params
from tasks.reports import write_jsonl_atomic
from tasks.schema import FEEDBACK_TASK

log = logging.getLogger(__name__)

FEEDBACK_FILE = "feedback.jsonl"  # under <source_dir>/sft/ and <source_dir>/documents/


def human(agent: str) -> Any:
    from mlflow.entities import AssessmentSource

    return AssessmentSource(source_type="HUMAN", source_id=agent or "support-agent")


def record(
    params: Params,
    trace_id: str,
    helpful: bool | None,
    reason: str = "",
    correction: str = "",
    customer_id: str = "",
    agent: str = "",
) -> None:
    """An agent's verdict on one traced answer."""
    import mlflow

    tracking.setup(params)
    meta = {"customer_id": customer_id}
    if helpful is not None:
        mlflow.log_feedback(
            trace_id=trace_id, name="helpful", value=helpful, rationale=reason or None,
            source=human(agent), metadata=meta,
        )  # fmt: skip
    if correction.strip():
        mlflow.log_expectation(
            trace_id=trace_id, name="expected_answer", value=correction.strip(),
            source=human(agent), metadata=meta,
        )  # fmt: skip


def approve(params: Params, trace_id: str, reviewer: str) -> None:
    import mlflow

    tracking.setup(params)
    mlflow.log_feedback(trace_id=trace_id, name="approved", value=True, source=human(reviewer))


@dataclass(frozen=True)
class FeedbackExport:
    path: str
    corrections: int
    upvoted: int
    skipped_unapproved: int
    skipped_known: int


def normalized(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def traced_answers(params: Params) -> list[dict[str, Any]]:
    """Every traced answer with its assessments: question, answer, customer, shown ids."""
    import mlflow

    experiment = tracking.setup(params)
    rows = []
    for trace in mlflow.search_traces(experiment_ids=[experiment], return_type="list"):
        root = next((s for s in trace.data.spans if s.parent_id is None), None)
        if root is None or not isinstance(root.inputs, dict) or "question" not in root.inputs:
            continue
        retrieve = next((s for s in trace.data.spans if s.name == "retrieve"), None)
        shown = [h["id"] for h in (retrieve.outputs or [])] if retrieve else []
        outputs = root.outputs if isinstance(root.outputs, dict) else {}
        rows.append(
            {
                "trace_id": trace.info.trace_id,
                "question": root.inputs["question"],
                "answer": outputs.get("answer", ""),
                "cited": outputs.get("sources", []),
                "shown": shown,
                "assessments": list(trace.info.assessments or []),
            }
        )
    return rows


def example(row: dict[str, Any], params: Params) -> tuple[dict[str, Any] | None, str]:
    """One traced answer as an sft example, or None and why not."""
    named = {a.name: a for a in row["assessments"]}
    expected = named.get("expected_answer")
    upvotes = [a for a in row["assessments"] if a.name == "helpful" and a.value is True]
    approved = "approved" in named or not params.serve.feedback_needs_approval
    if expected is not None and approved:
        response, source = str(expected.value), expected
    elif expected is not None:
        return None, "unapproved"
    elif len(upvotes) >= params.serve.feedback_min_upvotes:
        response, source = row["answer"], upvotes[0]
    else:
        return None, "no verdict"
    customer = str((source.metadata or {}).get("customer_id", ""))
    gold = row["cited"] or row["shown"]
    if expected is not None and not customer:
        gold = [document_id(row["trace_id"])]  # the correction itself is the evidence
    shaped = {
        "id": f"fb-{row['trace_id']}",
        "prompt": row["question"],
        "response": response,
        "task_type": FEEDBACK_TASK,
        "customer_id": customer,
        "gold_doc_ids": list(gold),
    }
    return shaped, "corrected" if expected is not None else "upvoted"


def document_id(trace_id: str) -> str:
    """Short like the ids the model learnt to cite (the 135M model abstained rather than copy a
    40-character one): 8 hex digits of the trace id, even odds of one clash at ~77k corrections."""
    return f"FB-{trace_id.removeprefix('tr-')[:8]}"


def as_document(shaped: dict[str, Any], trace_id: str) -> dict[str, Any]:
    """An exported correction as a knowledge document of the input contract."""
    return {
        "id": document_id(trace_id),
        "title": shaped["prompt"],
        "text": shaped["response"],
        "source": FEEDBACK_TASK,
        "customer_id": shaped["customer_id"],
    }


def source_texts(params: Params, kind: str, field: str) -> dict[str, str]:
    """{id: text} of the source folder's sft prompts or eval questions (the feedback aside)."""
    import json

    found = {}
    for path in sorted((params.paths.source_dir / kind).glob("*.jsonl")):
        if path.name == FEEDBACK_FILE:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            try:
                row = json.loads(line)
                found[str(row.get("id", f"{path.name}:{number}"))] = str(row[field])
            except (ValueError, KeyError, AttributeError, TypeError):
                continue  # validate reports the bad line
    return found


def leaks_into_eval(prompts: list[str], params: Params) -> set[int]:
    """Which feedback questions come as close to an eval question as validate calls leakage."""
    from tasks.data.cross_checks import find_leakage

    questions = source_texts(params, "eval", "question")
    return set(find_leakage(dict(enumerate(prompts)), questions, params.validate_))


def export(params: Params) -> FeedbackExport:
    known = {normalized(t) for t in source_texts(params, "sft", "prompt").values()}
    candidates, counts = [], {"corrected": 0, "upvoted": 0, "unapproved": 0, "known": 0}
    for traced in traced_answers(params):
        shaped, why = example(traced, params)
        if shaped is None:
            counts["unapproved"] += why == "unapproved"
        elif normalized(shaped["prompt"]) in known:
            counts["known"] += 1
        else:
            known.add(normalized(shaped["prompt"]))
            candidates.append((shaped, why, traced["trace_id"]))
    leaking = leaks_into_eval([c["prompt"] for c, _, _ in candidates], params)
    rows, documents = [], []
    for n, (shaped, why, trace_id) in enumerate(candidates):
        if n in leaking:
            counts["known"] += 1
        else:
            rows.append(shaped)
            counts[why] += 1
            documents += [as_document(shaped, trace_id)] if why == "corrected" else []
    source = Path(params.paths.source_dir)
    path = source / "sft" / FEEDBACK_FILE
    for written, target in ((rows, path), (documents, source / "documents" / FEEDBACK_FILE)):
        if written or target.exists():  # no feedback yet: the source folder is left as it is
            write_jsonl_atomic(target, written)
    log.info("feedback: %s -> %s", counts, path)
    return FeedbackExport(
        str(path), counts["corrected"], counts["upvoted"], counts["unapproved"], counts["known"]
    )
