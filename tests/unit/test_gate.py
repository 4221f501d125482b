from __future__ import annotations

from collections.abc import Callable

import pytest

from tasks.evaluate.promote import decide
from tasks.params import Params

pytestmark = pytest.mark.unit


def tags(both: float, base_rag: float, finetuned: float) -> dict[str, str]:
    return {
        "eval.finetuned_rag.answer_score": str(both),
        "eval.base_rag.answer_score": str(base_rag),
        "eval.finetuned.answer_score": str(finetuned),
    }


def test_first_challenger_passes_when_it_beats_both_halves(
    make_params: Callable[..., Params],
) -> None:
    decision = decide(tags(0.6, 0.4, 0.3), None, make_params().gate)
    assert decision.promote


def test_challenger_worse_than_rag_alone_is_rejected(make_params: Callable[..., Params]) -> None:
    decision = decide(tags(0.4, 0.5, 0.3), None, make_params().gate)
    assert not decision.promote
    assert any("base+rag" in r for r in decision.reasons)


def test_challenger_must_beat_champion_by_min_gain(make_params: Callable[..., Params]) -> None:
    gate = make_params("gate.min_gain=0.05").gate
    assert not decide(tags(0.62, 0.4, 0.3), tags(0.6, 0.4, 0.3), gate).promote
    assert decide(tags(0.66, 0.4, 0.3), tags(0.6, 0.4, 0.3), gate).promote


def test_missing_metric_is_rejected_not_crashed(make_params: Callable[..., Params]) -> None:
    decision = decide({}, None, make_params().gate)
    assert not decision.promote


def test_equal_to_champion_does_not_beat_it(make_params: Callable[..., Params]) -> None:
    assert not decide(tags(0.6, 0.4, 0.3), tags(0.6, 0.4, 0.3), make_params().gate).promote
