"""Read the input contract (documents/, sft/, eval/) into raw rows that know their file and line.

Reading never drops a row silently: a line or file that cannot be parsed becomes a RawRow
with `fields=None` and the reason, so validation can quarantine it and count it.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import yaml

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = (".jsonl", ".csv", ".parquet", ".md", ".html", ".htm")
# a bad row or file is quarantined with its start, not megabytes of it
RAW_PREVIEW_CHARS = 2000
MAX_INT_DIGITS = 30  # no field of the contract is a number this long
MAX_DEPTH = 8  # metadata may nest; nothing deeper is data we store
MAX_FRONT_MATTER = 64_000  # characters of YAML front matter
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


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique: with a key given twice, which value counts would be
    a guess (the last wins in Python), and for customer_id a wrong guess leaks a ticket."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


class DuplicateKey(ValueError):
    pass


def bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise NumberTooLarge(len(digits))
    return int(digits)


class NumberTooLarge(ValueError):
    pass


def parse_json_line(line: str, source_file: str, number: int) -> RawRow:
    excerpt = clip(line)
    try:
        value = json.loads(line, object_pairs_hook=unique_keys, parse_int=bounded_int)
    except DuplicateKey as exc:
        return _failed(source_file, number, excerpt, "duplicate_key", f"key {exc} appears twice")
    except NumberTooLarge as exc:
        detail = f"a number has {exc} digits, more than {MAX_INT_DIGITS}"
        return _failed(source_file, number, excerpt, "number_too_large", detail)
    except RecursionError:
        detail = f"JSON nested too deep to read; fields are at most {MAX_DEPTH} levels deep"
        return _failed(source_file, number, excerpt, "too_deep", detail)
    except json.JSONDecodeError as exc:
        detail = f"line is not valid JSON ({exc.msg} at column {exc.colno})"
        return _failed(source_file, number, excerpt, "not_json", detail)
    if not isinstance(value, dict):
        detail = f"line is JSON {type(value).__name__}, expected an object"
        return _failed(source_file, number, excerpt, "not_object", detail)
    return checked(RawRow(source_file, number, excerpt, value))


def parse_jsonl(text: str, source_file: str) -> list[RawRow]:
    """One row per non-blank line; line numbers are 1-based lines of the file."""
    return [
        parse_json_line(line, source_file, number)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def strings(value: Any) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def checked(row: RawRow) -> RawRow:
    """A parsed row whose values can be stored: not nested too deep, valid Unicode (JSON can
    spell a lone surrogate, which no UTF-8 file can hold), no raw bytes."""
    fields = row.fields or {}
    if depth(fields) > MAX_DEPTH:
        detail = f"fields nested {depth(fields)} levels deep, more than {MAX_DEPTH}"
        return _failed(row.source_file, row.line, row.raw, "too_deep", detail)
    for text in strings(fields):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            detail = (
                f"a value holds a lone surrogate (U+{ord(exc.object[exc.start]):04X}); fix the text"
            )
            return _failed(row.source_file, row.line, row.raw, "bad_unicode", detail)
    return row


def clip(raw: str) -> str:
    """What quarantine keeps of a row: its start, not megabytes of it."""
    if len(raw) <= RAW_PREVIEW_CHARS:
        return raw
    return f"{raw[:RAW_PREVIEW_CHARS]}... [{len(raw) - RAW_PREVIEW_CHARS} more characters]"


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
            raw = clip("".join(lines[start - 1 : reader.line_num]).rstrip("\r\n"))
            detail = f"CSV row cannot be parsed ({exc})"
            rows.append(_failed(source_file, start, raw, "bad_csv", detail))
            start = reader.line_num + 1
            continue
        raw = clip("".join(lines[start - 1 : reader.line_num]).rstrip("\r\n"))
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
    """YAML whose plain scalars stay strings (an id `0012` is not the octal 10), bar null/bool,
    and without aliases: a few hundred bytes of nested aliases expand to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("front matter uses a YAML alias (*name); write the value out")
        return super().compose_node(parent, index)


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag.endswith((":null", ":bool"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_markdown(text: str, source_file: str) -> RawRow:
    """A Markdown file is one row: YAML front matter gives the fields, the body is `text`."""
    match = FRONT_MATTER.match(text)
    excerpt = clip(text)
    if match is None:
        if text.startswith("---"):
            detail = "front matter has no closing '---' line"
            return _failed(source_file, 1, excerpt, "bad_front_matter", detail)
        return checked(RawRow(source_file, 1, excerpt, {"text": text}))
    if len(match.group(1)) > MAX_FRONT_MATTER:
        detail = f"front matter is longer than {MAX_FRONT_MATTER} characters"
        return _failed(source_file, 1, excerpt, "bad_front_matter", detail)
    try:
        meta = yaml.load(match.group(1), Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        detail = f"front matter is not valid YAML ({str(exc).splitlines()[0]})"
        return _failed(source_file, 1, excerpt, "bad_front_matter", detail)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        detail = f"front matter is a YAML {type(meta).__name__}, expected a mapping of fields"
        return _failed(source_file, 1, excerpt, "bad_front_matter", detail)
    return checked(RawRow(source_file, 1, excerpt, {**meta, "text": text[match.end() :]}))


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
    # curation turns the markup into text (it knows HTML by the file's suffix, not a field)
    return checked(RawRow(source_file, 1, clip(text), {**fields, "text": body}))
