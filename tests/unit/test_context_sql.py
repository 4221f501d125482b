"""The sql provider against a real SQLite file: tenant-safe, injection-proof, bounded in time,
and a dead database is an unavailable block, never a failed answer."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from tasks.context.blocks import ProviderError
from tasks.context.live import LiveContext
from tests.unit.context_helpers import (
    CUSTOMERS,
    INJECTIONS,
    SCHEMA,
    TICKETS,
    open_sql,
    section,
    sql_provider,
)

NOW = datetime(2026, 12, 3, tzinfo=UTC)


@pytest.fixture
def crm(tmp_path: Path) -> Path:
    path = tmp_path / "crm.sqlite"
    with sqlite3.connect(path) as db:
        for statement in SCHEMA:
            db.execute(statement)
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", CUSTOMERS)
        db.executemany("INSERT INTO tickets VALUES (?, ?, ?)", TICKETS)
    return path


def test_each_customer_sees_only_their_own_row(crm: Path) -> None:
    provider = open_sql(f"sqlite:///{crm}")
    assert provider.read("CUS-001", NOW) == "plan: starter; status: active; open_tickets: 1"
    assert provider.read("CUS-002", NOW) == "plan: pro; status: paused; open_tickets: 1"
    assert provider.read("CUS-404", NOW) == "(no record found)"


@pytest.mark.parametrize("customer_id", INJECTIONS)
def test_an_id_that_tries_sql_injection_reads_nothing_and_changes_nothing(
    crm: Path, customer_id: str
) -> None:
    provider = open_sql(f"sqlite:///{crm}")
    assert provider.read(customer_id, NOW) == "(no record found)"
    with sqlite3.connect(crm) as db:
        assert db.execute("SELECT COUNT(*) FROM customers").fetchone() == (2,)


def test_the_database_is_opened_read_only(crm: Path) -> None:
    provider = open_sql(f"sqlite:///{crm}", query="DELETE FROM customers WHERE id = :customer_id")
    with pytest.raises(ProviderError, match="readonly"):
        provider.read("CUS-001", NOW)
    with sqlite3.connect(crm) as db:
        assert db.execute("SELECT COUNT(*) FROM customers").fetchone() == (2,)


def test_an_update_is_read_by_the_next_call(crm: Path) -> None:
    provider = open_sql(f"sqlite:///{crm}")
    assert "plan: starter" in provider.read("CUS-001", NOW)
    with sqlite3.connect(crm) as db:
        db.execute("UPDATE customers SET plan = 'enterprise' WHERE id = 'CUS-001'")
    assert "plan: enterprise" in provider.read("CUS-001", NOW)


def test_columns_are_shown_in_the_declared_order_and_rows_are_capped(crm: Path) -> None:
    query = "SELECT id, subject, customer_id FROM tickets WHERE customer_id != :customer_id"
    provider = open_sql(f"sqlite:///{crm}", query=query, columns=["subject", "id"], max_rows=1)
    assert provider.read("nobody", NOW) == "subject: cannot log in; id: T-1"
    unknown = open_sql(f"sqlite:///{crm}", query=query, columns=["plan"])
    with pytest.raises(ProviderError, match="no column"):
        unknown.read("nobody", NOW)


def test_a_missing_database_is_unavailable_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "gone.sqlite"
    live = LiveContext(section(sql_provider(f"sqlite:///{path}")))
    [block] = live.gather("CUS-001", NOW)
    assert block.id == "crm/CUS-001"
    assert "does not exist" in block.unavailable
    assert block.text == f"(unavailable: {block.unavailable})"
    assert not path.exists()
    live.close()


def test_a_runaway_query_is_interrupted_at_its_timeout(crm: Path) -> None:
    endless = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT COUNT(*) FROM n WHERE :customer_id != ''"
    )
    live = LiveContext(section(sql_provider(f"sqlite:///{crm}", query=endless), timeout_s=0.5))
    started = time.monotonic()
    [block] = live.gather("CUS-001", NOW)
    elapsed = time.monotonic() - started
    assert block.unavailable, block
    assert elapsed < 0.5 + 1.0, f"a 0.5 s provider held the answer {elapsed:.1f} s"
    live.close()


def test_a_query_that_ignores_the_customer_must_be_declared_shared(crm: Path) -> None:
    unbound = "SELECT plan FROM customers"
    with pytest.raises(ValidationError, match=":customer_id, or declare `shared: true`"):
        section(sql_provider(f"sqlite:///{crm}", query=unbound))
    live = LiveContext(section(sql_provider(f"sqlite:///{crm}", query=unbound, shared=True)))
    [block] = live.gather("", NOW)  # shared: asked even without a customer
    assert block.id == "crm"
    assert block.text == "plan: starter\nplan: pro"
    live.close()


def test_a_per_customer_provider_is_not_asked_without_a_customer(crm: Path) -> None:
    live = LiveContext(section(sql_provider(f"sqlite:///{crm}")))
    assert live.gather("", NOW) == []
    live.close()


def test_provider_names_are_citable_and_unique(crm: Path) -> None:
    with pytest.raises(ValidationError, match="letters, digits"):
        section(sql_provider(f"sqlite:///{crm}", name="my crm"))
    with pytest.raises(ValidationError, match="repeated"):
        section(sql_provider(f"sqlite:///{crm}"), sql_provider(f"sqlite:///{crm}"))


def test_a_database_whose_driver_is_not_installed_is_unavailable_and_named() -> None:
    live = LiveContext(section(sql_provider("mysql+pymysql://crm@127.0.0.1/crm")))
    [block] = live.gather("CUS-001", NOW)
    live.close()
    assert block.unavailable.startswith("url mysql+pymysql://...: its driver cannot load")
