"""The index's pure core: curated chunks as the points they should be, and the plan that turns
what a complete scroll found into what should be (embed, rewrite payloads, delete)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tasks.errors import UserError
from tasks.index.embed import embedder_identity
from tasks.index.store.base import point_id
from tasks.params import Params
from tasks.reports import text_sha256
from tasks.schema import CHUNK_COLUMNS, text_or_empty

BUILD_KEYS = (
    "embedding_model", "embedding_backend", "embedding_texts_per_call", "chunk_tokens",
    "chunk_overlap",
)  # fmt: skip
SYNC_FIELDS = ["embed_hash", "payload_hash"]
TIME_FIELDS = ("updated_at", "valid_from", "valid_until")


@dataclass(frozen=True)
class Desired:
    """One curated chunk as its point should be: the text to embed and the payload."""

    point_id: str
    text: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class SyncPlan:
    embed: tuple[str, ...]  # new points, or new text: embed and upsert
    repayload: tuple[str, ...]  # same text, other metadata: rewrite the payload only
    delete: tuple[str, ...]  # in the index, in no curated chunk
    unchanged: int


def embedding_text(title: str, text: str) -> str:
    """What gets embedded: the title carries the topic a chunk from a document's middle lacks."""
    return f"{title}\n{text}" if title else text


def epoch_of(value: str, field: str, chunk_id: str) -> int | None:
    from tasks.index.retrieve import parse_time, to_epoch

    try:
        moment = parse_time(value)
    except UserError:
        raise UserError(
            f"chunk '{chunk_id}': {field} '{value}' is not ISO 8601; fix the source document "
            "and run `tandem curate` again"
        ) from None
    return None if moment is None else to_epoch(moment)


def to_desired(chunk: dict[str, Any]) -> Desired:
    chunk_id = text_or_empty(chunk["chunk_id"])
    fields = {name: text_or_empty(chunk.get(name)) for name in CHUNK_COLUMNS if name != "position"}
    payload: dict[str, Any] = {
        **fields,
        "position": int(chunk.get("position") or 0),
        "customer_id": fields["customer_id"] or None,  # null, not "": is_empty must match globals
    }
    for name in TIME_FIELDS:
        payload[f"{name}_epoch"] = epoch_of(fields[name], name, chunk_id)
    text = embedding_text(fields["title"], fields["text"])
    payload["embed_hash"] = text_sha256(text)
    payload["payload_hash"] = text_sha256(json.dumps(payload, sort_keys=True))
    return Desired(point_id(chunk_id), text, payload)


def desired_points(chunks: Sequence[dict[str, Any]]) -> dict[str, Desired]:
    desired: dict[str, Desired] = {}
    for chunk in chunks:
        if not text_or_empty(chunk.get("chunk_id")):
            raise UserError(
                "chunks.parquet has a chunk without chunk_id; run `tandem curate` again"
            )
        item = to_desired(chunk)
        if item.point_id in desired:
            raise UserError(
                f"chunks.parquet has chunk_id '{chunk['chunk_id']}' twice; "
                "run `tandem curate` again"
            )
        desired[item.point_id] = item
    return desired


def plan_sync(
    desired: dict[str, Desired], stored: Sequence[tuple[str, dict[str, Any]]]
) -> SyncPlan:
    """Compare what should be with what a complete scroll found."""
    have = dict(stored)
    embed, repayload, unchanged = [], [], 0
    for pid, item in desired.items():
        found = have.get(pid)
        if found is None or found.get("embed_hash") != item.payload["embed_hash"]:
            embed.append(pid)
        elif found.get("payload_hash") != item.payload["payload_hash"]:
            repayload.append(pid)
        else:
            unchanged += 1
    delete = [pid for pid in have if pid not in desired]
    return SyncPlan(
        tuple(sorted(embed)), tuple(sorted(repayload)), tuple(sorted(delete)), unchanged
    )


def build_info(params: Params) -> dict[str, Any]:
    """What a version was built with; any difference from the params means a rebuild."""
    return {
        "embedding_model": embedder_identity(params),
        "embedding_backend": params.embedding.backend,
        "embedding_texts_per_call": params.embedding.encode_batch,  # int8 vectors depend on it
        "chunk_tokens": params.curate.chunk_tokens,
        "chunk_overlap": params.curate.chunk_overlap,
    }


def rebuild_reason(manifest: dict[str, Any], wanted: dict[str, Any]) -> str:
    changed = [k for k in BUILD_KEYS if manifest.get(k) != wanted[k]]
    return (
        "changed " + ", ".join(f"{k} ({manifest.get(k)} -> {wanted[k]})" for k in changed)
        if changed
        else ""
    )


def why_rebuild(full: bool, manifest: dict[str, Any] | None, info: dict[str, Any]) -> str:
    """Empty for an incremental sync of the current version, else why a new one is built."""
    if full:
        return "requested (--full)"
    if manifest is None:
        return "no index yet"
    return rebuild_reason(manifest, info)


def content_summary(desired: dict[str, Desired]) -> dict[str, Any]:
    """Identifies the content: equal summaries, equal index (no timestamps on purpose)."""
    rows = sorted(
        f"{pid}:{d.payload['embed_hash']}:{d.payload['payload_hash']}" for pid, d in desired.items()
    )
    return {
        "points": len(desired),
        "docs": len({d.payload["doc_id"] for d in desired.values()}),
        "content_sha256": text_sha256("\n".join(rows)),
    }


def manifest_sha256(manifest: dict[str, Any]) -> str:
    return text_sha256(json.dumps(manifest, sort_keys=True))
