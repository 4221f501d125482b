"""A tiny support knowledge base written as curated chunks, for the index and retrieval tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from tasks.params import Params
from tasks.schema import CHUNK_COLUMNS

# A tiny support knowledge base: global articles, two customers' tickets, incidents with
# validity windows, an internal policy. Times are fixed; tests pass `at` explicitly.
KB_ROWS: tuple[dict[str, Any], ...] = (
    {"chunk_id": "KB-001#0", "doc_id": "KB-001", "title": "Reset your password",
     "text": "To reset your password, open Settings > Security and choose Reset password. "
             "A reset link is emailed to you and expires after 30 minutes."},
    {"chunk_id": "KB-002#0", "doc_id": "KB-002", "title": "Invoices and receipts",
     "text": "Invoices are issued on the first day of each billing period and can be downloaded "
             "as PDF from Settings > Billing > Invoices."},
    {"chunk_id": "KB-003#0", "doc_id": "KB-003", "title": "Share a folder",
     "text": "Right-click a folder and choose Share. Shared links can be protected with a "
             "password on the Business plan."},
    {"chunk_id": "KB-003#1", "doc_id": "KB-003", "position": 1, "title": "Share a folder",
     "text": "Expiring links stop working after the date you set; owners can revoke them."},
    {"chunk_id": "POL-001#0", "doc_id": "POL-001", "title": "Refund policy (internal)",
     "visibility": "internal", "source": "policy",
     "text": "Agents may refund annual plans within 30 days of purchase; monthly plans are "
             "not refunded."},
    {"chunk_id": "TCK-ACME#0", "doc_id": "TCK-ACME", "customer_id": "acme", "source": "ticket",
     "title": "Ticket: Okta SSO error",
     "text": "Acme Corp reports that sign-in through Okta SSO fails with error E-4012 for all "
             "users of the tenant acme-prod since this morning."},
    {"chunk_id": "TCK-BETA#0", "doc_id": "TCK-BETA", "customer_id": "beta", "source": "ticket",
     "title": "Ticket: storage quota exceeded",
     "text": "Beta Labs cannot upload files: the storage quota of 2 TB is exceeded and uploads "
             "fail with error E-2101. Their renewal is due on the 15th."},
    {"chunk_id": "CUS-BETA#0", "doc_id": "CUS-BETA", "customer_id": "beta", "source": "customer",
     "title": "Customer profile: Beta Labs",
     "text": "Beta Labs is on the Business plan with 40 seats, billed annually, account "
             "manager Dana."},
    {"chunk_id": "INC-001#0", "doc_id": "INC-001", "source": "incident",
     "title": "Web uploads failing in the EU region",
     "valid_from": "2026-03-10T04:05:00Z", "valid_until": "2026-03-10T07:50:00Z",
     "text": "Web uploads in the EU region fail with error E-5500. Workaround: use the "
             "desktop app."},
    {"chunk_id": "INC-002#0", "doc_id": "INC-002", "source": "incident",
     "title": "Desktop sync delayed in the EU region", "valid_from": "2026-11-18T07:40:00Z",
     "text": "Desktop sync in the EU region may take up to 45 minutes. Uploads through the web "
             "app work normally."},
)  # fmt: skip

DEFAULTS: dict[str, Any] = {
    "position": 0,
    "source": "kb",
    "customer_id": "",
    "visibility": "public",
    "updated_at": "2026-01-01T00:00:00Z",
    "valid_from": "",
    "valid_until": "",
    "url": "",
}


def kb_chunks() -> list[dict[str, Any]]:
    """Fresh copies, complete with every chunk column."""
    return [{**DEFAULTS, **row, "content_hash": str(hash(row["text"]))} for row in KB_ROWS]


def write_chunks(params: Params, rows: Sequence[dict[str, Any]]) -> None:
    params.paths.curated_dir.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(list(rows), columns=list(CHUNK_COLUMNS))
    frame.to_parquet(params.paths.curated_dir / "chunks.parquet", index=False)


def write_eval(params: Params, rows: Sequence[dict[str, Any]]) -> None:
    frame = pd.DataFrame(
        [{"reference_answer": "", "must_include": [], "customer_id": "", **row} for row in rows]
    )
    params.paths.curated_dir.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(params.paths.curated_dir / "eval.parquet", index=False)
