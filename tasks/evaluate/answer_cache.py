"""The base model's answers, kept across evaluations: base and base+rag depend only on the base
model, the prompt (system text, retrieved context, question) and the decoding params, not on
the adapter, so a new candidate generates only its own two configurations.

A key hashes everything that determines an answer: the base weights' content hash, the
rendered prompt (so any change of template, retrieved chunk ids or texts changes it), the
generation params and the device/dtype the answer was decoded with. One JSON file per base
model, under paths.cache, replaced atomically.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.models import PREPARED_MARKER
from tasks.reports import file_sha256, read_json, text_sha256, write_json_atomic


def base_identity(model_dir: Path) -> str:
    """The prepared base model by content: its weights (and tokenizer config) hashed once and
    remembered beside its marker, keyed by the files' sizes and mtimes."""
    files = sorted(p for p in model_dir.iterdir() if p.suffix in (".safetensors", ".json"))
    files = [p for p in files if p.name != PREPARED_MARKER]
    stamp = [f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files]
    memo = model_dir.resolve().parent / f".{model_dir.resolve().name}.identity.json"
    known = read_json(memo) if memo.is_file() else {}
    if known.get("stamp") != stamp:
        digest = text_sha256("\n".join(f"{p.name}:{file_sha256(p)}" for p in files))
        known = {"stamp": stamp, "sha256": digest}
        write_json_atomic(memo, known)
    return str(known["sha256"])


def answer_key(base: str, prompt: str, decoding: dict[str, Any]) -> str:
    return text_sha256(json.dumps({"base": base, "prompt": prompt, **decoding}, sort_keys=True))


@dataclass
class AnswerCache:
    path: Path
    answers: dict[str, str]

    @classmethod
    def open(cls, folder: Path, base: str) -> AnswerCache:
        path = folder / f"answers-{base[:16]}.json"
        return cls(path, dict(read_json(path)) if path.is_file() else {})

    def answer_all(
        self, keys: Sequence[str], produce: Callable[[list[int]], list[str]]
    ) -> tuple[list[str], int]:
        """Every key's answer; `produce(indices)` generates the missing ones. -> (answers, how
        many were generated)."""
        missing = [i for i, key in enumerate(keys) if key not in self.answers]
        if missing:
            for i, answer in zip(missing, produce(missing), strict=True):
                self.answers[keys[i]] = answer
            write_json_atomic(self.path, self.answers)
        return [self.answers[key] for key in keys], len(missing)
