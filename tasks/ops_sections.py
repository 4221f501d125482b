"""The typed config's sections for evaluation, release and operations: the score, the registry,
the promotion gate, tracking, schedules and where the flows run (tasks/params.py puts them
together)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tasks.sections import Section, check_regex


class AnswerScoreParams(Section):
    """Weights of the parts of `answer_score`, the gate's default primary metric; a weight of 0
    leaves a part out, and a part a question does not support (no must_include, nothing cited)
    is left out of that question's score."""

    format: float = Field(ge=0)
    rougeL: float = Field(ge=0)  # the metric's own name (rouge-score)
    token_f1: float = Field(ge=0)
    must_include: float = Field(ge=0)
    facts: float = Field(ge=0)
    cites_gold: float = Field(ge=0)
    citation_precision: float = Field(ge=0)
    abstention_accuracy: float = Field(ge=0)

    def weights(self) -> dict[str, float]:
        return {part: weight for part, weight in self.model_dump().items() if weight > 0}


class EvaluateParams(Section):
    max_questions: int = Field(ge=0)
    k: int = Field(ge=1)
    answer_format: str | None
    answer_score: AnswerScoreParams
    abstention_similarity: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _score(self) -> EvaluateParams:
        if self.answer_format is not None:
            check_regex(self.answer_format, "evaluate.answer_format")
        if not self.answer_score.weights():
            raise ValueError("evaluate.answer_score needs one weight above 0")
        if self.answer_score.format and self.answer_format is None:
            raise ValueError(
                "evaluate.answer_score weighs `format` but evaluate.answer_format is null"
            )
        return self


class ServeParams(Section):
    host: str
    port: int = Field(ge=1, le=65535)
    tracing: bool
    hash_customer_ids: bool
    feedback_min_upvotes: int = Field(ge=1)
    feedback_needs_approval: bool


class RegisterParams(Section):
    model_name: str


class GateParams(Section):
    primary_metric: str
    min_gain: float
    require_beats_retrieval: bool


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
