"""Text normalization for curate: Unicode NFKC, whitespace, HTML to text, boilerplate lines."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

# Page chrome and non-content elements: their text never reaches a document.
DROP_TAGS = frozenset(
    {"script", "style", "nav", "footer", "header", "head", "noscript", "template"}
)
# Elements that start a new line in the extracted text.
BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "figcaption"}
    | {"figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre"}
    | {"section", "summary", "table", "tbody", "thead", "tr", "ul"}
)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_HTML_SPACE = re.compile(r"\s+")
_INNER_SPACE = re.compile(r"(?<=\S)\s+")  # runs after a word; leading indentation stays
_BLANK_LINES = re.compile(r"\n{3,}")
_BLOCK_GAPS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def normalize_text(text: str) -> str:
    """NFKC, no zero-width characters, single spaces inside lines, at most one blank line."""
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))
    lines = [_INNER_SPACE.sub(" ", line).rstrip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    """Visible text: page chrome dropped, each block (paragraph, heading, list item) one line."""
    pieces: list[str] = []
    _collect_text(BeautifulSoup(markup, "html.parser"), pieces)
    return _BLOCK_GAPS.sub("\n", "".join(pieces)).strip("\n")


def _collect_text(node: Tag, pieces: list[str], preformatted: bool = False) -> None:
    for child in node.children:
        if isinstance(child, PreformattedString):  # comments, doctypes, CDATA
            continue
        if isinstance(child, NavigableString):
            pieces.append(str(child) if preformatted else _HTML_SPACE.sub(" ", child))
        elif isinstance(child, Tag) and child.name not in DROP_TAGS:
            if child.name == "br":
                pieces.append("\n")
            elif child.name in BLOCK_TAGS:
                pieces.append("\n- " if child.name == "li" else "\n")
                _collect_text(child, pieces, preformatted or child.name == "pre")
                pieces.append("\n")
            else:
                _collect_text(child, pieces, preformatted)
                if child.name in ("td", "th"):
                    pieces.append(" ")


def compile_boilerplate(patterns: Sequence[str]) -> list[re.Pattern[str]]:
    return [re.compile(pattern, re.IGNORECASE) for pattern in patterns]


def remove_boilerplate(text: str, patterns: Sequence[re.Pattern[str]]) -> str:
    """Drop whole lines that a boilerplate pattern matches entirely."""
    lines = text.split("\n")
    kept = [line for line in lines if not any(p.fullmatch(line.strip()) for p in patterns)]
    return _BLANK_LINES.sub("\n\n", "\n".join(kept)).strip()


def is_html(source_file: str) -> bool:
    """An HTML source is known by its file's suffix: no field of a row can make its text
    parsed as markup (a JSONL row saying `"format": "html"` is plain metadata)."""
    return source_file.lower().endswith((".html", ".htm"))


def clean_document(doc: dict[str, Any], boilerplate: Sequence[re.Pattern[str]]) -> dict[str, Any]:
    """A new document whose text and title are normalized; HTML bodies become plain text."""
    body = html_to_text(doc["text"]) if is_html(doc.get("source_file", "")) else doc["text"]
    text = remove_boilerplate(normalize_text(body), boilerplate)
    return {**doc, "text": text, "title": " ".join(normalize_text(doc.get("title", "")).split())}
