"""The source folder as validate reads it: which files count and which are skipped (with why),
and each file read so that nothing in one file can stop the run: a file that cannot be read,
for any reason, is one `unreadable_file` row of its own.

Links are followed only inside the source folder; a link out of it, a loop, a FIFO or a device
is listed in `skipped_files` with the reason, never read.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tasks.data.sources import (
    DOCUMENT_SUFFIXES,
    RAW_PREVIEW_CHARS,
    RawRow,
    _failed,
    checked,
    clip,
    parse_csv,
    parse_html,
    parse_jsonl,
    parse_markdown,
)

log = logging.getLogger(__name__)


def jsonable_cell(value: Any) -> Any:
    """Parquet cells as JSON-able Python: timestamps become ISO strings, UTF-8 bytes text (a
    binary column holding text); other bytes raise BinaryValue."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise BinaryValue() from None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable_cell(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable_cell(v) for v in value]
    return value


def read_parquet(path: Path, source_file: str) -> list[RawRow]:
    """One row per table row; `line` is the row index + 1."""
    import pyarrow.parquet as pq

    try:
        records = pq.read_table(path).to_pylist()
    except Exception as exc:  # pyarrow raises several types for a damaged file
        with path.open("rb") as handle:
            preview = handle.read(RAW_PREVIEW_CHARS).decode("utf-8", errors="replace")
        detail = f"parquet file cannot be read ({type(exc).__name__}: {exc})"
        return [_failed(source_file, 1, preview, "unreadable_file", detail)]
    rows = []
    for number, record in enumerate(records, start=1):
        try:
            fields = {str(k): jsonable_cell(v) for k, v in record.items()}
        except BinaryValue:
            raw = clip(repr(record))
            detail = "a column holds binary data that is not UTF-8 text; store text as strings"
            rows.append(_failed(source_file, number, raw, "binary_value", detail))
            continue
        raw = clip(json.dumps(fields, ensure_ascii=False, default=str))
        rows.append(checked(RawRow(source_file, number, raw, fields)))
    return rows


class BinaryValue(ValueError):
    pass


def decode_utf8(data: bytes, source_file: str) -> str | RawRow:
    """The file's text, or a whole-file failure row when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")  # a BOM is legal UTF-8 and must not break line 1
    except UnicodeDecodeError as exc:
        preview = data[:RAW_PREVIEW_CHARS].decode("utf-8", errors="replace")
        byte = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        detail = f"file is not UTF-8 ({byte}); re-save it as UTF-8"
        return _failed(source_file, 1, preview, "not_utf8", detail)


def parse_file(path: Path, source_file: str) -> list[RawRow]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return read_parquet(path, source_file)
    text = decode_utf8(path.read_bytes(), source_file)
    if isinstance(text, RawRow):
        return [text]
    if suffix == ".jsonl":
        return parse_jsonl(text, source_file)
    if suffix == ".csv":
        return parse_csv(text, source_file)
    if suffix == ".md":
        return [parse_markdown(text, source_file)]
    return [parse_html(text, source_file)]


def read_file(path: Path, root: Path) -> list[RawRow]:
    """Every row of one input file; `source_file` is its path relative to `root`. Whatever goes
    wrong reading it (permissions, I/O, a parser's own error) makes the whole file one row."""
    source_file = path.relative_to(root).as_posix()
    try:
        return parse_file(path, source_file)
    except Exception as exc:  # one file must never stop the run, whatever it raises
        detail = f"file cannot be read ({type(exc).__name__}: {str(exc)[:300]}); check it"
        return [_failed(source_file, 1, "", "unreadable_file", detail)]


def suffixes_of(kind: str) -> tuple[str, ...]:
    return DOCUMENT_SUFFIXES if kind == "documents" else (".jsonl",)


def why_skipped(path: Path, root: Path) -> str | None:
    """None for a regular file inside the source folder, else why it is not read."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link or a loop
        return "a link that leads nowhere (or in a loop)"
    if not resolved.is_relative_to(root.resolve()):
        return "a link out of the source folder; copy the file in instead"
    if not resolved.is_file():
        return "not a regular file (a FIFO, socket or device)"
    return None


def source_files(root: Path, kind: str) -> tuple[list[Path], dict[str, str]]:
    """The files of one source in a stable order (the first occurrence wins), and those
    skipped with the reason."""
    folder = root / kind
    if not folder.is_dir():
        return [], {}
    if kind == "documents":
        found = [Path(d) / f for d, _, names in os.walk(folder) for f in names]
    else:
        found = [p for p in folder.iterdir() if not p.is_dir()]
    files, skipped = [], {}
    for path in sorted(found):
        name = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue  # editor and OS droppings: .DS_Store, .~lock files
        reason = why_skipped(path, root)
        if reason is None and path.suffix.lower() not in suffixes_of(kind):
            reason = f"{kind}/ holds only {', '.join(suffixes_of(kind))} files"
        if reason is None:
            files.append(path)
        else:
            skipped[name] = reason
    return files, skipped


def read_source(root: Path, kind: str) -> tuple[list[RawRow], dict[str, str]]:
    """All rows of `documents`, `sft` or `eval` under root, and the files skipped (and why)."""
    if not (root / kind).is_dir():
        log.warning("%s has no %s/ folder; that source is empty", root, kind)
    files, skipped = source_files(root, kind)
    for name, reason in skipped.items():
        log.warning("skipping %s: %s", name, reason)
    return [row for path in files for row in read_file(path, root)], skipped
