"""prepare-model: convert the base model (a GGUF file, a dir or a hub id) once into a
safetensors dir that fine-tuning, evaluation and the copilot load."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.errors import UserError
from tasks.models import (
    PREPARE_VERSION,
    PREPARED_MARKER,
    align_special_tokens,
    base_model_dir,
    ensure_pad_token,
    resolve_model_ref,
)
from tasks.params import Params
from tasks.reports import read_json, write_json_atomic, write_report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrepareModelReport:
    source: str
    model_dir: str
    parameters: int
    seconds: float
    reused: bool


def run(params: Params) -> PrepareModelReport:
    """Convert the base model once (GGUF dequantization takes ~20 s) into a safetensors dir."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    source = resolve_model_ref(params.model.base)
    target = base_model_dir(params)
    marker = target / PREPARED_MARKER
    info = read_json(marker) if marker.is_file() else {}
    if info.get("source") == source and info.get("version") == PREPARE_VERSION:
        report = PrepareModelReport(source, str(target), info["parameters"], 0.0, reused=True)
        write_report(params.paths.reports_dir, "prepare_model", report)
        return report

    source_path = Path(source)
    kwargs: dict[str, Any] = {}
    if source_path.suffix == ".gguf":
        if not source_path.is_file():
            raise UserError(f"model.base '{params.model.base}': GGUF file '{source}' not found")
        load_from, kwargs["gguf_file"] = str(source_path.parent), source_path.name
    else:
        load_from = source
    log.info("converting %s into %s", source, target)
    tokenizer = ensure_pad_token(
        AutoTokenizer.from_pretrained(load_from, **kwargs), params.model.pad_token
    )
    model = AutoModelForCausalLM.from_pretrained(load_from, **kwargs)
    align_special_tokens(tokenizer, model, params.model.pad_token)
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    parameters = sum(p.numel() for p in model.parameters())
    write_json_atomic(
        marker, {"source": source, "parameters": parameters, "version": PREPARE_VERSION}
    )
    report = PrepareModelReport(
        source, str(target), parameters, round(time.perf_counter() - started, 2), reused=False
    )
    write_report(params.paths.reports_dir, "prepare_model", report)
    return report
