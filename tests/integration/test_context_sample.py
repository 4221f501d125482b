"""The sample's live context as data/sample/crm/providers.yaml declares it: its CRM (crm.sql in a
real SQLite file) and its availability stub on loopback, read for one customer; an UPDATE in the
CRM is in the very next block, with no re-index and no retraining."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks.context.live import LiveContext
from tests.servers import free_port
from tests.unit.context_helpers import section

CRM = Path(__file__).resolve().parents[2] / "data" / "sample" / "crm"
MONDAY_NOON = datetime(2026, 11, 30, 12, tzinfo=UTC)
SATURDAY_NOON = datetime(2026, 12, 5, 12, tzinfo=UTC)


@pytest.fixture
def sample_providers(tmp_path: Path) -> Iterator[tuple[list[dict[str, Any]], Path]]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("staffing", CRM / "staffing.py")
    assert spec is not None and spec.loader is not None
    staffing = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(staffing)
    port = free_port()
    server = staffing.serve(port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    database = tmp_path / "crm.sqlite"
    with sqlite3.connect(database) as db:
        db.executescript((CRM / "crm.sql").read_text(encoding="utf-8"))
    providers = yaml.safe_load((CRM / "providers.yaml").read_text(encoding="utf-8"))
    for p in providers:
        p["url"] = p["url"].replace("sqlite:///out/crm.sqlite", f"sqlite:///{database}")
        p["url"] = p["url"].replace("127.0.0.1:8765", f"127.0.0.1:{port}")
    yield providers, database
    server.shutdown()
    server.server_close()


def test_one_customer_gets_their_crm_block_and_the_teams_availability(
    sample_providers: tuple[list[dict[str, Any]], Path],
) -> None:
    providers, database = sample_providers
    live = LiveContext(section(*providers))
    crm, staffing = live.gather("CUS-004", MONDAY_NOON)
    assert crm.id == "crm/CUS-004" and crm.unavailable == ""
    assert "plan: Business; seats: 18" in crm.text
    assert "Northwind" not in crm.text  # CUS-001's name: another customer's row
    assert staffing.id == "staffing" and "Tier 2 agents on shift: 2" in staffing.text
    [weekend] = [b for b in live.gather("CUS-004", SATURDAY_NOON) if b.id == "staffing"]
    assert "Tier 2 agents on shift: 0" in weekend.text
    assert "the next Tier 2 shift" in weekend.text

    with sqlite3.connect(database) as db:
        db.execute("UPDATE customers SET plan = 'Enterprise', seats = 60 WHERE id = 'CUS-004'")
    crm_after, _ = live.gather("CUS-004", MONDAY_NOON)
    live.close()
    assert "plan: Enterprise; seats: 60" in crm_after.text


def test_without_a_customer_only_the_shared_block_is_read(
    sample_providers: tuple[list[dict[str, Any]], Path],
) -> None:
    providers, _ = sample_providers
    live = LiveContext(section(*providers))
    assert [b.id for b in live.gather("", MONDAY_NOON)] == ["staffing"]
    live.close()
