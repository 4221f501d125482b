"""Raw rows -> one pandas frame per source, as GX checks it, and back to the validated layout."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from tasks.context.snapshots import SNAPSHOT_FIELD, snapshot_problem
from tasks.data.cleaning import html_to_text, is_html
from tasks.data.expectations import CHECKED, DATE_FIELDS, ISO_8601_RE, LIST_FIELDS, ROW_NO
from tasks.data.sources import RawRow
from tasks.schema import DOCUMENT_COLUMNS, DOCUMENT_FIELDS, EVAL_COLUMNS, SFT_COLUMNS, is_missing
from tasks.sections import ValidateParams

COLUMNS = {"documents": DOCUMENT_COLUMNS, "sft": SFT_COLUMNS, "eval": EVAL_COLUMNS}
INVISIBLE = frozenset({"Cf", "Cc", "Zl", "Zp", "Zs"})  # format and control characters, spaces


def as_text(value: Any) -> str | None:
    """A contract field as a string; missing or blank is None (GX's null)."""
    if is_missing(value):
        return None
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text if text.strip() else None


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 string as naive UTC (no offset means UTC); None when absent or unparseable."""
    if value is None or not ISO_8601_RE.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    except (ValueError, OverflowError):  # 2024-02-30; 9999-12-31T23:59-01:00 is past year 9999
        return None


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


def normalize(
    source: str, fields: Mapping[str, Any], source_file: str, default_visibility: str
) -> dict[str, Any]:
    """One parsed row in its source's columns: strings or None; lists stay as given. A document
    that names no visibility gets `default_visibility` (params: `internal`, fail closed)."""
    if source == "documents":
        record: dict[str, Any] = {name: as_text(fields.get(name)) for name in DOCUMENT_FIELDS}
        visibility = record["visibility"]
        record["visibility"] = visibility.strip().lower() if visibility else default_visibility
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


def visible_chars(text: Any, source_file: str) -> int | None:
    """Characters a reader sees: not whitespace, not invisible formatting (zero-width spaces,
    soft hyphens), and for an HTML file only its rendered text (a script is not content)."""
    if not isinstance(text, str):
        return None
    shown = html_to_text(text) if is_html(source_file) else text
    return sum(not ch.isspace() and unicodedata.category(ch) not in INVISIBLE for ch in shown)


def build_frame(source: str, rows: Sequence[RawRow], p: ValidateParams) -> pd.DataFrame:
    """The parsed rows of one source, indexed by row_no (the position in `rows`), for GX.

    Documents also get `text_chars`, `text_visible_chars`, `_tenant` (the customer id of a
    per-customer source, else "shared") and a parsed `_<field>_ts` per date field; sft and eval
    rows `_context` ("ok", or null with `_context_problem` saying why the snapshot is not one).
    """
    records = [
        {ROW_NO: row_no, **normalize(source, row.fields, row.source_file, p.default_visibility)}
        for row_no, row in enumerate(rows)
        if row.fields is not None
    ]
    frame = pd.DataFrame(records, columns=[ROW_NO, *COLUMNS[source]])
    frame[ROW_NO] = frame[ROW_NO].astype("int64")
    if source == "documents":
        frame["text_chars"] = frame["text"].str.len().astype("Int64")  # not float for NaN
        visible = [
            visible_chars(t, f) for t, f in zip(frame["text"], frame["source_file"], strict=True)
        ]
        frame["text_visible_chars"] = pd.Series(visible, index=frame.index, dtype="Int64")
        per_customer = frame["source"].isin(p.customer_sources)
        frame["_tenant"] = frame["customer_id"].where(per_customer, "shared")
        for name in DATE_FIELDS:
            stamps = [parse_timestamp(v) if isinstance(v, str) else None for v in frame[name]]
            frame[f"_{name}_ts"] = pd.Series(stamps, index=frame.index, dtype="datetime64[us]")
    else:
        problems = [snapshot_problem(v) for v in frame[SNAPSHOT_FIELD]]
        frame["_context_problem"] = pd.Series(problems, index=frame.index, dtype=object)
        frame[CHECKED] = ["ok" if not x else None for x in problems]
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
