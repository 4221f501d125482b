"""A Redactor on the shipped curate params, with the sample's published vocabulary."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

from tasks.data.ner import published_vocabulary
from tasks.data.pii import Redactor
from tasks.params_loader import load_params

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def sample_vocabulary() -> frozenset[str]:
    """What the sample's public help-centre articles say: its product and feature names."""
    lines = (REPO / "data/sample/documents/kb_articles.jsonl").read_text().splitlines()
    articles = [json.loads(line) for line in lines]
    return published_vocabulary(
        {"title": a["title"], "text": a["text"], "visibility": "public", "customer_id": ""}
        for a in articles
    )


def make_redactor(
    entities: Sequence[str], allow: Sequence[str] = (), ner_model: str | None = None
) -> Redactor:
    """A Redactor on the shipped curate params (language, phone regions, id patterns, NER)."""
    shipped = load_params(REPO / "params.yaml", ["paths.source_dir=/nonexistent"]).curate
    changed = {"redact_entities": list(entities), "redact_allow": list(allow)}
    if ner_model is not None:
        changed["ner_model"] = ner_model
    return Redactor(shipped.model_copy(update=changed), sample_vocabulary())
