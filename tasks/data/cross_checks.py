"""The checks across rows that no GX expectation expresses: ids seen twice, eval questions that
leak from sft, and gold ids that name no accepted document or another customer's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from tasks.context.snapshots import snapshot_ids
from tasks.data.shingles import word_shingles
from tasks.data.sources import Reason
from tasks.sections import ValidateParams


def find_duplicates(keys: Sequence[tuple[int, str | None, str]]) -> dict[int, str]:
    """(row_no, id, "file:line") in input order -> {row_no: where its id was first seen}."""
    first: dict[str, str] = {}
    repeats = {}
    for row_no, key, where in keys:
        if key is None:
            continue
        if key in first:
            repeats[row_no] = first[key]
        else:
            first[key] = where
    return repeats


def find_leakage(
    questions: Mapping[int, str], prompts: Mapping[str, str], p: ValidateParams
) -> dict[int, tuple[str, float]]:
    """Eval questions as similar as `threshold` to an sft prompt -> {row_no: (sft id, Jaccard)}.

    MinHash LSH finds the candidates; the exact Jaccard of the shingle sets decides and is
    what the reason shows. The closest prompt is named.
    """
    from datasketch import MinHash, MinHashLSH

    threshold, num_perm = p.leakage_threshold, p.minhash_num_perm

    def signature(shingle_set: set[str]) -> MinHash:
        minhash = MinHash(num_perm=num_perm)
        minhash.update_batch([s.encode("utf-8") for s in shingle_set])
        return minhash

    prompt_shingles = {
        sft_id: word_shingles(text, p.leakage_shingle_words) for sft_id, text in prompts.items()
    }
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for sft_id, shingle_set in prompt_shingles.items():
        if shingle_set:
            lsh.insert(sft_id, signature(shingle_set))
    leaks = {}
    for row_no, question in questions.items():
        asked = word_shingles(question, p.leakage_shingle_words)
        if not asked:
            continue
        scored = [
            (len(asked & prompt_shingles[sft_id]) / len(asked | prompt_shingles[sft_id]), sft_id)
            for sft_id in lsh.query(signature(asked))
        ]
        jaccard, sft_id = max(scored, default=(0.0, ""))
        if jaccard >= threshold:
            leaks[row_no] = (sft_id, round(jaccard, 3))
    return leaks


def gold_reasons(
    gold: object, customer: object, owners: Mapping[str, str], snapshot: object = None
) -> list[Reason]:
    """What is wrong with one example's gold_doc_ids: a document no accepted row has, or one
    that belongs to another customer (it would go into this example's prompt). A block of the
    row's own recorded `context` (`crm/CUS-004`) is gold it may name."""
    if not isinstance(gold, list):
        return []  # bad_list says so
    asker = customer if isinstance(customer, str) else ""
    recorded = snapshot_ids(snapshot, asker)
    reasons = []
    for doc_id in map(str, gold):
        if doc_id in recorded:
            continue
        if doc_id not in owners:
            detail = f"gold document {doc_id!r} is not among the accepted documents"
            reasons.append(Reason("unknown_gold_doc", detail))
        elif owners[doc_id] and owners[doc_id] != asker:
            detail = (
                f"gold document {doc_id!r} belongs to another customer than {asker or 'everyone'}"
            )
            reasons.append(Reason("foreign_gold_doc", detail))
    return reasons


def check_gold(
    frames: Mapping[str, pd.DataFrame], found: dict[str, dict[int, list[Reason]]]
) -> None:
    """sft and eval gold ids against the documents that passed: unknown or another customer's."""
    documents = frames["documents"][~frames["documents"].index.isin(found["documents"].keys())]
    owners = {
        str(i): (c if isinstance(c, str) else "")
        for i, c in zip(documents["id"], documents["customer_id"], strict=True)
    }
    for source in ("sft", "eval"):
        frame = frames[source]
        for row_no, gold, customer, snapshot in zip(
            frame.index, frame["gold_doc_ids"], frame["customer_id"], frame["context"], strict=True
        ):
            for reason in gold_reasons(gold, customer, owners, snapshot):
                if reason not in found[source].setdefault(int(row_no), []):
                    found[source][int(row_no)].append(reason)
        found[source] = {n: r for n, r in found[source].items() if r}
