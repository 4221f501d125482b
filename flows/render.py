"""How reports are shown: the CLI's summary line, the evaluation table, the Prefect markdown."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from typing import Any


def as_plain(report: Any) -> Any:
    """A step's report (a dataclass) as plain dicts and lists; anything else as it is."""
    return asdict(report) if is_dataclass(report) and not isinstance(report, type) else report


def summary_line(step: str, report: Any) -> str:
    """One line: the report's scalar fields."""
    fields = as_plain(report)
    if not isinstance(fields, dict):
        return f"{step}: {fields}"
    shown = [
        f"{k}={v}" for k, v in fields.items() if isinstance(v, int | float | str | bool) and v != ""
    ]
    return f"{step}: " + ", ".join(shown)


def cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items()) or "-"
    return "-" if value is None or value == "" else str(value).replace("|", "\\|")


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def eval_table(configs: dict[str, dict[str, float]], primary: str) -> str:
    """The configurations side by side, the primary metric in bold: the CLI prints it, the
    Prefect artifact and the README show it."""
    metrics = list(next(iter(configs.values())))
    header = ["config", *(f"**{m}**" if m == primary else m for m in metrics)]
    rows = [[name, *(values.get(m) for m in metrics)] for name, values in configs.items()]
    return markdown_table(header, rows)


def evaluation_markdown(report: Any) -> str:
    """The whole evaluation for the Prefect UI: the table, then the retrieval metrics."""
    retrieval = [[m, v] for m, v in report.retrieval.items()]
    return "\n\n".join(
        [
            f"## evaluation ({report.questions} questions, index {report.index_version})",
            eval_table(report.configs, report.primary_metric),
            f"Primary metric: **{report.primary_metric}**.",
            "### retrieval",
            markdown_table(["metric", "value"], retrieval),
        ]
    )


def _records(value: Any) -> list[dict[str, Any]]:
    """A report's per-source/per-kind breakdown as rows: a list of dicts or a dict of dicts."""
    if isinstance(value, list | tuple) and value and all(isinstance(v, dict) for v in value):
        return list(value)
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return [{"name": name, **fields} for name, fields in value.items()]
    return []


def counts_markdown(step: str, report: Any) -> str:
    """The report's counts as a table, then a table per breakdown (per source, per kind)."""
    fields = as_plain(report)
    totals = [[k, v] for k, v in fields.items() if not _records(v)]
    parts = [f"## {step}", markdown_table(["count", "value"], totals)]
    for name, value in fields.items():
        rows = _records(value)
        if rows:
            columns = list(dict.fromkeys(k for row in rows for k in row))
            table = markdown_table(columns, [[row.get(c) for c in columns] for row in rows])
            parts += [f"### {name}", table]
    return "\n\n".join(parts)


def promotion_markdown(report: Any) -> str:
    if report.promoted:
        verdict = f"version {report.challenger} is now `champion`"
    else:
        champion = report.champion or "none"
        verdict = f"version {report.challenger} stays `challenger`; `champion` is {champion}"
    return f"## {report.model_name}: {verdict}\n\n{report.reasons}"


def quarantine_markdown(report: Any, shown: int) -> str:
    """Where validate's evidence is: the Data Docs, the quarantine file and its first rows."""
    from pathlib import Path

    fields = as_plain(report)
    docs, quarantine = Path(fields["data_docs"]), Path(fields["quarantine"])
    lines = quarantine.read_text(encoding="utf-8").splitlines() if quarantine.is_file() else []
    rows = []
    for line in lines[:shown]:
        entry = json.loads(line)
        raw = str(entry.get("raw", ""))
        excerpt = raw[:80] + ("..." if len(raw) > 80 else "")
        where = f"{entry['source_file']}:{entry['line']}"
        rows.append([where, "; ".join(entry["reasons"]), excerpt])
    parts = [
        "## validation evidence",
        f"Data Docs: [{docs}]({docs.resolve().as_uri()}) (open the file in a browser).",
        f"Quarantined rows: {len(lines)} in `{quarantine}`"
        + (f"; the first {len(rows)}:" if rows else "."),
    ]
    if rows:
        parts.append(markdown_table(["row", "reasons", "raw (excerpt)"], rows))
    return "\n\n".join(parts)
