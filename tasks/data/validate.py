"""validate: the input contract checked with Great Expectations; bad rows quarantined with reasons.

documents/, sft/ and eval/ under paths.source_dir are read into rows (sources.py), made into
one frame per source (frames.py) and checked by that source's GX suite (expectations.py).
Keep-first duplicate ids and train/eval leakage have no GX expectation, so they are found here
and recorded the same way (quarantine.py counts them). The validated Parquet files are replaced
only when every source is within validate.max_quarantine_fraction, so downstream steps keep the
last good data otherwise.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tasks.data.cross_checks import check_gold, find_duplicates, find_leakage
from tasks.data.expectations import run_expectations, show
from tasks.data.folder import read_source
from tasks.data.frames import COLUMNS, build_frame, output_frame
from tasks.data.quarantine import (
    SourceCounts,
    SourceResult,
    combine,
    failure_message,
    quarantine_lines,
    summarize,
)
from tasks.data.sources import RawRow, Reason
from tasks.errors import DataQualityError, UserError
from tasks.params import Params
from tasks.reports import write_report, write_text_atomic
from tasks.schema import KINDS, in_share, write_tables
from tasks.sections import ValidateParams

log = logging.getLogger(__name__)


def hold_out_eval(
    rows: Mapping[str, Sequence[RawRow]], fraction: float
) -> tuple[dict[str, list[RawRow]], int]:
    """With no eval/ rows, a stable share of the sft examples (by id hash, independent of the
    sft/val split) becomes the eval set, so a corpus without eval questions is still measured.
    Held-out rows keep their file and line; they leave sft, so they are never trained on."""
    if rows.get("eval"):
        return {k: list(v) for k, v in rows.items()}, 0
    held, kept = [], []
    for row in rows.get("sft", ()):
        example_id = str((row.fields or {}).get("id", "")).strip()
        if row.fields is not None and example_id and in_share(example_id, fraction, salt="eval"):
            fields = row.fields
            question = {
                "id": fields.get("id"),
                "question": fields.get("prompt"),
                "reference_answer": fields.get("response"),
                "gold_doc_ids": fields.get("gold_doc_ids", []),
                "customer_id": fields.get("customer_id"),
                "must_include": [],
                "context": fields.get("context"),
            }
            held.append(RawRow(row.source_file, row.line, row.raw, question))
        else:
            kept.append(row)
    return {**{k: list(v) for k, v in rows.items()}, "sft": kept, "eval": held}, len(held)


# ---- the core ----------------------------------------------------------------------------------


def validate_rows(
    rows_by_source: Mapping[str, Sequence[RawRow]], p: ValidateParams, docs_dir: Path | None = None
) -> dict[str, SourceResult]:
    """Rows of each source in; reasons by row and the accepted frames out (+ Data Docs)."""
    rows = {source: list(rows_by_source.get(source, ())) for source in KINDS}
    frames = {source: build_frame(source, rows[source], p) for source in KINDS}
    found = run_expectations(frames, p, docs_dir)
    for source in KINDS:
        reasons = found[source]
        for row_no, row in enumerate(rows[source]):
            if row.error is not None:
                reasons.setdefault(row_no, []).append(row.error)
        ids = frames[source]["id"]
        where = [f"{row.source_file}:{row.line}" for row in rows[source]]
        keys = [(n, i if isinstance(i, str) else None, where[n]) for n, i in ids.items()]
        for row_no, first in find_duplicates(keys).items():
            detail = f"id {show(ids[row_no])} was first seen at {first}"
            reasons.setdefault(row_no, []).append(Reason("duplicate_id", detail))

    # leakage only matters for sft examples that will be trained on
    sft = frames["sft"][~frames["sft"].index.isin(found["sft"].keys())]
    questions = {int(n): q for n, q in frames["eval"]["question"].items() if isinstance(q, str)}
    prompts = dict(zip(sft["id"], sft["prompt"], strict=True))
    leaks = find_leakage(questions, prompts, p)
    for row_no, (sft_id, jaccard) in leaks.items():
        detail = f"question near-duplicates sft example {sft_id!r}'s prompt (Jaccard {jaccard})"
        found["eval"].setdefault(row_no, []).append(Reason("leakage", detail))

    check_gold(frames, found)
    results = {}
    for source, frame in frames.items():
        accepted = output_frame(source, frame[~frame.index.isin(found[source].keys())])
        results[source] = SourceResult(source, rows[source], found[source], accepted)
    return results


# ---- files and the step ------------------------------------------------------------------------


def write_validated(validated_dir: Path, results: Mapping[str, SourceResult]) -> None:
    """The accepted rows of every source, published together."""
    tables = {
        f"{source}.parquet": (result.accepted.to_dict("records"), COLUMNS[source])
        for source, result in results.items()
    }
    write_tables(validated_dir, tables)


@dataclass(frozen=True)
class ValidationReport:
    """Accepted rows per source; per-source detail in `sources` and reports/validation.json."""

    documents: int
    sft: int
    eval: int
    read: int
    quarantined: int
    seconds: float
    eval_source: str
    sources: tuple[SourceCounts, ...] = ()
    data_docs: str = ""  # the Data Docs index page
    quarantine: str = ""  # the quarantined rows, with their reasons


def run(params: Params) -> ValidationReport:
    """Read paths.source_dir; write quarantine, report and Data Docs, then the validated files.
    Two runs on one out_dir take turns (a lock in the reports folder).

    Raises DataQualityError (exit 3) when a source has too many bad rows: the report and the
    quarantine are written first, and the validated files are left as they were.
    """
    from filelock import FileLock

    params.paths.reports_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(params.paths.reports_dir / ".validate.lock"):
        return validate_source(params)


def validate_source(params: Params) -> ValidationReport:
    started = time.perf_counter()
    p, paths = params.validate_, params.paths
    root = paths.source_dir
    if not root.is_dir():
        raise UserError(
            f"source folder '{root}' not found; set paths.source_dir to a folder with documents/"
        )
    rows, skipped = {}, {}
    for source in KINDS:
        rows[source], skipped_here = read_source(root, source)
        skipped.update(skipped_here)

    rows, held_out = hold_out_eval(rows, p.eval_holdout_fraction)
    eval_source = (
        f"held out from sft/: {held_out} examples (validate.eval_holdout_fraction="
        f"{p.eval_holdout_fraction}, by id hash), as eval/ has none"
        if held_out
        else "eval/"
    )
    docs_dir = paths.reports_dir / "data_docs"
    docs_dir.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".data_docs.", dir=docs_dir.parent))
    results = validate_rows(rows, p, building.resolve())
    shutil.rmtree(docs_dir, ignore_errors=True)  # a fresh site: pages of old runs would pile up
    building.rename(docs_dir)

    per_source, body = summarize(results)
    failing = [c for c in per_source if c.fraction > p.max_quarantine_fraction]
    quarantine = paths.quarantine_dir / "quarantine.jsonl"
    write_text_atomic(quarantine, "".join(quarantine_lines(results)))
    report = {
        "passed": not failing,
        "max_quarantine_fraction": p.max_quarantine_fraction,
        **body,
        "eval_source": eval_source,
        "skipped_files": skipped,
        "quarantine": str(quarantine),
        "data_docs": str(docs_dir / "index.html"),
        "seconds": round(time.perf_counter() - started, 2),
    }
    report_path = write_report(paths.reports_dir, "validation", report)
    if failing:
        raise DataQualityError(
            f"{failure_message(failing, p)}. See {quarantine} and {report_path}; "
            f"{paths.validated_dir} was left as it was. Fix the inputs under {root}, "
            "or raise validate.max_quarantine_fraction."
        )
    write_validated(paths.validated_dir, results)
    total = combine("total", per_source)
    shown = ", ".join(f"{kind}={n}" for kind, n in total.reasons.items()) or "none"
    log.info("validate: %d rows read, %d quarantined (%s)", total.read, total.quarantined, shown)
    accepted = {c.source: c.accepted for c in per_source}
    return ValidationReport(
        documents=accepted["documents"],
        sft=accepted["sft"],
        eval=accepted["eval"],
        read=total.read,
        quarantined=total.quarantined,
        seconds=round(time.perf_counter() - started, 2),
        eval_source=eval_source,
        sources=tuple(per_source),
        data_docs=report["data_docs"],
        quarantine=report["quarantine"],
    )
