"""A second look at the training records, independent of the redactor: plain regular
expressions and checksums for the shapes PII takes, none of presidio's recognizers. A check that
shared the redactor's recognizers would miss exactly what the redactor missed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SHAPES = {
    "e-mail address": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"),
    "card number": re.compile(r"\b\d(?:[ -]?\d){12,18}\b"),
    "IBAN": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"),
    "national id": re.compile(r"\b\d{3}-\d{2}-\d{4}\b|\b(?:19|20)?\d{6}[-+]\d{4}\b"),
    "phone number": re.compile(r"\+\d{1,3}[ (-]*\d[\d ()-]{6,}\d"),
    "IP address": re.compile(
        r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"
    ),
}


def luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def real(kind: str, found: str) -> bool:
    """Checksums separate real numbers from look-alikes (a version, an order number)."""
    digits = re.sub(r"\D", "", found)
    if kind == "card number":
        return luhn(digits)
    if kind == "IBAN":
        return iban_ok(found)
    if kind == "national id" and "-" in found and len(digits) in (10, 12):
        return luhn(digits[-10:])  # a personnummer; an SSN shape always counts
    return True


@dataclass(frozen=True)
class Leak:
    record_id: str
    kind: str
    excerpt: str


def scan(
    texts: Iterable[tuple[str, str]], allowed: Sequence[str], id_patterns: Sequence[str]
) -> list[Leak]:
    """(record id, text) pairs -> what looks like PII in them, minus allowed values and ids."""
    ids = [re.compile(p) for p in id_patterns]
    leaks = []
    for record_id, text in texts:
        spans = [m.span() for p in ids for m in p.finditer(text)]
        for kind, shape in SHAPES.items():
            for match in shape.finditer(text):
                value = match.group(0)
                inside_id = any(a <= match.start() and match.end() <= b for a, b in spans)
                if value in allowed or inside_id or not real(kind, value):
                    continue
                start = max(0, match.start() - 20)
                leaks.append(Leak(record_id, kind, text[start : match.end() + 20]))
    return leaks
