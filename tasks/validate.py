"""validate: the input contract checked with Great Expectations; bad rows quarantined with reasons.

documents/, sft/ and eval/ under paths.source_dir are read into rows (tasks/sources.py),
normalized into one frame per source and checked by that source's GX suite
(tasks/expectations.py). Keep-first duplicate ids and train/eval leakage have no GX
expectation, so they are found here and recorded the same way. The validated Parquet files
are replaced only when every source is within validate.max_quarantine_fraction, so
downstream steps keep the last good data otherwise.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.errors import DataQualityError, UserError
from tasks.expectations import (
    DATE_FIELDS,
    ISO_8601_RE,
    LIST_FIELDS,
    ROW_NO,
    run_expectations,
    show,
)
from tasks.params import Params, ValidateParams
from tasks.reports import write_report
from tasks.schema import (
    DOCUMENT_COLUMNS,
    DOCUMENT_FIELDS,
    EVAL_COLUMNS,
    KINDS,
    SFT_COLUMNS,
    arrow_schema,
)
from tasks.sources import RawRow, Reason, read_source

log = logging.getLogger(__name__)

COLUMNS = {"documents": DOCUMENT_COLUMNS, "sft": SFT_COLUMNS, "eval": EVAL_COLUMNS}
SHINGLE_WORDS = 3  # word 3-grams: a reworded question shares few with a prompt, a copy most


# ---- rows -> frames ----------------------------------------------------------------------------


def as_text(value: Any) -> str | None:
    """A contract field as a string; missing or blank is None (GX's null)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text if text.strip() else None


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 string as naive UTC (no offset means UTC); None when absent or unparseable."""
    if value is None or not ISO_8601_RE.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:  # a calendar-shaped impossible date: 2024-02-30
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def format_timestamp(value: Any) -> str:
    """A parsed timestamp as the validated files hold it: UTC, whole seconds, `Z`; "" if none."""
    return "" if value is None or pd.isna(value) else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def metadata_json(extras: Mapping[str, Any]) -> str:
    """Fields outside the contract as a JSON object; a `metadata` object in the input is merged."""
    merged: dict[str, Any] = {}
    for key, value in extras.items():
        if key == "metadata" and isinstance(value, dict):
            merged = {**value, **merged}
        else:
            merged[key] = value
    return json.dumps(merged, ensure_ascii=False, sort_keys=True, default=str)


def normalize(source: str, fields: Mapping[str, Any], source_file: str) -> dict[str, Any]:
    """One parsed row in its source's columns: strings or None; lists stay as given."""
    if source == "documents":
        record: dict[str, Any] = {name: as_text(fields.get(name)) for name in DOCUMENT_FIELDS}
        visibility = record["visibility"]
        record["visibility"] = visibility.strip().lower() if visibility else "public"
        extras = {k: v for k, v in fields.items() if k not in DOCUMENT_FIELDS}
        record["metadata"] = metadata_json(extras)
        record["source_file"] = source_file
    else:
        lists = LIST_FIELDS[source]
        record = {
            n: fields.get(n) if n in lists else as_text(fields.get(n)) for n in COLUMNS[source]
        }
    record["id"] = record["id"].strip() if record["id"] else None
    return record


def build_frame(source: str, rows: Sequence[RawRow]) -> pd.DataFrame:
    """The parsed rows of one source, indexed by row_no (the position in `rows`), for GX.

    Documents also get `text_chars` and a parsed `_<field>_ts` per date field.
    """
    records = [
        {ROW_NO: row_no, **normalize(source, row.fields, row.source_file)}
        for row_no, row in enumerate(rows)
        if row.fields is not None
    ]
    frame = pd.DataFrame(records, columns=[ROW_NO, *COLUMNS[source]])
    frame[ROW_NO] = frame[ROW_NO].astype("int64")
    if source == "documents":
        frame["text_chars"] = frame["text"].str.len().astype("Int64")  # not float for NaN
        for name in DATE_FIELDS:
            stamps = [parse_timestamp(v) if isinstance(v, str) else None for v in frame[name]]
            frame[f"_{name}_ts"] = pd.Series(stamps, index=frame.index, dtype="datetime64[us]")
    return frame.set_index(ROW_NO, drop=False)


def output_frame(source: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in the validated file's layout: strings ("" for missing), lists, UTC timestamps."""
    out = pd.DataFrame(index=frame.index)
    for name in COLUMNS[source]:
        if name in LIST_FIELDS[source]:
            out[name] = [[str(v) for v in x] if isinstance(x, list) else [] for x in frame[name]]
        elif name in DATE_FIELDS:
            out[name] = [format_timestamp(v) for v in frame[f"_{name}_ts"]]
        else:
            out[name] = [v if isinstance(v, str) else "" for v in frame[name]]
    return out.reset_index(drop=True)


# ---- checks without a GX expectation -----------------------------------------------------------


def find_duplicates(keys: Sequence[tuple[int, str | None, str]]) -> dict[int, str]:
    """(row_no, id, "file:line") in input order -> {row_no: where its id was first seen}."""
    first: dict[str, str] = {}
    repeats = {}
    for row_no, key, where in keys:
        if key is None:
            continue
        if key in first:
            repeats[row_no] = first[key]
        else:
            first[key] = where
    return repeats


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Lower-cased word n-grams; a text of n words or fewer is one shingle."""
    words = re.findall(r"\w+", text.lower())
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def find_leakage(
    questions: Mapping[int, str], prompts: Mapping[str, str], threshold: float, num_perm: int
) -> dict[int, tuple[str, float]]:
    """Eval questions as similar as `threshold` to an sft prompt -> {row_no: (sft id, Jaccard)}.

    MinHash LSH finds the candidates; the exact Jaccard of the shingle sets decides and is
    what the reason shows. The closest prompt is named.
    """
    from datasketch import MinHash, MinHashLSH

    def signature(shingle_set: set[str]) -> MinHash:
        minhash = MinHash(num_perm=num_perm)
        minhash.update_batch([s.encode("utf-8") for s in shingle_set])
        return minhash

    prompt_shingles = {sft_id: shingles(text) for sft_id, text in prompts.items()}
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for sft_id, shingle_set in prompt_shingles.items():
        if shingle_set:
            lsh.insert(sft_id, signature(shingle_set))
    leaks = {}
    for row_no, question in questions.items():
        asked = shingles(question)
        if not asked:
            continue
        scored = [
            (len(asked & prompt_shingles[sft_id]) / len(asked | prompt_shingles[sft_id]), sft_id)
            for sft_id in lsh.query(signature(asked))
        ]
        jaccard, sft_id = max(scored, default=(0.0, ""))
        if jaccard >= threshold:
            leaks[row_no] = (sft_id, round(jaccard, 3))
    return leaks


# ---- the core ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceResult:
    """One source after validation: every row read, the bad ones' reasons, the accepted frame."""

    source: str
    rows: list[RawRow]
    reasons: dict[int, list[Reason]]
    accepted: pd.DataFrame


def validate_rows(
    rows_by_source: Mapping[str, Sequence[RawRow]], p: ValidateParams, docs_dir: Path | None = None
) -> dict[str, SourceResult]:
    """Rows of each source in; reasons by row and the accepted frames out (+ Data Docs)."""
    rows = {source: list(rows_by_source.get(source, ())) for source in KINDS}
    frames = {source: build_frame(source, rows[source]) for source in KINDS}
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
    leaks = find_leakage(questions, prompts, p.leakage_threshold, p.minhash_num_perm)
    for row_no, (sft_id, jaccard) in leaks.items():
        detail = f"question near-duplicates sft example {sft_id!r}'s prompt (Jaccard {jaccard})"
        found["eval"].setdefault(row_no, []).append(Reason("leakage", detail))

    results = {}
    for source, frame in frames.items():
        accepted = output_frame(source, frame[~frame.index.isin(found[source].keys())])
        results[source] = SourceResult(source, rows[source], found[source], accepted)
    return results


# ---- counts and the report ---------------------------------------------------------------------


@dataclass(frozen=True)
class SourceCounts:
    source: str
    read: int
    accepted: int
    quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)  # kind -> rows with it

    @property
    def fraction(self) -> float:
        return self.quarantined / self.read if self.read else 0.0

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "source"}


def count(name: str, read: int, reasons: Sequence[list[Reason]]) -> SourceCounts:
    """Counts of `read` rows of which `reasons` are the bad ones; a row counts once per kind."""
    kinds: Counter[str] = Counter()
    for row_reasons in reasons:
        kinds.update({r.kind for r in row_reasons})
    counts = SourceCounts(name, read, read - len(reasons), len(reasons), dict(kinds.most_common()))
    if counts.accepted < 0 or counts.read != counts.accepted + counts.quarantined:
        raise RuntimeError(f"bug: the counts of {name} do not add up: {counts}")
    return counts


def combine(name: str, parts: Sequence[SourceCounts]) -> SourceCounts:
    kinds: Counter[str] = Counter()
    for part in parts:
        kinds.update(part.reasons)
    read, accepted = sum(c.read for c in parts), sum(c.accepted for c in parts)
    return SourceCounts(name, read, accepted, read - accepted, dict(kinds.most_common()))


def summarize(results: Mapping[str, SourceResult]) -> tuple[list[SourceCounts], dict[str, Any]]:
    """Counts per source, and the report body: per source, per file, and the total."""
    per_source, body = [], {}
    for source, result in results.items():
        counts = count(source, len(result.rows), list(result.reasons.values()))
        if counts.accepted != len(result.accepted):
            kept = len(result.accepted)
            raise RuntimeError(
                f"bug: {source} counts {counts.accepted} accepted rows, keeps {kept}"
            )
        files: dict[str, list[int]] = {}
        for row_no, row in enumerate(result.rows):
            files.setdefault(row.source_file, []).append(row_no)
        by_file = {
            name: count(
                name, len(row_nos), [result.reasons[n] for n in row_nos if n in result.reasons]
            )
            for name, row_nos in files.items()
        }
        if combine(source, list(by_file.values())) != counts:
            raise RuntimeError(f"bug: the files of {source} do not add up to {counts}")
        per_source.append(counts)
        body[source] = {
            **counts.as_json(),
            "fraction": round(counts.fraction, 4),
            "files": {name: c.as_json() for name, c in by_file.items()},
        }
    return per_source, {"sources": body, "total": combine("total", per_source).as_json()}


def failure_message(failing: Sequence[SourceCounts], p: ValidateParams) -> str:
    """Names each failing source, its share of bad rows and its top reasons."""
    parts = []
    for c in failing:
        top = ", ".join(f"{kind} ({n})" for kind, n in list(c.reasons.items())[:3])
        bad = f"{c.quarantined} of {c.read} rows bad ({c.fraction:.1%})"
        parts.append(f"{c.source}: {bad}; top reasons: {top}")
    limit = p.max_quarantine_fraction
    return (
        f"too many bad input rows (more than validate.max_quarantine_fraction={limit}): "
        + "; ".join(parts)
    )


# ---- files -------------------------------------------------------------------------------------


def quarantine_lines(results: Mapping[str, SourceResult]) -> list[str]:
    lines = []
    for result in results.values():
        for row_no, reasons in sorted(result.reasons.items()):
            row = result.rows[row_no]
            entry = {
                "source_file": row.source_file,
                "line": row.line,
                "raw": row.raw,
                "reasons": [str(r) for r in reasons],
            }
            lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    return lines


def aside(path: Path) -> Path:
    """A temporary sibling of path, moved over it with os.replace when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_quarantine(path: Path, lines: Sequence[str]) -> None:
    tmp = aside(path)
    tmp.write_text("".join(lines), encoding="utf-8")
    os.replace(tmp, path)


def write_validated(validated_dir: Path, results: Mapping[str, SourceResult]) -> None:
    """Every file is written aside first, then all are moved into place together."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    staged = {}
    for source, result in results.items():
        path = validated_dir / f"{source}.parquet"
        staged[path] = aside(path)
        # from Python lists: an empty frame's columns are float64 to pandas, not list<string>
        columns = {name: result.accepted[name].tolist() for name in COLUMNS[source]}
        table = pa.Table.from_pydict(columns, schema=arrow_schema(COLUMNS[source]))
        pq.write_table(table, staged[path])
    for path, tmp in staged.items():
        os.replace(tmp, path)


@dataclass(frozen=True)
class ValidationReport:
    """Accepted rows per source; per-source detail in `sources` and reports/validation.json."""

    documents: int
    sft: int
    eval: int
    read: int
    quarantined: int
    seconds: float
    sources: tuple[SourceCounts, ...] = ()


def run(params: Params) -> ValidationReport:
    """Read paths.source_dir; write quarantine, report and Data Docs, then the validated files.

    Raises DataQualityError (exit 3) when a source has too many bad rows: the report and the
    quarantine are written first, and the validated files are left as they were.
    """
    started = time.perf_counter()
    p, paths = params.validate_, params.paths
    root = paths.source_dir
    if not root.is_dir():
        raise UserError(
            f"source folder '{root}' not found; set paths.source_dir to a folder with documents/"
        )
    rows, skipped = {}, []
    for source in KINDS:
        rows[source], skipped_here = read_source(root, source)
        skipped += skipped_here

    docs_dir, building = paths.reports_dir / "data_docs", aside(paths.reports_dir / "data_docs")
    shutil.rmtree(building, ignore_errors=True)
    results = validate_rows(rows, p, building.resolve())
    shutil.rmtree(docs_dir, ignore_errors=True)  # a fresh site: pages of old runs would pile up
    building.rename(docs_dir)

    per_source, body = summarize(results)
    failing = [c for c in per_source if c.fraction > p.max_quarantine_fraction]
    quarantine = paths.quarantine_dir / "quarantine.jsonl"
    write_quarantine(quarantine, quarantine_lines(results))
    report = {
        "passed": not failing,
        "max_quarantine_fraction": p.max_quarantine_fraction,
        **body,
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
        sources=tuple(per_source),
    )
