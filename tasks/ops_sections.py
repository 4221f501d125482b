"""The typed config's sections for release and operations: the registry, the promotion gate,
tracking, schedules and where the flows run (tasks/params.py puts them together)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tasks.sections import Section


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
