"""Text -> unit vectors with the sentence-transformers embedder (`embedding.backend`: torch or
onnx-int8, the latter exported once per model and CPU flavour into embedding.cache_root)."""

from __future__ import annotations

import logging
import os
import platform
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tasks.errors import UserError
from tasks.models import configure_threads, pick_device, resolve_model_ref
from tasks.params import Params
from tasks.reports import read_json, text_sha256, write_json_atomic

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

PROGRESS_MIN_TEXTS = 300  # below this a progress bar is noise
ONNX_DIR = "embedder-onnx-int8"
ONNX_MARKER = "tandem_onnx.json"
EMBEDDER_MARKER = "tandem_embedder.json"  # finetune-embedder's: {base, sha256, enabled}


def finetuned_dir(params: Params) -> Path:
    """Where finetune-embedder saves the embedder it tuned on the sft pairs."""
    return params.paths.models_dir / "embedder"


def embedder_source(params: Params) -> tuple[str, str]:
    """(where the embedder loads from, what identifies it): the fine-tuned embedder when
    `finetune_embedder.enabled`, else `embedding.model`. The identity names the base and the
    tuned weights' hash, so an index built with other vectors is rebuilt, not reused."""
    if not params.finetune_embedder.enabled:
        return resolve_model_ref(params.embedding.model), params.embedding.model
    marker = finetuned_dir(params) / EMBEDDER_MARKER
    info = read_json(marker) if marker.is_file() else {}
    if not info.get("sha256"):
        raise UserError(
            f"no fine-tuned embedder in '{finetuned_dir(params)}'; run `tandem finetune-embedder`"
            " (or set finetune_embedder.enabled=false)"
        )
    return str(finetuned_dir(params)), f"{info['base']}+finetuned:{info['sha256'][:16]}"


def embedder_identity(params: Params) -> str:
    return embedder_source(params)[1]


def load_embedder(params: Params) -> SentenceTransformer:
    """The embedder of `embedding.backend`: torch on the chosen device, or int8 ONNX on CPU."""
    if params.embedding.backend == "onnx-int8":
        return load_onnx_int8(params)
    from sentence_transformers import SentenceTransformer

    configure_threads(params.model)
    return SentenceTransformer(embedder_source(params)[0], device=pick_device(params.model.device))


_SHARED: dict[tuple[str, str, str], SentenceTransformer] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(params: Params) -> SentenceTransformer:
    """One embedder per process and configuration: the fan-out's embedding tasks run many
    batches in one worker (a thread, a Dask worker, a Ray actor) and load the model once."""
    key = (embedder_identity(params), params.embedding.backend, str(params.embedding.cache_root))
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = load_embedder(params)
        return _SHARED[key]


def embed_batch(params: Params, texts: list[str]) -> np.ndarray:
    """One batch of the index's changed chunks, embedded wherever the task runner put it."""
    return embed_texts(shared_embedder(params), texts, params.embedding.encode_batch)


def embedding_dim(model: SentenceTransformer) -> int:
    named = getattr(model, "get_embedding_dimension", None)  # sentence-transformers >= 5.4
    dim = named() if named else model.get_sentence_embedding_dimension()
    if not dim:
        raise ValueError("the embedder does not report its output dimension")
    return int(dim)


def embed_texts(model: SentenceTransformer, texts: Sequence[str], batch_size: int) -> np.ndarray:
    """(len(texts), dim) float32, L2-normalized, so cosine similarity is a dot product."""
    if not texts:
        return np.zeros((0, embedding_dim(model)), dtype=np.float32)
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=len(texts) > PROGRESS_MIN_TEXTS and not os.environ.get("TQDM_DISABLE"),
    )
    vectors = np.asarray(vectors, dtype=np.float32)
    if not np.isfinite(vectors).all():  # qdrant accepts NaN vectors silently
        raise ValueError("the embedder returned non-finite values")
    return vectors


def onnx_int8_flavour() -> str:
    """The int8 kernels this CPU runs fastest (sentence-transformers' quantization presets)."""
    if platform.machine().lower() in ("arm64", "aarch64"):
        return "arm64"
    cpuinfo = Path("/proc/cpuinfo")
    return "avx512_vnni" if cpuinfo.exists() and "avx512_vnni" in cpuinfo.read_text() else "avx2"


def load_onnx_int8(params: Params) -> SentenceTransformer:
    """The embedder as dynamically quantized int8 ONNX on CPU, exported once (~15 s) into
    embedding.cache_root and reused by every run (and out_dir) with the same source and flavour."""
    from filelock import FileLock
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    source, identity = embedder_source(params)
    flavour = onnx_int8_flavour()
    key = text_sha256(f"{source}\n{identity}")[:12]  # a retuned embedder is exported anew
    target = params.embedding.cache_root / ONNX_DIR / f"{key}-{flavour}"
    marker = target / ONNX_MARKER
    # the file is named by us: the library's name says the weights' signedness, which the
    # preset picks (avx2: unsigned, avx512_vnni: signed)
    suffix = f"int8_{flavour}"
    wanted = {"source": source, "identity": identity, "quantization": flavour, "file": suffix}
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(target.parent / f".{target.name}.lock"):
        if not (marker.is_file() and read_json(marker) == wanted):
            log.info("exporting %s to int8 ONNX (%s) in %s", source, flavour, target)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
            exported = SentenceTransformer(source, backend="onnx", device="cpu")
            exported.save_pretrained(str(staging))
            export_dynamic_quantized_onnx_model(exported, flavour, str(staging), file_suffix=suffix)
            write_json_atomic(staging / ONNX_MARKER, wanted)
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
    return SentenceTransformer(
        str(target),
        backend="onnx",
        device="cpu",
        model_kwargs={"file_name": f"onnx/model_{suffix}.onnx"},
    )
