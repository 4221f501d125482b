"""What validation found, counted per source and per file, and written as quarantine lines."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tasks.data.sources import RawRow, Reason
from tasks.sections import ValidateParams


@dataclass(frozen=True)
class SourceResult:
    """One source after validation: every row read, the bad ones' reasons, the accepted frame."""

    source: str
    rows: list[RawRow]
    reasons: dict[int, list[Reason]]
    accepted: pd.DataFrame


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
