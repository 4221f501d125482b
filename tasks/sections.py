"""The typed config's sections, one per step (tasks/params.py puts them together).

Types and bounds only, no defaults: params.yaml holds every default with its reason.
"""

from __future__ import annotations

import os
import re
import string
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_regex(pattern: str, name: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{name} {pattern!r} is not a regex: {exc}") from None


def check_slots(template: str, name: str, required: set[str], allowed: set[str]) -> None:
    """A str.format template names only the slots it may use, and all it must use."""
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    except ValueError as exc:
        raise ValueError(
            f"{name} is not a valid template ({exc}); write braces as {{{{ }}}}"
        ) from None
    if unknown := used - allowed:
        raise ValueError(
            f"{name} uses unknown slots {sorted(unknown)}; it may use {sorted(allowed)}"
        )
    if missing := required - used:
        raise ValueError(f"{name} must use the slots {sorted(missing)}")


class ValidateParams(Section):
    min_chars: int = Field(ge=1)
    max_chars: int = Field(ge=1)
    max_quarantine_fraction: float = Field(ge=0, le=1)
    leakage_threshold: float = Field(gt=0, le=1)
    leakage_shingle_words: int = Field(ge=1)
    minhash_num_perm: int = Field(ge=16)
    max_id_chars: int = Field(ge=1)
    visibilities: tuple[str, ...] = Field(min_length=1)
    default_visibility: str
    customer_sources: tuple[str, ...]
    eval_holdout_fraction: float = Field(gt=0, lt=1)

    @model_validator(mode="after")
    def _bounds(self) -> ValidateParams:
        if self.default_visibility not in self.visibilities:
            raise ValueError(
                f"default_visibility {self.default_visibility!r} is not one of visibilities "
                f"{list(self.visibilities)}"
            )
        if self.min_chars > self.max_chars:
            raise ValueError(
                f"min_chars ({self.min_chars}) must not exceed max_chars ({self.max_chars})"
            )
        return self


class CurateParams(Section):
    chunk_tokens: int = Field(ge=16)
    chunk_overlap: int = Field(ge=0)
    near_dup_threshold: float = Field(gt=0, le=1)
    minhash_num_perm: int = Field(ge=16)
    shingle_words: int = Field(ge=1)
    redact_entities: tuple[str, ...]
    allow_no_redaction: bool
    redact_allow: tuple[str, ...]
    pii_language: str
    ner_model: str
    phone_regions: tuple[str, ...]
    id_patterns: tuple[str, ...]
    boilerplate_patterns: tuple[str, ...]

    @model_validator(mode="after")
    def _overlap(self) -> CurateParams:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be below "
                f"chunk_tokens ({self.chunk_tokens})"
            )
        if not self.redact_entities and not self.allow_no_redaction:
            raise ValueError(
                "redact_entities is empty: PII would reach training data and the shared index; "
                "name the entities, or set curate.allow_no_redaction=true to accept that"
            )
        for pattern in self.boilerplate_patterns:
            check_regex(pattern, "boilerplate pattern")
        for pattern in self.id_patterns:
            check_regex(pattern, "id pattern")
        return self


class IndexParams(Section):
    backend: Literal["embedded", "server"]
    collection: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    qdrant_url: str | None
    hnsw_ef: int = Field(ge=1)
    exact: bool
    min_recall: float = Field(ge=0, le=1)
    keep_versions: int = Field(ge=1)
    upsert_batch: int = Field(gt=0)
    lock_timeout: float = Field(ge=0)
    hnsw_m: int = Field(ge=4)
    hnsw_ef_construct: int = Field(ge=4)
    full_scan_threshold_kb: int = Field(ge=1)
    indexing_threshold_kb: int = Field(ge=1)

    @property
    def url(self) -> str | None:
        return os.environ.get("QDRANT_URL") or self.qdrant_url

    @property
    def url_mode(self) -> Literal["none", "memory", "local", "remote"]:
        """How a server-backend URL is reached: qdrant-client's in-process modes open files or
        memory (`:memory:`, `local:<dir>`); anything else is a server over the network."""
        url = self.url
        if not url:
            return "none"
        if url == ":memory:":
            return "memory"
        return "local" if url.startswith("local:") else "remote"

    @property
    def api_key(self) -> str | None:
        return os.environ.get("QDRANT_API_KEY")


class RetrieveParams(Section):
    k: int = Field(ge=1)
    visibility: tuple[str, ...] = Field(min_length=1)
    profile_source: str | None
    refresh_seconds: float = Field(ge=0)


class PromptParams(Section):
    """The whole prompt: the system text, and str.format templates with named slots."""

    system: str
    user_template: str
    document_template: str
    document_separator: str
    customer_template: str
    no_context: str
    context_chars: int = Field(ge=50)

    @model_validator(mode="after")
    def _slots(self) -> PromptParams:
        check_slots(
            self.user_template,
            "prompt.user_template",
            {"context", "question"},
            {"context", "question", "customer"},
        )
        check_slots(
            self.document_template,
            "prompt.document_template",
            {"id", "text"},
            {"id", "title", "text"},
        )
        check_slots(self.customer_template, "prompt.customer_template", set(), {"customer_id"})
        return self


class SftParams(Section):
    oracle_fraction: float = Field(ge=0, le=1)
    num_distractors: int = Field(ge=0)
    val_fraction: float = Field(ge=0, lt=1)
    seed: int
    search_k: int = Field(ge=1)
    abstain_response: str
    cite_as: str | None
    cite_replaces: str | None
    target_template: str
    quote_sentences: int = Field(ge=1)
    context_order: Literal["shuffled", "retrieved"]
    customer_context: Literal["exclude", "redact"]
    feedback_repeat: int = Field(ge=1)

    @model_validator(mode="after")
    def _citation(self) -> SftParams:
        if self.cite_as is not None:
            check_slots(self.cite_as, "sft.cite_as", {"ids"}, {"ids"})
        if self.cite_replaces is not None:
            check_regex(self.cite_replaces, "sft.cite_replaces")
        check_slots(
            self.target_template, "sft.target_template", {"response"},
            {"response", "source_id", "quote"},
        )  # fmt: skip
        return self

    @model_validator(mode="after")
    def _depth(self) -> SftParams:
        if self.search_k <= self.num_distractors:
            raise ValueError(
                f"search_k ({self.search_k}) must exceed num_distractors ({self.num_distractors}):"
                " the gold documents among the hits are skipped"
            )
        return self


class LoraParams(Section):
    """peft.LoraConfig's own field names: passed straight through as LoraConfig(**lora)."""

    r: int = Field(ge=1)
    lora_alpha: int = Field(ge=1)
    lora_dropout: float = Field(ge=0, lt=1)
    target_modules: tuple[str, ...]


class FinetuneParams(Section):
    lora: LoraParams
    learning_rate: float = Field(gt=0)
    num_train_epochs: float = Field(gt=0)
    max_steps: int
    per_device_train_batch_size: int = Field(ge=1)
    gradient_accumulation_steps: int = Field(ge=1)
    max_seq_length: int = Field(ge=32)
    warmup_ratio: float = Field(ge=0, lt=1)
    lr_scheduler_type: str
    seed: int
    save_steps: int = Field(ge=1)
    save_total_limit: int = Field(ge=1)
    eval_steps: int = Field(ge=1)
    early_stopping_patience: int = Field(ge=1)
    precision: Literal["auto", "bf16", "fp32"]
    group_by_length: bool
    pad_to_multiple_of: int = Field(ge=1)

    # The fields that are transformers.TrainingArguments' own, passed through under their names.
    TRAINER_FIELDS: ClassVar[tuple[str, ...]] = (
        "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size",
        "gradient_accumulation_steps", "warmup_ratio", "lr_scheduler_type", "seed",
        "save_steps", "save_total_limit", "eval_steps", "group_by_length",
    )  # fmt: skip

    def trainer_arguments(self) -> dict[str, Any]:
        return self.model_dump(include=set(self.TRAINER_FIELDS))


class FinetuneEmbedderParams(Section):
    """sentence-transformers' trainer on (sft prompt, gold chunk, mined hard negative)."""

    enabled: bool
    num_train_epochs: float = Field(gt=0)
    per_device_train_batch_size: int = Field(ge=2)
    learning_rate: float = Field(gt=0)
    warmup_ratio: float = Field(ge=0, lt=1)
    hard_negatives: int = Field(ge=0)
    seed: int


class GenerateParams(Section):
    max_new_tokens: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    no_repeat_ngram_size: int = Field(ge=0)
    quote_open: str | None
    quote_close: str
