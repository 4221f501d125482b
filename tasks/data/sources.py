"""Read the input contract (documents/, sft/, eval/) into raw rows that know their file and line.

Reading never drops a row silently: a line or file that cannot be parsed becomes a RawRow
with `fields=None` and the reason, so validation can quarantine it and count it.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = (".jsonl", ".csv", ".parquet", ".md", ".html", ".htm")
# a file that cannot be read is quarantined with its start, not megabytes of it
RAW_PREVIEW_CHARS = 2000
FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.M
)


@dataclass(frozen=True)
class Reason:
    """Why a row was quarantined: a stable kind (counted in reports) and a detail for people."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class RawRow:
    """One input record as read; `fields` is None when it could not be parsed (see `error`)."""

    source_file: str
    line: int
    raw: str
    fields: dict[str, Any] | None
    error: Reason | None = None


def _failed(source_file: str, line: int, raw: str, kind: str, detail: str) -> RawRow:
    return RawRow(source_file, line, raw, None, Reason(kind, detail))


def parse_jsonl(text: str, source_file: str) -> list[RawRow]:
    """One row per non-blank line; line numbers are 1-based lines of the file."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            detail = f"line is not valid JSON ({exc.msg} at column {exc.colno})"
            rows.append(_failed(source_file, number, line, "not_json", detail))
            continue
        if not isinstance(value, dict):
            detail = f"line is JSON {type(value).__name__}, expected an object"
            rows.append(_failed(source_file, number, line, "not_object", detail))
            continue
        rows.append(RawRow(source_file, number, line, value))
    return rows


def parse_csv(text: str, source_file: str) -> list[RawRow]:
    """A header row, then one row per record; `line` is the record's first line in the file."""
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return []
    rows = []
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a NUL byte or an oversized field; the reader moves on
            raw = "".join(lines[start - 1 : reader.line_num]).rstrip("\r\n")
            detail = f"CSV row cannot be parsed ({exc})"
            rows.append(_failed(source_file, start, raw, "bad_csv", detail))
            start = reader.line_num + 1
            continue
        raw = "".join(lines[start - 1 : reader.line_num]).rstrip("\r\n")
        if not record:
            pass  # a blank line is not a record
        elif len(record) != len(header):
            detail = f"CSV row has {len(record)} fields, the header has {len(header)}"
            rows.append(_failed(source_file, start, raw, "csv_field_count", detail))
        else:
            rows.append(RawRow(source_file, start, raw, dict(zip(header, record, strict=True))))
        start = reader.line_num + 1
    return rows


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML whose plain scalars stay strings (an id `0012` is not the octal 10), bar null/bool."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag.endswith((":null", ":bool"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_markdown(text: str, source_file: str) -> RawRow:
    """A Markdown file is one row: YAML front matter gives the fields, the body is `text`."""
    match = FRONT_MATTER.match(text)
    if match is None:
        if text.startswith("---"):
            detail = "front matter has no closing '---' line"
            return _failed(source_file, 1, text, "bad_front_matter", detail)
        return RawRow(source_file, 1, text, {"text": text})
    try:
        meta = yaml.load(match.group(1), Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        detail = f"front matter is not valid YAML ({str(exc).splitlines()[0]})"
        return _failed(source_file, 1, text, "bad_front_matter", detail)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        detail = f"front matter is a YAML {type(meta).__name__}, expected a mapping of fields"
        return _failed(source_file, 1, text, "bad_front_matter", detail)
    return RawRow(source_file, 1, text, {**meta, "text": text[match.end() :]})


def parse_html(text: str, source_file: str) -> RawRow:
    """An HTML file is one row: `tandem:*` meta tags give the fields, the body markup is `text`."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    fields: dict[str, Any] = {}
    for tag in soup.find_all("meta"):
        name = str(tag.get("name") or "")
        if name.startswith("tandem:") and tag.get("content") is not None:
            fields[name.removeprefix("tandem:")] = str(tag.get("content"))
    if soup.title is not None and soup.title.string:
        fields["title"] = soup.title.string.strip()
    if soup.body is not None:
        body = soup.body.decode_contents()
    else:  # a fragment: everything outside <head>
        if soup.head is not None:
            soup.head.decompose()
        body = soup.decode_contents()
    # curation turns the markup into text; `format` tells it to
    return RawRow(source_file, 1, text, {**fields, "text": body, "format": "html"})


def jsonable_cell(value: Any) -> Any:
    """Parquet cells as JSON-able Python: timestamps become ISO strings."""
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
        fields = {str(k): jsonable_cell(v) for k, v in record.items()}
        raw = json.dumps(fields, ensure_ascii=False, default=str)
        rows.append(RawRow(source_file, number, raw, fields))
    return rows


def decode_utf8(data: bytes, source_file: str) -> str | RawRow:
    """The file's text, or a whole-file failure row when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")  # a BOM is legal UTF-8 and must not break line 1
    except UnicodeDecodeError as exc:
        preview = data[:RAW_PREVIEW_CHARS].decode("utf-8", errors="replace")
        byte = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        detail = f"file is not UTF-8 ({byte}); re-save it as UTF-8"
        return _failed(source_file, 1, preview, "not_utf8", detail)


def read_file(path: Path, root: Path) -> list[RawRow]:
    """Every row of one input file; `source_file` is its path relative to `root`."""
    source_file = path.relative_to(root).as_posix()
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
    if suffix in (".html", ".htm"):
        return [parse_html(text, source_file)]
    raise ValueError(f"no reader for '{source_file}'")


def suffixes_of(kind: str) -> tuple[str, ...]:
    return DOCUMENT_SUFFIXES if kind == "documents" else (".jsonl",)


def source_files(root: Path, kind: str) -> tuple[list[Path], list[str]]:
    """The files of one source in a stable order (the first occurrence wins), and those skipped."""
    folder = root / kind
    if not folder.is_dir():
        return [], []
    candidates: Iterable[Path] = folder.rglob("*") if kind == "documents" else folder.iterdir()
    files, skipped = [], []
    for path in sorted(p for p in candidates if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue  # editor and OS droppings: .DS_Store, .~lock files
        if path.suffix.lower() in suffixes_of(kind):
            files.append(path)
        else:
            skipped.append(path.relative_to(root).as_posix())
    return files, skipped


def read_source(root: Path, kind: str) -> tuple[list[RawRow], list[str]]:
    """All rows of `documents`, `sft` or `eval` under root, and the files skipped."""
    if not (root / kind).is_dir():
        log.warning("%s has no %s/ folder; that source is empty", root, kind)
    files, skipped = source_files(root, kind)
    for name in skipped:
        log.warning(
            "skipping %s: %s/ holds only %s files", name, kind, ", ".join(suffixes_of(kind))
        )
    return [row for path in files for row in read_file(path, root)], skipped
