"""promote: the champion/challenger gate. Only a better copilot goes live.

The challenger (fine-tuned + RAG) must beat the current champion on the primary metric by at
least `gate.min_gain`, must not be worse than base + RAG or the fine-tuned model alone in its
own evaluation, and (`gate.require_beats_retrieval`) must not lose on the facts to the search
box: the top retrieved chunk shown as is. The decision and its numbers are written onto the
model version.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from tasks import tracking
from tasks.copilot.prompt_registry import set_prompt_alias
from tasks.copilot.register import CHALLENGER, CHAMPION, FACTS_TAG, eval_key
from tasks.errors import UserError
from tasks.evaluate.evaluate import BASE_RAG, FINETUNED, FINETUNED_RAG, RETRIEVAL
from tasks.ops_sections import GateParams
from tasks.params import Params
from tasks.reports import write_report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reasons: tuple[str, ...]
    numbers: dict[str, float] = field(default_factory=dict)


LEGACY_PREFIX = "eval."  # versions registered before the numbers moved onto the logged model


def metric_of(evaluated: dict[str, str], config: str, metric: str) -> float | None:
    value = evaluated.get(eval_key(config, metric))
    return float(value) if value is not None else None


def logged_model_id(model_version: Any) -> str | None:
    """The logged model behind a version: its `model_id`, which a SQLite store leaves empty,
    so else the `models:/<model id>` source it was registered from."""
    if getattr(model_version, "model_id", None):
        return str(model_version.model_id)
    source = str(model_version.source or "")
    return source.removeprefix("models:/") if source.startswith("models:/m-") else None


def evaluated_numbers(model_version: Any) -> dict[str, str]:
    """A version's evaluation: its logged model's metrics and facts-metric tag (older versions:
    their `eval.*` tags)."""
    import mlflow

    numbers = {
        k.removeprefix(LEGACY_PREFIX): v
        for k, v in model_version.tags.items()
        if k.startswith(LEGACY_PREFIX)
    }
    model_id = logged_model_id(model_version)
    if model_id:
        model = mlflow.get_logged_model(model_id)
        numbers.update({m.key: str(m.value) for m in model.metrics or []})
        numbers.update({k: v for k, v in model.tags.items() if k == FACTS_TAG})
    return numbers


def decide(
    challenger: dict[str, str], champion: dict[str, str] | None, gate: GateParams
) -> GateDecision:
    """Pure: the gate on two versions' evaluations (champion None when there is none yet).
    Each reason names the rule that decided: `halves`, `search box`, `champion`."""
    metric = gate.primary_metric
    mine = metric_of(challenger, FINETUNED_RAG, metric)
    if mine is None:
        return GateDecision(
            False,
            (f"challenger has no {eval_key(FINETUNED_RAG, metric)} metric; evaluate it first",),
        )
    numbers = {f"challenger.{FINETUNED_RAG}": mine}
    reasons = []
    for rival in (BASE_RAG, FINETUNED):
        theirs = metric_of(challenger, rival, metric)
        if theirs is None:
            reasons.append(f"halves: missing {eval_key(rival, metric)}")
            continue
        numbers[f"challenger.{rival}"] = theirs
        if mine < theirs:
            reasons.append(
                f"halves: {FINETUNED_RAG} {metric}={mine:.4f} is worse than {rival} ({theirs:.4f})"
            )
    if gate.require_beats_retrieval:
        reasons += beats_retrieval(challenger, numbers)
    if champion is not None:
        best = metric_of(champion, FINETUNED_RAG, metric)
        if best is not None:
            numbers["champion"] = best
            if mine <= best or mine - best < gate.min_gain:  # "beats" is strict, even at min_gain 0
                reasons.append(
                    f"champion: {metric}={mine:.4f} does not beat the champion's {best:.4f} "
                    f"by min_gain={gate.min_gain}"
                )
    if reasons:
        return GateDecision(False, tuple(reasons), numbers)
    rules = "halves, search box, champion" if gate.require_beats_retrieval else "halves, champion"
    passed = f"{FINETUNED_RAG} {metric}={mine:.4f} passes the gate ({rules})"
    return GateDecision(True, (passed,), numbers)


def beats_retrieval(challenger: dict[str, str], numbers: dict[str, float]) -> list[str]:
    """The search-box rule: on the facts (FACTS_TAG names the metric), fine-tuned+RAG is not
    worse than the top retrieved chunk shown as is. Fills `numbers`; returns the reasons."""
    facts = challenger.get(FACTS_TAG)
    if facts is None:
        return [f"search box: no {FACTS_TAG} on the challenger; evaluate it again"]
    mine, theirs = (
        metric_of(challenger, FINETUNED_RAG, facts),
        metric_of(challenger, RETRIEVAL, facts),
    )
    if mine is None or theirs is None:
        return [
            f"search box: missing {eval_key(RETRIEVAL, facts)} or {eval_key(FINETUNED_RAG, facts)}"
        ]
    numbers[f"challenger.{FINETUNED_RAG}.{facts}"] = mine
    numbers[f"challenger.{RETRIEVAL}.{facts}"] = theirs
    if mine < theirs:
        return [
            f"search box: {FINETUNED_RAG} {facts}={mine:.4f} is worse than the top retrieved "
            f"chunk shown as is ({RETRIEVAL} {facts}={theirs:.4f})"
        ]
    return []


@dataclass(frozen=True)
class PromoteReport:
    model_name: str
    challenger: str
    previous_champion: str
    champion: str
    promoted: bool
    forced: bool
    reasons: str


def _version_for(client: object, name: str, alias: str) -> object | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)  # type: ignore[attr-defined]
    except MlflowException:
        return None


def champion_prompt(params: Params, model_version: Any) -> None:
    """The prompt's `champion` alias follows the model's (versions registered before prompts
    were have no prompt_version tag, and no prompt to move)."""
    version = model_version.tags.get("prompt_version")
    if version:
        set_prompt_alias(params, CHAMPION, version)


def promote(params: Params, force_version: str | None = None) -> PromoteReport:
    from mlflow import MlflowClient

    tracking.setup(params)
    client = MlflowClient()
    name = params.register_.model_name
    champion = _version_for(client, name, CHAMPION)
    previous = str(champion.version) if champion else ""  # type: ignore[attr-defined]

    if force_version is not None:
        from mlflow.exceptions import MlflowException

        try:
            client.get_model_version(name, force_version)
        except MlflowException:
            raise UserError(f"--force {force_version}: {name} has no such version") from None
        client.set_registered_model_alias(name, CHAMPION, force_version)
        champion_prompt(params, client.get_model_version(name, force_version))
        client.set_model_version_tag(name, force_version, "gate.decision", "forced")
        client.set_model_version_tag(name, force_version, "gate.previous_champion", previous)
        reason = f"forced by the operator (previous champion: {previous or 'none'})"
        return PromoteReport(name, force_version, previous, force_version, True, True, reason)

    challenger = _version_for(client, name, CHALLENGER)
    if challenger is None:
        raise UserError(f"{name} has no '{CHALLENGER}' alias; run `tandem register` first")
    version = str(challenger.version)  # type: ignore[attr-defined]
    rival = evaluated_numbers(champion) if champion and previous != version else None
    decision = decide(evaluated_numbers(challenger), rival, params.gate)
    reasons = "; ".join(decision.reasons)
    numbers = ", ".join(f"{k}={v:.4f}" for k, v in decision.numbers.items())
    client.set_model_version_tag(
        name, version, "gate.decision", "promoted" if decision.promote else "rejected"
    )
    client.set_model_version_tag(name, version, "gate.reasons", reasons)
    client.set_model_version_tag(name, version, "gate.numbers", numbers)
    client.update_model_version(
        name,
        version,
        description=f"Gate ({params.gate.primary_metric}, min_gain={params.gate.min_gain}): "
        f"{'PROMOTED' if decision.promote else 'REJECTED'}. {reasons}. Numbers: {numbers}.",
    )
    if decision.promote:
        client.set_model_version_tag(name, version, "gate.previous_champion", previous)
        client.set_registered_model_alias(name, CHAMPION, version)
        champion_prompt(params, challenger)
    current = version if decision.promote else previous
    return PromoteReport(name, version, previous, current, decision.promote, False, reasons)


def run(params: Params, force_version: str | None = None) -> PromoteReport:
    report = promote(params, force_version=force_version)
    write_report(params.paths.reports_dir, "promote", report)
    return report
