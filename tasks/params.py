"""Typed, frozen configuration: one section per step, validated at load (tasks/params_loader.py).

No field has a default: params.yaml is complete and is the one home of every default (with its
reason beside it), because DVC tracks params by reading that file and `-S` overrides only keys
it holds. This module holds types and bounds only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from tasks.context_sections import ContextParams
from tasks.ops_sections import (
    EvaluateParams,
    GateParams,
    OrchestrationParams,
    RegisterParams,
    ScheduleParams,
    ServeParams,
    TrackingParams,
)
from tasks.sections import (
    CurateParams,
    FinetuneEmbedderParams,
    FinetuneParams,
    GenerateParams,
    IndexParams,
    PromptParams,
    RetrieveParams,
    Section,
    SftParams,
    ValidateParams,
)


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
    cache: Path

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

    @property
    def cache_dir(self) -> Path:
        return self.resolve("cache")


class ModelParams(Section):
    base: str
    device: Literal["auto", "cpu", "cuda", "mps"]
    dtype: Literal["auto", "bf16", "fp32"]
    torch_threads: int = Field(ge=0)
    pad_token: str | None


class EmbeddingParams(Section):
    model: str
    backend: Literal["torch", "onnx-int8"]
    batch_size: int = Field(gt=0)
    batch_invariant: bool
    cache_dir: Path | None

    @property
    def encode_batch(self) -> int:
        """Texts per encode call: 1 where a text's vector would depend on the rest of its batch
        (int8's dynamic quantization scales activations by the whole batch's range)."""
        return 1 if self.batch_invariant and self.backend == "onnx-int8" else self.batch_size

    @property
    def cache_root(self) -> Path:
        """Where derived embedders (the int8 ONNX export) are kept: shared by every out_dir."""
        if self.cache_dir is not None:
            return self.cache_dir
        xdg = os.environ.get("XDG_CACHE_HOME")
        return (Path(xdg) if xdg else Path.home() / ".cache") / "tandem"


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
    finetune_embedder: FinetuneEmbedderParams
    generate: GenerateParams
    context: ContextParams
    evaluate: EvaluateParams
    register_: RegisterParams = Field(alias="register")
    gate: GateParams
    tracking: TrackingParams
    schedule: ScheduleParams
    serve: ServeParams
    orchestration: OrchestrationParams

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _visibility(self) -> Params:
        if unknown := set(self.retrieve.visibility) - set(self.validate_.visibilities):
            raise ValueError(
                f"retrieve.visibility {sorted(unknown)} is not among validate.visibilities "
                f"{list(self.validate_.visibilities)}"
            )
        return self

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
