"""Shared fixtures: params pointed at a temp folder, and a tiny model with the real tokenizer."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from flows.runtime import configure_environment
from tasks.params import Params
from tasks.params_loader import load_params

REPO = Path(__file__).resolve().parents[1]
configure_environment()  # offline, no telemetry: before any library under test is imported
os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The embedder's ONNX export (embedding.cache_root) in a session folder, not ~/.cache:
    exported once per session, by whichever test or subprocess needs it first."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    yield cache
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture
def make_params(tmp_path: Path) -> Callable[..., Params]:
    """Params from the repo's params.yaml with every artifact under tmp_path."""

    def build(
        *overrides: str, out_dir: Path | None = None, source_dir: Path | None = None
    ) -> Params:
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

    from tasks.models import (
        PREPARE_VERSION,
        PREPARED_MARKER,
        align_special_tokens,
        resolve_model_ref,
    )
    from tasks.reports import write_json_atomic

    target = tmp_path_factory.mktemp("tiny-model")
    gguf = Path(resolve_model_ref(load_params(REPO / "params.yaml").model.base))
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer.pad_token = "<|endoftext|>"
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
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    align_special_tokens(tokenizer, model, None)  # model.pad_token: null, the pad set above
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    write_json_atomic(
        target / PREPARED_MARKER,
        {
            "source": "tiny-test-model",
            "parameters": model.num_parameters(),
            "version": PREPARE_VERSION,
        },
    )
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


# --------------------------------------------------------------------------- loopback services
# Added for the Prefect / MLflow / DVC integration tests; servers start only when a test asks.

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.servers import Server

TINY_ARTICLES = {
    "KB-001": ("Rotate an API key", "Open Settings, choose API keys, select the key and click "
               "Rotate. The old key keeps working for 24 hours, then it is revoked."),
    "KB-002": ("Download invoices", "Invoices are issued on the first day of each month. "
               "Owners download them as PDF from the Billing page."),
    "KB-003": ("Reset a password", "Click Forgot password on the sign-in page; the reset link "
               "we email you is valid for 30 minutes."),
    "KB-004": ("Invite a teammate", "Owners and admins invite teammates from the Members page "
               "by entering their email address; invitations expire after 7 days."),
    "KB-005": ("Change the billing email", "On the Billing page choose Edit contact and enter "
               "the new billing email; future invoices go to that address."),
    "KB-006": ("Turn on two-step verification", "Open Settings, then Security, and choose "
               "Two-step verification; scan the QR code with an authenticator app."),
}  # fmt: skip


def write_tiny_sources(root: Path) -> Path:
    """A six-article knowledge base with sft and eval questions: the input contract, small."""
    import json

    def jsonl(path: Path, rows: list[dict[str, object]]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")

    root.mkdir(parents=True, exist_ok=True)
    (root / "params.yaml").write_text("{}\n", encoding="utf-8")  # sets nothing (docs/data.md)
    jsonl(root / "documents" / "kb.jsonl", [
        {"id": doc_id, "title": title, "text": f"{title}.\n\n{text}", "source": "kb",
         "visibility": "public", "updated_at": "2026-01-05T00:00:00Z"}
        for doc_id, (title, text) in TINY_ARTICLES.items()
    ])  # fmt: skip
    answer = "Summary: {text}\nSteps:\n1. Follow the article.\nSources: [{doc_id}]"
    jsonl(root / "sft" / "sft.jsonl", [
        {"id": f"SFT-{n:03d}-{phrasing}", "prompt": f"{question} {title.lower()}?",
         "response": answer.format(text=text, doc_id=doc_id), "task_type": "howto",
         "gold_doc_ids": [doc_id]}
        for n, (doc_id, (title, text)) in enumerate(TINY_ARTICLES.items())
        for phrasing, question in enumerate(("How do I", "Can you tell me how to"))
    ])  # fmt: skip
    jsonl(root / "eval" / "eval.jsonl", [
        {"id": f"EVAL-{n:03d}", "question": f"What is the way to {title.lower()}?",
         "reference_answer": answer.format(text=text, doc_id=doc_id),
         "gold_doc_ids": [doc_id], "must_include": [title.split()[-1].lower()]}
        for n, (doc_id, (title, text)) in enumerate(list(TINY_ARTICLES.items())[:3])
    ])  # fmt: skip
    return root


@pytest.fixture(scope="session")
def tiny_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """paths.source_dir for fast end-to-end runs (validate, curate and index in seconds)."""
    return write_tiny_sources(tmp_path_factory.mktemp("tiny-sources"))


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`prefect server start` on loopback, SQLite in a temp PREFECT_HOME, no UI (~13 s)."""
    from tests.servers import start_prefect

    server = start_prefect(tmp_path_factory.mktemp("prefect-home"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`mlflow server --workers 1` on loopback with SQLite and local artifacts (~5 s)."""
    from tests.servers import start_mlflow

    server = start_mlflow(tmp_path_factory.mktemp("mlflow-server"))
    yield server
    server.stop()
