"""Shared by the context provider tests: a CRM with two customers, the params that read it."""

from __future__ import annotations

from typing import Any

from tasks.context.sql import SqlProvider
from tasks.context_sections import ContextParams

CUSTOMERS = [("CUS-001", "Ada Byron", "starter", "active"), ("CUS-002", "Grace H", "pro", "paused")]
TICKETS = [("T-1", "CUS-001", "cannot log in"), ("T-2", "CUS-002", "invoice wrong")]
# ids that try to widen the query: each must see no row at all
INJECTIONS = ["' OR 1=1 --", "CUS-001' OR '1'='1", "x'; DROP TABLE customers; --", "%", "*"]
CRM_QUERY = (
    "SELECT c.plan, c.status, COUNT(t.id) AS open_tickets FROM customers c "
    "LEFT JOIN tickets t ON t.customer_id = c.id WHERE c.id = :customer_id "
    "GROUP BY c.plan, c.status"
)
SCHEMA = [
    "CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT, plan TEXT, status TEXT)",
    "CREATE TABLE tickets (id TEXT PRIMARY KEY, customer_id TEXT, subject TEXT)",
]


def section(*providers: dict[str, Any], **budget: Any) -> ContextParams:
    values: dict[str, Any] = {
        "providers": list(providers),
        "timeout_s": 2.0,
        "retries": 2,
        "cache_s": 30,
        "max_rows": 20,
        "unavailable_text": "(unavailable: {reason})",
        "no_rows_text": "(no record found)",
    }
    return ContextParams.model_validate({**values, **budget})


def sql_provider(url: str, query: str = CRM_QUERY, **fields: Any) -> dict[str, Any]:
    return {"name": "crm", "kind": "sql", "title": "CRM record", "url": url, "query": query,
            **fields}  # fmt: skip


def open_sql(url: str, **fields: Any) -> SqlProvider:
    ctx = section(sql_provider(url, **fields))
    p = ctx.providers[0]
    assert p.kind == "sql"
    return SqlProvider(p, ctx)
