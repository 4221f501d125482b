"""The sql provider against a real PostgreSQL on 127.0.0.1 (Debian's postgresql, which .ci/run
installs): each customer sees only their rows, injected ids read nothing, the server ends a slow
statement at the provider's timeout, and nothing the provider runs can write."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tasks.context.blocks import ProviderError
from tasks.context.live import LiveContext
from tests.servers import free_port
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


def postgres_bin() -> Path | None:
    found = shutil.which("initdb") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)), None
    )
    return Path(found).parent if found else None


def as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; Debian's package creates its `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    pg = postgres_bin()
    if pg is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
    home = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    data, port = home / "data", free_port()
    subprocess.run(
        as_server_user([str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "tandem", "-N"]),
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [str(pg / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(home / "log"), "-w"]
    subprocess.run(as_server_user([*start, "start"]), check=True, capture_output=True)
    try:
        import psycopg

        admin = f"postgresql://tandem@127.0.0.1:{port}/postgres"
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute("CREATE DATABASE crm")
        with psycopg.connect(f"postgresql://tandem@127.0.0.1:{port}/crm") as db:
            for statement in SCHEMA:
                db.execute(statement)
            db.cursor().executemany("INSERT INTO customers VALUES (%s, %s, %s, %s)", CUSTOMERS)
            db.cursor().executemany("INSERT INTO tickets VALUES (%s, %s, %s)", TICKETS)
        yield f"postgresql+psycopg://tandem@127.0.0.1:{port}/crm"
    finally:
        stop = [str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
        subprocess.run(as_server_user(stop), capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_each_customer_sees_only_their_own_row(postgres_url: str) -> None:
    provider = open_sql(postgres_url)
    assert provider.read("CUS-001", NOW) == "plan: starter; status: active; open_tickets: 1"
    assert provider.read("CUS-002", NOW) == "plan: pro; status: paused; open_tickets: 1"
    for customer_id in INJECTIONS:
        assert provider.read(customer_id, NOW) == "(no record found)", customer_id
    provider.close()


def test_the_provider_cannot_write(postgres_url: str) -> None:
    provider = open_sql(postgres_url, query="DELETE FROM customers WHERE id = :customer_id")
    with pytest.raises(ProviderError, match="read-only transaction"):
        provider.read("CUS-001", NOW)
    provider.close()
    assert "plan: starter" in open_sql(postgres_url).read("CUS-001", NOW)


def test_an_update_is_read_by_the_next_answer(postgres_url: str) -> None:
    import psycopg

    live = LiveContext(section(sql_provider(postgres_url)))
    [before] = live.gather("CUS-002", NOW)
    with psycopg.connect(postgres_url.replace("+psycopg", "")) as db:
        db.execute("UPDATE customers SET plan = 'enterprise' WHERE id = 'CUS-002'")
    [after] = live.gather("CUS-002", NOW)
    live.close()
    assert "plan: pro" in before.text
    assert "plan: enterprise" in after.text


def test_a_slow_statement_is_ended_by_the_server_at_the_timeout(postgres_url: str) -> None:
    slow = "SELECT pg_sleep(5) AS slept WHERE :customer_id <> ''"
    live = LiveContext(section(sql_provider(postgres_url, query=slow), timeout_s=0.5))
    started = time.monotonic()
    [block] = live.gather("CUS-001", NOW)
    elapsed = time.monotonic() - started
    live.close()
    assert block.unavailable, block
    assert elapsed < 0.5 + 1.0, f"a 0.5 s provider held the answer {elapsed:.1f} s"


def test_a_dead_server_is_unavailable_within_the_timeout() -> None:
    dead = f"postgresql+psycopg://tandem@127.0.0.1:{free_port()}/crm"
    live = LiveContext(section(sql_provider(dead), timeout_s=1.0))
    started = time.monotonic()
    [block] = live.gather("CUS-001", NOW)
    elapsed = time.monotonic() - started
    live.close()
    assert "the query failed" in block.unavailable
    assert elapsed < 1.0 + 1.0
