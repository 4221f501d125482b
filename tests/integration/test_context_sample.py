"""The sample's live context as data/sample/params.yaml declares it: its CRM (crm.sql in a real
SQLite file) and its availability stub on loopback, read for one customer; an UPDATE in the CRM
is in the very next block, with no re-index and no retraining; and the blocks its sft and eval
rows recorded are what these providers return."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flows.demo_live import local_providers
from tasks.context.live import LiveContext
from tasks.params_loader import load_params
from tests.servers import free_port
from tests.unit.context_helpers import section

REPO = Path(__file__).resolve().parents[2]
CRM = REPO / "data" / "sample" / "crm"
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
    providers = local_providers(load_params(REPO / "params.yaml"), database, port)
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


def recorded_rows() -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for name in ("sft/sft.jsonl", "eval/eval.jsonl")
        for line in (CRM.parent / name).read_text(encoding="utf-8").splitlines()
    ]


def test_the_blocks_the_samples_rows_recorded_are_what_its_providers_return(
    sample_providers: tuple[list[dict[str, Any]], Path],
) -> None:
    """Training and evaluation show what the live copilot would: each row's staffing block is
    one the stub gives in some hour of the week; a customer's CRM block is that customer's row
    read by the declared query (in the plan-change questions, the same fields, changed)."""
    providers, _ = sample_providers
    live = LiveContext(section(*providers))
    week = {live.gather("", MONDAY_NOON + timedelta(hours=h))[0].text for h in range(7 * 24)}
    rows, plan_changes = recorded_rows(), 0
    for row in rows:
        assert row["context"]["staffing"] in week, row["id"]
        if not row.get("customer_id"):
            assert set(row["context"]) == {"staffing"}, row["id"]
            continue
        [crm] = [b for b in live.gather(row["customer_id"], MONDAY_NOON) if b.id.startswith("crm/")]
        recorded = row["context"]["crm"]
        if recorded != crm.text:  # a plan changed since: same fields, in the same order
            plan_changes += 1
            assert [f.split(": ")[0] for f in recorded.split("; ")] == [
                f.split(": ")[0] for f in crm.text.split("; ")
            ], row["id"]
            assert f"crm/{row['customer_id']}" in row["gold_doc_ids"], row["id"]
    live.close()
    assert len(rows) > 300 and plan_changes >= 10
