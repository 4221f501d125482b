"""The GX suites of the input contract, kept as data, and the runner that maps failures to rows.

Each Check is one Great Expectations expectation plus the reason a failing row gets; the
suites are built from them, so unit tests and the report read the same list GX runs.
great_expectations is imported on first use only: the import takes seconds.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.data.data_docs_assets import localize
from tasks.data.sources import Reason
from tasks.sections import ValidateParams

DATE_FIELDS = ("updated_at", "valid_from", "valid_until")
LIST_FIELDS = {"documents": (), "sft": ("gold_doc_ids",), "eval": ("gold_doc_ids", "must_include")}
REQUIRED = {
    "documents": ("id", "text"),
    "sft": ("id", "prompt", "response"),
    "eval": ("id", "question", "reference_answer"),
}
# Characters that would break a citation: the copilot cites `[id]` on one line.
UNCITABLE = r"[\[\]\r\n]"
# ISO 8601 with calendar-shaped fields: a date, optional time and offset. Non-capturing groups,
# since GX warns about capturing ones. 2024-02-30 matches; the parsed `_<field>_ts` check fails it.
ISO_8601 = (
    r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?$"
)
ISO_8601_RE = re.compile(ISO_8601)
ROW_NO = "row_no"  # the frame column GX reports failing rows by
CHECKED = "_context"  # "ok" where an sft/eval row's context is a snapshot (frames.build_frame)
RESULT_FORMAT = {
    "result_format": "COMPLETE",  # every failing row, not the first 20
    "unexpected_index_column_names": [ROW_NO],
    "return_unexpected_index_query": False,  # else each result carries a query string of ~200 KB
}


@dataclass(frozen=True)
class Check:
    """One GX expectation and the reason a row failing it gets.

    `message` is formatted with the row's values as `show` renders them: "visibility {visibility}".
    """

    kind: str
    message: str
    expectation: str
    kwargs: dict[str, Any]

    def as_gx(self) -> dict[str, Any]:
        meta = {"kind": self.kind, "message": self.message}
        return {"type": self.expectation, "kwargs": self.kwargs, "meta": meta}


def required_checks(source: str) -> list[Check]:
    not_null = "expect_column_values_to_not_be_null"
    return [
        Check(f"missing_{name}", f"{name} is missing or empty", not_null, {"column": name})
        for name in REQUIRED[source]
    ]


def list_checks(source: str) -> list[Check]:
    of_type = "expect_column_values_to_be_of_type"
    message = "{name} must be a JSON list of ids, got {{{name}}}"
    return [
        Check("bad_list", message.format(name=name), of_type, {"column": name, "type_": "list"})
        for name in LIST_FIELDS[source]
    ]


def date_checks(name: str) -> list[Check]:
    """The value has ISO 8601 shape, and (where given) parses: 2024-02-30 has the shape only.

    Both give one message, so a row shows it once. ExpectColumnValuesToBeDateutilParseable
    would need no `_ts` column but takes ~10 s per 50k rows and accepts "May 5".
    """
    message = f"{name} {{{name}}} is not an ISO 8601 date such as 2024-05-01T12:00:00Z"
    shape = {"column": name, "regex": ISO_8601}
    given = {"type": "nullity", "column": {"name": name}, "is_null": False}
    parses = {"column": f"_{name}_ts", "row_condition": given}
    return [
        Check("bad_date", message, "expect_column_values_to_match_regex", shape),
        Check("bad_date", message, "expect_column_values_to_not_be_null", parses),
    ]


def citable_id_checks(p: ValidateParams) -> list[Check]:
    """A document id must round-trip through a citation `[id]`: no brackets, no line break,
    at most validate.max_id_chars characters (docs/data.md)."""
    message = (
        f"id {{id}} cannot be cited as [id]: it holds [, ] or a line break, or is longer than "
        f"validate.max_id_chars={p.max_id_chars}; rename the document"
    )
    return [
        Check("uncitable_id", message, "expect_column_values_to_not_match_regex",
              {"column": "id", "regex": UNCITABLE}),
        Check("uncitable_id", message, "expect_column_value_lengths_to_be_between",
              {"column": "id", "max_value": p.max_id_chars}),
    ]  # fmt: skip


def document_checks(p: ValidateParams) -> list[Check]:
    between = "expect_column_values_to_be_between"
    short = (
        f"text has {{text_visible_chars}} visible characters, fewer than "
        f"validate.min_chars={p.min_chars}"
    )
    long = f"text has {{text_chars}} characters, more than validate.max_chars={p.max_chars}"
    tenant = (
        "source {source} is per-customer (validate.customer_sources) but customer_id is "
        "missing or blank: it would be shown to every customer; give the customer's id"
    )
    return [
        *required_checks("documents"),
        Check(
            "text_too_short",
            short,
            between,
            {"column": "text_visible_chars", "min_value": p.min_chars},
        ),
        Check("text_too_long", long, between, {"column": "text_chars", "max_value": p.max_chars}),
        Check(
            "missing_customer_id",
            tenant,
            "expect_column_values_to_not_be_null",
            {"column": "_tenant"},
        ),
        *citable_id_checks(p),
        Check(
            "bad_visibility",
            "visibility {visibility} is not one of " + ", ".join(p.visibilities),
            "expect_column_values_to_be_in_set",
            {"column": "visibility", "value_set": list(p.visibilities)},
        ),
        *[check for name in DATE_FIELDS for check in date_checks(name)],
        Check(
            "bad_validity_window",
            "valid_until {valid_until} is before valid_from {valid_from}",
            "expect_column_pair_values_a_to_be_greater_than_b",
            # the parsed timestamps: strings would compare lexically, across offsets too
            {
                "column_A": "_valid_until_ts",
                "column_B": "_valid_from_ts",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
        ),
    ]


def checks_for(source: str, p: ValidateParams) -> list[Check]:
    """The suite of one source (documents, sft or eval), as data."""
    if source == "documents":
        return document_checks(p)
    snapshot = (  # CHECKED is null where _context_problem says why
        "context {_context_problem}: give a JSON object of provider name -> the block's text as "
        "that provider returned it (docs/data.md, context providers)"
    )
    return [
        *required_checks(source),
        *list_checks(source),
        Check("bad_context", snapshot, "expect_column_values_to_not_be_null", {"column": CHECKED}),
    ]


def show(value: Any) -> str:
    """A cell value as a reason shows it: strings quoted and cut short, missing as (empty)."""
    if value is None or (not isinstance(value, list | dict) and pd.isna(value)):
        return "(empty)"
    if not isinstance(value, str):
        return str(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _ShownRow(Mapping[str, str]):
    """One row's values for str.format_map, looked up only for the names a message uses."""

    def __init__(self, frame: pd.DataFrame, row_no: int) -> None:
        self.frame, self.row_no = frame, row_no

    def __getitem__(self, key: str) -> str:
        return show(self.frame.at[self.row_no, key])

    def __iter__(self) -> Iterator[str]:
        return iter(self.frame.columns)

    def __len__(self) -> int:
        return len(self.frame.columns)


def import_gx() -> Any:
    """great_expectations, imported on first use and kept quiet."""
    # Before the import, which logs a line per decorated function at INFO; base.py also sets
    # INFO on its own logger, so each context would log its temporary docs folder.
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # sre_constants, on import
        import great_expectations as gx
    return gx


def make_context(docs_dir: Path | None) -> Any:
    """An in-memory context (no gx/ folder, no network), no progress bars, Data Docs in docs_dir."""
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # mode= matters: without it GX looks for a gx/ folder above the cwd
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        store = {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)}
        site = {
            "class_name": "SiteBuilder",
            "store_backend": store,
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        context.add_data_docs_site("tandem", site)
    return context


def _errors(info: Mapping[str, Any]) -> list[str]:
    # flat {"raised_exception": ...}, or nested {metric_id: {...}} when a metric failed
    if "raised_exception" in info:
        return [str(info.get("exception_message"))] if info["raised_exception"] else []
    nested = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    return [str(v.get("exception_message")) for v in nested]


def run_expectations(
    frames: Mapping[str, pd.DataFrame], p: ValidateParams, docs_dir: Path | None = None
) -> dict[str, dict[int, list[Reason]]]:
    """Run each source's suite on its frame -> {source: {row_no: reasons}} for failing rows.

    Frames are indexed by ROW_NO and also hold it as a column. With docs_dir, Data Docs
    for this run are written there.
    """
    gx = import_gx()
    context = make_context(docs_dir)
    datasource = context.data_sources.add_pandas("tandem")
    found: dict[str, dict[int, list[Reason]]] = {}
    for source, frame in frames.items():
        expectations = [check.as_gx() for check in checks_for(source, p)]
        suite = context.suites.add(gx.ExpectationSuite(name=source, expectations=expectations))
        batch = datasource.add_dataframe_asset(source).add_batch_definition_whole_dataframe("all")
        # a ValidationDefinition, unlike batch.validate, stores its result for Data Docs
        definition = gx.ValidationDefinition(name=source, data=batch, suite=suite)
        definition = context.validation_definitions.add(definition)
        result = definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
        reasons: dict[int, list[Reason]] = {}
        for outcome in result.results:  # not in suite order: match by meta, never by position
            if outcome.success:
                continue
            config = outcome.expectation_config
            if "unexpected_index_list" not in outcome.result:  # it errored (e.g. no such column)
                raise RuntimeError(
                    f"GX {config.type} {config.kwargs} errored on {source}: "
                    f"{_errors(outcome.exception_info)}"
                )
            for item in outcome.result["unexpected_index_list"]:
                row_no = int(item[ROW_NO])
                detail = config.meta["message"].format_map(_ShownRow(frame, row_no))
                reason = Reason(config.meta["kind"], detail)
                if reason not in reasons.setdefault(row_no, []):
                    reasons[row_no].append(reason)
        found[source] = reasons
    if docs_dir is not None:
        context.build_data_docs(site_names=["tandem"])
        localize(docs_dir)  # local copies of the CDN files: the pages render offline
    return found
