from __future__ import annotations

from collections.abc import Callable

import pytest

from tasks.evaluate.promote import decide
from tasks.params import Params

pytestmark = pytest.mark.unit


def tags(
    both: float, base_rag: float, finetuned: float, facts: float = 0.5, search_box: float = 0.4
) -> dict[str, str]:
    """A version's evaluation as its logged model holds it: the metrics, the facts metric."""
    return {
        "finetuned_rag.answer_score": str(both),
        "base_rag.answer_score": str(base_rag),
        "finetuned.answer_score": str(finetuned),
        "facts_metric": "must_include",
        "finetuned_rag.must_include": str(facts),
        "retrieval.must_include": str(search_box),
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


def test_challenger_that_loses_to_the_search_box_is_rejected_by_that_rule(
    make_params: Callable[..., Params],
) -> None:
    decision = decide(tags(0.6, 0.4, 0.3, facts=0.2, search_box=0.85), None, make_params().gate)
    assert not decision.promote
    assert decision.reasons == (
        "search box: finetuned+rag must_include=0.2000 is worse than the top retrieved chunk "
        "shown as is (retrieval must_include=0.8500)",
    )
    assert decision.numbers["challenger.retrieval.must_include"] == 0.85
    relaxed = make_params("gate.require_beats_retrieval=false").gate
    assert decide(tags(0.6, 0.4, 0.3, facts=0.2, search_box=0.85), None, relaxed).promote


def test_a_version_evaluated_without_the_search_box_is_not_promoted(
    make_params: Callable[..., Params],
) -> None:
    """Fail closed: a version registered before the retrieval row existed cannot pass the rule."""
    old = {k: v for k, v in tags(0.6, 0.4, 0.3).items() if "retrieval" not in k}
    decision = decide(old, None, make_params().gate)
    assert not decision.promote
    assert decision.reasons[0].startswith("search box: missing retrieval.must_include")
