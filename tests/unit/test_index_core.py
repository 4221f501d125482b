"""The index step's pure core: payloads, the sync plan, rebuild decisions, times, sparse copies."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tasks.errors import UserError
from tasks.index.plan import (
    build_info,
    content_summary,
    desired_points,
    embedding_text,
    manifest_sha256,
    plan_sync,
    rebuild_reason,
    to_desired,
)
from tasks.index.retrieve import own_or_global, parse_time, to_epoch
from tasks.index.store.base import complete_scroll, point_id, version_name, version_number
from tasks.index.store.snapshot import copy_sparse
from tasks.schema import Hit

pytestmark = pytest.mark.unit


def chunk(chunk_id: str = "KB-1#0", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "chunk_id": chunk_id,
        "doc_id": chunk_id.split("#")[0],
        "position": 0,
        "text": "Reset your password in Settings > Security.",
        "title": "Passwords",
        "source": "kb",
        "customer_id": "",
        "visibility": "public",
        "updated_at": "2026-01-01T00:00:00Z",
        "valid_from": "",
        "valid_until": "",
        "url": "",
        "content_hash": "h1",
    }
    return {**row, **fields}


def test_point_ids_are_deterministic_uuids_per_chunk() -> None:
    assert point_id("KB-1#0") == point_id("KB-1#0")
    assert point_id("KB-1#0") != point_id("KB-1#1")
    assert len(point_id("x")) == 36


def test_payload_nulls_global_customer_and_adds_epochs() -> None:
    payload = to_desired(chunk(valid_from="2026-03-10T04:05:00Z", valid_until="2026-03-11")).payload
    assert payload["customer_id"] is None  # is_empty must match globals; "" would not
    assert payload["valid_from"] == "2026-03-10T04:05:00Z"
    assert payload["valid_from_epoch"] == int(datetime(2026, 3, 10, 4, 5, tzinfo=UTC).timestamp())
    assert payload["valid_until_epoch"] == int(datetime(2026, 3, 11, tzinfo=UTC).timestamp())
    assert to_desired(chunk()).payload["valid_until_epoch"] is None
    assert to_desired(chunk(customer_id="acme")).payload["customer_id"] == "acme"


def test_bad_time_in_a_chunk_names_the_chunk() -> None:
    with pytest.raises(UserError, match=r"KB-9#0.*valid_until 'soon'"):
        to_desired(chunk("KB-9#0", valid_until="soon"))


def test_duplicate_chunk_ids_are_a_user_error() -> None:
    with pytest.raises(UserError, match="twice"):
        desired_points([chunk("a#0"), chunk("a#0")])


def test_plan_embeds_new_and_changed_text_only() -> None:
    old = desired_points([chunk("a#0"), chunk("b#0"), chunk("c#0"), chunk("gone#0")])
    new = desired_points(
        [
            chunk("a#0"),  # unchanged
            chunk("b#0", text="New text."),  # text changed: embed
            chunk("c#0", valid_until="2027-01-01"),  # metadata changed: payload only
            chunk("d#0"),  # new: embed
        ]
    )
    stored = [(pid, d.payload) for pid, d in old.items()]
    plan = plan_sync(new, stored)
    assert set(plan.embed) == {point_id("b#0"), point_id("d#0")}
    assert plan.repayload == (point_id("c#0"),)
    assert plan.delete == (point_id("gone#0"),)
    assert plan.unchanged == 1


def test_plan_against_identical_index_changes_nothing() -> None:
    desired = desired_points([chunk("a#0"), chunk("b#0")])
    plan = plan_sync(desired, [(pid, d.payload) for pid, d in desired.items()])
    assert (plan.embed, plan.repayload, plan.delete, plan.unchanged) == ((), (), (), 2)


def test_plan_deletes_points_with_foreign_payloads() -> None:
    desired = desired_points([chunk("a#0")])
    plan = plan_sync(desired, [("00000000-0000-0000-0000-000000000001", {})])
    assert plan.embed == (point_id("a#0"),)
    assert plan.delete == ("00000000-0000-0000-0000-000000000001",)


def test_title_is_embedded_with_the_text() -> None:
    assert embedding_text("Passwords", "Reset it.") == "Passwords\nReset it."
    assert embedding_text("", "Reset it.") == "Reset it."


def test_rebuild_reason_names_what_changed(make_params: Any) -> None:
    params = make_params()
    info = build_info(params)
    assert rebuild_reason(info, info) == ""
    tokens = params.curate.chunk_tokens
    reason = rebuild_reason(info, build_info(make_params(f"curate.chunk_tokens={tokens + 16}")))
    assert f"chunk_tokens ({tokens} -> {tokens + 16})" in reason
    assert "embedding_model" in rebuild_reason({**info, "embedding_model": "other"}, info)


def test_content_summary_identifies_content_not_time() -> None:
    first = content_summary(desired_points([chunk("a#0"), chunk("b#0")]))
    again = content_summary(desired_points([chunk("b#0"), chunk("a#0")]))
    edited = content_summary(desired_points([chunk("a#0"), chunk("b#0", text="x")]))
    assert first == again and first != edited
    assert first["points"] == 2 and first["docs"] == 2
    assert manifest_sha256({"a": 1, "b": 2}) == manifest_sha256({"b": 2, "a": 1})


def test_parse_time_accepts_iso_forms_and_names_bad_input() -> None:
    assert parse_time(None) is None and parse_time("  ") is None
    assert parse_time("2026-06-01") == datetime(2026, 6, 1, tzinfo=UTC)
    assert parse_time("2026-06-01T12:00:00Z") == datetime(2026, 6, 1, 12, tzinfo=UTC)
    shifted = parse_time("2026-06-01T14:00:00+02:00")
    assert shifted is not None
    assert to_epoch(shifted) == to_epoch(datetime(2026, 6, 1, 12, tzinfo=UTC))
    with pytest.raises(UserError, match="'yesterday'"):
        parse_time("yesterday")


def test_epoch_rounds_down_so_boundaries_stay_exact() -> None:
    moment = datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(0)))
    assert to_epoch(moment + timedelta(milliseconds=999)) == to_epoch(moment)
    assert to_epoch(datetime(2026, 6, 1, 12)) == to_epoch(moment)  # naive = UTC


def test_version_names_sort_numerically() -> None:
    assert version_name(7) == "v0007" and version_number("v0012") == 12
    with pytest.raises(ValueError):
        version_number("tandem")


def test_complete_scroll_refuses_partial_reads() -> None:
    pages = iter([[("a", {}), ("b", {})], [("c", {})]])
    assert [r[0] for r in complete_scroll(pages, 3)] == ["a", "b", "c"]
    with pytest.raises(RuntimeError, match="partial read"):
        complete_scroll(iter([[("a", {})]]), 2)
    with pytest.raises(RuntimeError, match="partial read"):
        complete_scroll(iter([[("a", {}), ("a", {})]]), 2)


def test_copy_sparse_keeps_content_and_holes(tmp_path: Path) -> None:
    source = tmp_path / "sparse.bin"
    with source.open("wb") as handle:
        handle.write(b"head")
        handle.seek(32 << 20)
        handle.write(b"tail")
    target = tmp_path / "copy.bin"
    copy_sparse(str(source), str(target))
    assert target.read_bytes() == source.read_bytes()
    assert os.stat(target).st_blocks * 512 < 1 << 20  # holes stay holes (32 MiB apparent)


def test_hits_of_other_customers_never_leave_the_retriever() -> None:
    hits = [Hit("a", "KB-1", "", "", 0.9), Hit("b", "T-1", "", "", 0.8, customer_id="beta"),
            Hit("c", "T-2", "", "", 0.7, customer_id="acme")]  # fmt: skip
    assert [h.chunk_id for h in own_or_global(hits, "acme")] == ["a", "c"]
    assert [h.chunk_id for h in own_or_global(hits, "")] == ["a"]
