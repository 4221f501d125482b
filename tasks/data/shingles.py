"""Word shingles: the sets that near-duplicate documents (curate) and eval leakage (validate)
are compared by, with MinHash."""

from __future__ import annotations

import re

WORD = re.compile(r"\w+")


def word_shingles(text: str, size: int) -> set[str]:
    """Lower-cased word n-grams; a text of n words or fewer is one shingle, an empty one none."""
    words = WORD.findall(text.lower())
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}
