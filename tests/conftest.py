"""Shared fixtures: params pointed at a temp folder, and a tiny model with the real tokenizer."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from flows.runtime import configure_environment
from tasks.params import Params, load_params

REPO = Path(__file__).resolve().parents[1]
configure_environment()  # offline, no telemetry: before any library under test is imported
os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture
def make_params(tmp_path: Path) -> Callable[..., Params]:
    """Params from the repo's params.yaml with every artifact under tmp_path."""

    def build(*overrides: str, out_dir: Path | None = None, source_dir: Path | None = None) -> Params:
        base = [
            f"paths.out_dir={out_dir or tmp_path / 'out'}",
            f"paths.source_dir={source_dir or REPO / 'data' / 'sample'}",
        ]
        return load_params(REPO / "params.yaml", [*base, *overrides])

    return build


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Llama with SmolLM2's real tokenizer, saved as a prepared base model.

    Real enough to exercise tokenization, LoRA, generation and MLflow; small enough to train
    in seconds.
    """
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from tasks.models import PREPARED_MARKER, ensure_pad_token, resolve_model_ref
    from tasks.reports import write_json_atomic

    target = tmp_path_factory.mktemp("tiny-model")
    gguf = Path(resolve_model_ref(load_params(REPO / "params.yaml").model.base))
    tokenizer = ensure_pad_token(AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name))
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    write_json_atomic(target / PREPARED_MARKER, {"source": "tiny-test-model", "parameters": model.num_parameters()})
    return target


@pytest.fixture
def tiny_params(make_params: Callable[..., Params], tiny_model_dir: Path) -> Params:
    """Params whose prepared base model is the tiny one (linked into models/base)."""
    params = make_params(
        "finetune.max_steps=4",
        "finetune.save_steps=2",
        "finetune.eval_steps=2",
        "finetune.per_device_train_batch_size=2",
        "finetune.gradient_accumulation_steps=1",
        "finetune.max_seq_length=256",
        "finetune.precision=fp32",
        "generate.max_new_tokens=8",
    )
    base = params.paths.models_dir / "base"
    base.parent.mkdir(parents=True, exist_ok=True)
    base.symlink_to(tiny_model_dir, target_is_directory=True)
    return params
