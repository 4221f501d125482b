"""Typed, frozen configuration: one section per step, validated at load (tasks/params_loader.py).

No field has a default: params.yaml is complete and is the one home of every default (with its
reason beside it), because DVC tracks params by reading that file and `-S` overrides only keys
it holds. This module holds types and bounds only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathsParams(Section):
    source_dir: Path
    out_dir: Path
    validated: Path
    quarantine: Path
    curated: Path
    index: Path
    sft: Path
    models: Path
    reports: Path
    tracking: Path

    def resolve(self, name: str) -> Path:
        """An artifact path: relative ones live under out_dir."""
        path = Path(getattr(self, name))
        return path if path.is_absolute() else self.out_dir / path

    @property
    def validated_dir(self) -> Path:
        return self.resolve("validated")

    @property
    def quarantine_dir(self) -> Path:
        return self.resolve("quarantine")

    @property
    def curated_dir(self) -> Path:
        return self.resolve("curated")

    @property
    def index_dir(self) -> Path:
        return self.resolve("index")

    @property
    def sft_dir(self) -> Path:
        return self.resolve("sft")

    @property
    def models_dir(self) -> Path:
        return self.resolve("models")

    @property
    def reports_dir(self) -> Path:
        return self.resolve("reports")

    @property
    def tracking_dir(self) -> Path:
        return self.resolve("tracking")


class ModelParams(Section):
    base: str
    device: Literal["auto", "cpu", "cuda", "mps"]
    dtype: Literal["auto", "bf16", "fp32"]
    torch_threads: int = Field(ge=0)


class EmbeddingParams(Section):
    model: str
    backend: Literal["torch", "onnx-int8"]
    batch_size: int = Field(gt=0)
    cache_dir: Path | None

    @property
    def cache_root(self) -> Path:
        """Where derived embedders (the int8 ONNX export) are kept: shared by every out_dir."""
        if self.cache_dir is not None:
            return self.cache_dir
        xdg = os.environ.get("XDG_CACHE_HOME")
        return (Path(xdg) if xdg else Path.home() / ".cache") / "tandem"


class ValidateParams(Section):
    min_chars: int = Field(ge=1)
    max_chars: int = Field(ge=1)
    max_quarantine_fraction: float = Field(ge=0, le=1)
    leakage_threshold: float = Field(gt=0, le=1)
    leakage_shingle_words: int = Field(ge=1)
    minhash_num_perm: int = Field(ge=16)

    @model_validator(mode="after")
    def _bounds(self) -> ValidateParams:
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
    redact_allow: tuple[str, ...]
    boilerplate_patterns: tuple[str, ...]

    @model_validator(mode="after")
    def _overlap(self) -> CurateParams:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be below "
                f"chunk_tokens ({self.chunk_tokens})"
            )
        for pattern in self.boilerplate_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"boilerplate pattern {pattern!r} is not a regex: {exc}") from None
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
    visibility: tuple[Literal["public", "internal"], ...]
    refresh_seconds: float = Field(ge=0)


class PromptParams(Section):
    system: str
    context_chars: int = Field(ge=50)


class SftParams(Section):
    oracle_fraction: float = Field(ge=0, le=1)
    num_distractors: int = Field(ge=0)
    val_fraction: float = Field(ge=0, lt=1)
    seed: int
    search_k: int = Field(ge=1)
    abstain_response: str

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


class GenerateParams(Section):
    max_new_tokens: int = Field(ge=1)
    batch_size: int = Field(ge=1)


class EvaluateParams(Section):
    max_questions: int = Field(ge=0)
    k: int = Field(ge=1)


class RegisterParams(Section):
    model_name: str


class GateParams(Section):
    primary_metric: str
    min_gain: float


class TrackingParams(Section):
    uri: str | None
    experiment: str


class ScheduleParams(Section):
    reindex_cron: str
    finetune_cron: str


class OrchestrationParams(Section):
    task_runner: Literal["thread", "dask", "ray"]
    address: str | None
    workers: int = Field(ge=1)


class Params(Section):
    paths: PathsParams
    model: ModelParams
    embedding: EmbeddingParams
    validate_: ValidateParams = Field(alias="validate")
    curate: CurateParams
    index: IndexParams
    retrieve: RetrieveParams
    prompt: PromptParams
    sft: SftParams
    finetune: FinetuneParams
    generate: GenerateParams
    evaluate: EvaluateParams
    register_: RegisterParams = Field(alias="register")
    gate: GateParams
    tracking: TrackingParams
    schedule: ScheduleParams
    orchestration: OrchestrationParams

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
