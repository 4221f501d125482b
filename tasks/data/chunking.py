"""Chunking for curate: documents cut into windows of the embedding model's tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tasks.params import Params
from tasks.reports import text_sha256
from tasks.schema import CHUNK_METADATA
from tasks.sections import CurateParams

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

Record = dict[str, Any]


def load_tokenizer(params: Params) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    from tasks.models import resolve_model_ref

    return AutoTokenizer.from_pretrained(resolve_model_ref(params.embedding.model))


def token_windows(n_tokens: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """[start, end) windows of `size` tokens, each starting `overlap` before the last ended."""
    windows, start = [], 0
    while start < n_tokens:
        end = min(start + size, n_tokens)
        windows.append((start, end))
        if end == n_tokens:
            break
        start = end - overlap
    return windows


def chunk_document(
    doc: Record, offsets: Sequence[tuple[int, int]], p: CurateParams
) -> list[Record]:
    """Cut the document's own text at token boundaries (character offsets, never decoding)."""
    chunks = []
    windows = token_windows(len(offsets), p.chunk_tokens, p.chunk_overlap)
    for position, (start, end) in enumerate(windows):
        text = doc["text"][offsets[start][0] : offsets[end - 1][1]]
        chunks.append(
            {
                "chunk_id": text_sha256(f"{doc['id']}\x1f{position}\x1f{text}")[:32],
                "doc_id": doc["id"],
                "position": position,
                "text": text,
                **{name: doc[name] for name in CHUNK_METADATA},
                "content_hash": text_sha256(text),
            }
        )
    return chunks


def chunk_documents(
    docs: Sequence[Record], tokenizer: PreTrainedTokenizerBase, p: CurateParams, batch: int = 1024
) -> list[Record]:
    """Tokenize in batches with the fast tokenizer (offsets need it); chunk every document."""
    chunks: list[Record] = []
    for first in range(0, len(docs), batch):
        part = docs[first : first + batch]
        encoded = tokenizer(
            [d["text"] for d in part],
            add_special_tokens=False,
            return_offsets_mapping=True,
            return_attention_mask=False,
            return_token_type_ids=False,
            verbose=False,  # documents longer than the model's window are what chunking is for
        )
        for doc, offsets in zip(part, encoded["offset_mapping"], strict=True):
            chunks.extend(chunk_document(doc, offsets, p))
    return chunks
