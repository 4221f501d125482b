"""Typed, frozen configuration: params.yaml validated at load, with `-S key=value` overrides."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tasks.errors import UserError


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
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    dtype: Literal["auto", "bf16", "fp32"] = "auto"
    torch_threads: int = Field(0, ge=0)


class EmbeddingParams(Section):
    model: str
    backend: Literal["torch", "onnx-int8"] = "onnx-int8"
    batch_size: int = Field(64, gt=0)
    cache_dir: Path | None = None

    @property
    def cache_root(self) -> Path:
        """Where derived embedders (the int8 ONNX export) are kept: shared by every out_dir."""
        if self.cache_dir is not None:
            return self.cache_dir
        xdg = os.environ.get("XDG_CACHE_HOME")
        return (Path(xdg) if xdg else Path.home() / ".cache") / "tandem"


class ValidateParams(Section):
    min_chars: int = Field(40, ge=1)
    max_chars: int = Field(20000, ge=1)
    max_quarantine_fraction: float = Field(0.1, ge=0, le=1)
    leakage_threshold: float = Field(0.7, gt=0, le=1)
    minhash_num_perm: int = Field(128, ge=16)

    @model_validator(mode="after")
    def _bounds(self) -> ValidateParams:
        if self.min_chars > self.max_chars:
            raise ValueError(
                f"min_chars ({self.min_chars}) must not exceed max_chars ({self.max_chars})"
            )
        return self


class CurateParams(Section):
    chunk_tokens: int = Field(200, ge=16)
    chunk_overlap: int = Field(40, ge=0)
    near_dup_threshold: float = Field(0.9, gt=0, le=1)
    minhash_num_perm: int = Field(128, ge=16)
    shingle_words: int = Field(5, ge=1)
    redact_entities: tuple[str, ...] = ()
    redact_allow: tuple[str, ...] = ()
    boilerplate_patterns: tuple[str, ...] = ()

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
    backend: Literal["embedded", "server"] = "embedded"
    collection: str = Field("tandem", pattern=r"^[A-Za-z0-9_-]+$")
    qdrant_url: str | None = None
    hnsw_ef: int = Field(128, ge=1)
    exact: bool = False
    min_recall: float = Field(0.8, ge=0, le=1)
    keep_versions: int = Field(2, ge=1)
    upsert_batch: int = Field(256, gt=0)
    lock_timeout: float = Field(600.0, ge=0)
    hnsw_m: int = Field(16, ge=4)
    hnsw_ef_construct: int = Field(128, ge=4)
    full_scan_threshold_kb: int = Field(10000, ge=1)
    indexing_threshold_kb: int = Field(10000, ge=1)

    @property
    def url(self) -> str | None:
        return os.environ.get("QDRANT_URL") or self.qdrant_url

    @property
    def api_key(self) -> str | None:
        return os.environ.get("QDRANT_API_KEY")


class RetrieveParams(Section):
    k: int = Field(3, ge=1)
    visibility: tuple[Literal["public", "internal"], ...] = ("public", "internal")
    refresh_seconds: float = Field(5.0, ge=0)


class PromptParams(Section):
    system: str
    context_chars: int = Field(700, ge=50)


class SftParams(Section):
    oracle_fraction: float = Field(0.8, ge=0, le=1)
    num_distractors: int = Field(2, ge=0)
    val_fraction: float = Field(0.1, ge=0, lt=1)
    seed: int = 42
    abstain_response: str


class LoraParams(Section):
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")


class FinetuneParams(Section):
    lora: LoraParams
    learning_rate: float = Field(1e-3, gt=0)
    num_train_epochs: float = Field(1.0, gt=0)
    max_steps: int = -1
    per_device_train_batch_size: int = Field(4, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    max_seq_length: int = Field(512, ge=32)
    warmup_ratio: float = Field(0.05, ge=0, lt=1)
    seed: int = 42
    save_steps: int = Field(20, ge=1)
    eval_steps: int = Field(20, ge=1)
    early_stopping_patience: int = Field(3, ge=1)
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    group_by_length: bool = True
    pad_to_multiple_of: int = Field(8, ge=1)


class GenerateParams(Section):
    max_new_tokens: int = Field(128, ge=1)
    batch_size: int = Field(8, ge=1)


class EvaluateParams(Section):
    max_questions: int = Field(0, ge=0)
    k: int = Field(3, ge=1)


class RegisterParams(Section):
    model_name: str = "tandem-copilot"


class GateParams(Section):
    primary_metric: str = "answer_score"
    min_gain: float = 0.0


class TrackingParams(Section):
    uri: str | None = None
    experiment: str = "tandem"


class ScheduleParams(Section):
    reindex_cron: str = "*/15 * * * *"
    finetune_cron: str = "0 3 * * 1"


class OrchestrationParams(Section):
    task_runner: Literal["thread", "dask", "ray"] = "thread"
    address: str | None = None
    workers: int = Field(1, ge=1)


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


class ParamsError(UserError):
    exit_code = 2


def set_key(tree: dict[str, Any], key: str, value: Any, origin: str) -> None:
    """Set `a.b.c` in place; only keys that exist in params.yaml can be set."""
    parts = key.strip().split(".")
    node = tree
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if not isinstance(child, dict):
            where = ".".join(parts[: i + 1])
            raise ParamsError(f"override '{origin}': '{where}' is not a section of params")
        node = child
    if parts[-1] not in node:
        raise ParamsError(f"override '{origin}': unknown key '{key.strip()}'")
    node[parts[-1]] = value


def apply_override(tree: dict[str, Any], assignment: str) -> None:
    """Apply one `a.b.c=value` in place; the value is parsed as YAML, as `dvc exp run -S` does."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise ParamsError(f"override '{assignment}': expected KEY=VALUE, e.g. finetune.lora.r=16")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    set_key(tree, key, value, assignment)


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{location}: unknown key; remove it or check its spelling against params.yaml"
    if error["type"] == "missing":
        return f"{location}: required key is missing"
    return f"{location}: got {error.get('input')!r}; {error['msg']}"


def parse_params(tree: dict[str, Any], origin: str = "params") -> Params:
    try:
        return Params.model_validate(tree)
    except ValidationError as exc:
        lines = [_describe(e) for e in exc.errors()]  # type: ignore[arg-type]
        raise ParamsError(f"invalid {origin}: " + "; ".join(lines)) from None


def load_params(
    path: Path | str = "params.yaml",
    overrides: Sequence[str] = (),
    values: Mapping[str, Any] | None = None,
) -> Params:
    """Read, override and validate params; every problem is a ParamsError (exit code 2).

    `overrides` are `-S key=value` strings; `values` are already-typed `{"key": value}` pairs
    (a Prefect flow run's parameters).
    """
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"params file '{path}' not found; pass --params PATH to an existing file")
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParamsError(f"params file '{path}' is not valid YAML: {exc}") from None
    if not isinstance(tree, dict):
        raise ParamsError(f"params file '{path}' must hold a mapping of sections")
    for assignment in overrides:
        apply_override(tree, assignment)
    for key, value in (values or {}).items():
        set_key(tree, key, value, f"{key}={value!r}")
    return parse_params(tree, origin=str(path))
