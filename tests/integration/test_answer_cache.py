"""Evaluation does no work twice: a new adapter regenerates only the fine-tuned configurations,
and changing anything a base answer depends on regenerates it (counted in eval.json)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from tasks.data import curate, validate
from tasks.evaluate import evaluate
from tasks.index import index
from tasks.models import adapter_dir
from tasks.params import Params
from tasks.params_loader import with_values
from tasks.train import build_sft, finetune

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ready(
    tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, tiny_sources: Path
) -> Params:
    """Data, index and a tiny adapter; the base model is a copy, so a test may change it."""
    from tasks.params_loader import load_params

    out = tmp_path_factory.mktemp("answer-cache")
    repo = Path(__file__).resolve().parents[2]
    params = load_params(
        repo / "params.yaml",
        [f"paths.out_dir={out}", f"paths.source_dir={tiny_sources}", "finetune.max_steps=2",
         "finetune.precision=fp32", "finetune.max_seq_length=256", "generate.max_new_tokens=6",
         "model.dtype=fp32"],
    )  # fmt: skip
    shutil.copytree(tiny_model_dir, out / "models" / "base")
    for step in (validate, curate, index, build_sft, finetune):
        step.run(params)
    return params


def generated(params: Params) -> dict[str, int]:
    return evaluate.run(params).generated


def test_a_new_adapter_regenerates_only_the_fine_tuned_answers(ready: Params) -> None:
    cold = evaluate.run(ready)
    questions = cold.questions
    assert cold.generated["base"] == cold.generated["base+rag"] == questions  # nothing cached
    first = evaluate.run(ready)
    assert first.generated == {
        "retrieval": 0, "base": 0, "base+rag": 0,
        "finetuned": questions, "finetuned+rag": questions,
    }  # fmt: skip
    weights = adapter_dir(ready) / "adapter_model.safetensors"
    original = load_file(str(weights))
    save_file({k: v * 3 for k, v in original.items()}, str(weights))  # another candidate
    try:
        again = evaluate.run(ready)
    finally:
        save_file(original, str(weights))
    assert again.adapter_sha256 != first.adapter_sha256
    assert (again.generated["base"], again.generated["base+rag"]) == (0, 0)
    assert repr(again.configs["base"]) == repr(first.configs["base"])  # nan-safe equality


@pytest.mark.parametrize(
    ("change", "regenerated"),
    [
        ({"generate.max_new_tokens": 5}, {"base", "base+rag"}),
        ({"prompt.system": "Answer briefly, citing [id]."}, {"base", "base+rag"}),
        ({"prompt.context_chars": 60}, {"base+rag"}),  # the retrieved text shown changes
        ({"evaluate.k": 1}, {"base+rag"}),  # the retrieved chunks change
    ],
)
def test_each_input_of_a_base_answer_invalidates_it(
    ready: Params, change: dict[str, object], regenerated: set[str]
) -> None:
    evaluate.run(ready)  # warm
    counts = generated(with_values(ready, change))
    assert {c for c in ("base", "base+rag") if counts[c]} == regenerated


def test_changed_base_weights_invalidate_every_base_answer(
    ready: Params, tiny_model_dir: Path
) -> None:
    evaluate.run(ready)  # warm
    weights = ready.paths.models_dir / "base" / "model.safetensors"
    original = load_file(str(weights))
    save_file({k: v * 1.01 for k, v in original.items()}, str(weights), metadata={"format": "pt"})
    try:
        counts = generated(ready)
    finally:
        save_file(original, str(weights), metadata={"format": "pt"})
    assert counts["base"] > 0 and counts["base+rag"] > 0
