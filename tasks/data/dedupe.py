"""Exact (content hash) and near (MinHash LSH over word shingles) duplicates, within scopes."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from tasks.data.shingles import word_shingles
from tasks.reports import text_sha256
from tasks.sections import CurateParams

Scope = tuple[str, ...]


def shingles(text: str, size: int) -> set[bytes]:
    """MinHash input: word shingles, or the whole text when it has no words."""
    return {s.encode("utf-8") for s in word_shingles(text, size) or {text}}


@dataclass(frozen=True)
class Dedupe:
    kept: tuple[int, ...]
    duplicate_of: dict[int, int]  # removed index -> the earlier index it duplicates
    exact_duplicates: int
    near_duplicates: int


def dedupe(texts: Sequence[str], scopes: Sequence[Scope], p: CurateParams) -> Dedupe:
    """Keep the first of each exact, then near duplicate (MinHash Jaccard >= threshold), per scope.

    Texts come in the order that decides which copy stays (curate passes them in id order).
    """
    duplicate_of: dict[int, int] = {}
    first_by_hash: dict[tuple[Scope, str], int] = {}
    groups: dict[Scope, list[int]] = {}
    for index, (text, scope) in enumerate(zip(texts, scopes, strict=True)):
        first = first_by_hash.setdefault((scope, text_sha256(text)), index)
        if first != index:
            duplicate_of[index] = first
        else:
            groups.setdefault(scope, []).append(index)
    exact = len(duplicate_of)

    crowded = [group for group in groups.values() if len(group) > 1]  # alone in a scope: unique
    candidates = [i for group in crowded for i in group]
    hashed = MinHash.bulk(
        (shingles(texts[i], p.shingle_words) for i in candidates),
        num_perm=p.minhash_num_perm,
        hashfunc=zlib.crc32,  # 4x faster than the default SHA-1; MinHash mixes the hash anyway
    )
    signatures = dict(zip(candidates, hashed, strict=True))
    bands: tuple[int, int] | None = None
    for group in crowded:
        lsh = MinHashLSH(p.near_dup_threshold, p.minhash_num_perm, params=bands)
        bands = (lsh.b, lsh.r)  # the band layout is optimized once, not once per scope
        for index in group:
            signature = signatures[index]
            similar = [
                j
                for j in lsh.query(signature)
                if signature.jaccard(signatures[j]) >= p.near_dup_threshold
            ]
            if similar:
                duplicate_of[index] = min(similar)
            else:
                lsh.insert(index, signature)
    kept = tuple(i for i in range(len(texts)) if i not in duplicate_of)
    return Dedupe(kept, duplicate_of, exact, len(duplicate_of) - exact)


def kept_twin(duplicate_of: dict[int, int], index: int) -> int:
    """Follow chains (C equals B, B was near A) to the index that stayed."""
    while index in duplicate_of:
        index = duplicate_of[index]
    return index
