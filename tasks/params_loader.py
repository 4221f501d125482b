"""Loading params: a params file read as a tree, `-S key=value` overrides, then validation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tasks.errors import ParamsError
from tasks.params import Params

PARAMS_FILE = "params.yaml"  # what every command reads unless told otherwise (--params)
OVERLAY_FILE = "params.yaml"  # a source folder's own values, layered over the root file


def set_key(tree: dict[str, Any], key: str, value: Any, origin: str) -> None:
    """Set `a.b.c` in place; only keys that exist in params.yaml can be set."""
    parts = key.strip().split(".")
    node = tree
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if not isinstance(child, dict):
            where = ".".join(parts[: i + 1])
            raise ParamsError(f"override '{origin}': '{where}' is not a section of params")
        node = child
    if parts[-1] not in node:
        raise ParamsError(f"override '{origin}': unknown key '{key.strip()}'")
    node[parts[-1]] = value


def parse_assignment(assignment: str) -> tuple[str, Any]:
    """`a.b.c=value` -> ("a.b.c", value); the value is parsed as YAML (else kept as text), as
    `dvc exp run -S` does."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise ParamsError(f"override '{assignment}': expected KEY=VALUE, e.g. finetune.lora.r=16")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def apply_override(tree: dict[str, Any], assignment: str) -> None:
    """Apply one `a.b.c=value` in place."""
    key, value = parse_assignment(assignment)
    set_key(tree, key, value, assignment)


def with_values(params: Params, values: Mapping[str, Any], origin: str = "params") -> Params:
    """A copy of `params` with `{"a.b.c": value}` set, validated like any override."""
    tree = params.as_dict()
    for key, value in values.items():
        set_key(tree, key, value, f"{key}={value!r}")
    return parse_params(tree, origin=origin)


def describe_error(error: dict[str, Any]) -> str:
    location = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{location}: unknown key; remove it or check its spelling against params.yaml"
    if error["type"] == "missing":
        return f"{location}: required key is missing"
    return f"{location}: got {error.get('input')!r}; {error['msg']}"


def read_tree(path: Path) -> dict[str, Any]:
    """A params file as a tree of sections, or a ParamsError naming the file."""
    if not path.is_file():
        raise ParamsError(f"params file '{path}' not found; pass --params PATH to an existing file")
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParamsError(f"params file '{path}' is not valid YAML: {exc}") from None
    if not isinstance(tree, dict):
        raise ParamsError(f"params file '{path}' must hold a mapping of sections")
    return tree


def parse_params(tree: dict[str, Any], origin: str = "params") -> Params:
    try:
        return Params.model_validate(tree)
    except ValidationError as exc:
        lines = [describe_error(e) for e in exc.errors()]  # type: ignore[arg-type]
        raise ParamsError(f"invalid {origin}: " + "; ".join(lines)) from None


def flatten_tree(
    tree: Mapping[str, Any], like: Mapping[str, Any], prefix: str = ""
) -> dict[str, Any]:
    """`{"a": {"b": 1}}` as `{"a.b": 1}`, descending only where `like` (the root params) has a
    section, so a mapping-valued param is replaced whole."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(like.get(key), dict):
            flat.update(flatten_tree(value, like[key], f"{name}."))
        else:
            flat[name] = value
    return flat


def overlay_of(tree: Mapping[str, Any], assigned: Mapping[str, Any]) -> Path | None:
    """The source folder's own params file, if it has one: the values that describe its data
    (its prompt, abstention text, answer format) live with the data."""
    source = assigned.get("paths.source_dir", tree.get("paths", {}).get("source_dir"))
    overlay = Path(str(source)) / OVERLAY_FILE if source else None
    return overlay if overlay is not None and overlay.is_file() else None


def load_params(
    path: Path | str = PARAMS_FILE,
    overrides: Sequence[str] = (),
    values: Mapping[str, Any] | None = None,
) -> Params:
    """Read, layer, override and validate params; every problem is a ParamsError (exit 2).

    The root file, then `<paths.source_dir>/params.yaml` if the source folder has one, then
    `overrides` (`-S key=value` strings), then `values` (already-typed `{"key": value}` pairs:
    a Prefect flow run's parameters). An overlay may only set keys the root file holds.
    """
    path = Path(path)
    tree = read_tree(path)
    assigned = [(*parse_assignment(a), a) for a in overrides]
    assigned += [(key, value, f"{key}={value!r}") for key, value in (values or {}).items()]
    overlay = overlay_of(tree, {key: value for key, value, _ in assigned})
    if overlay is not None:
        for key, value in flatten_tree(read_tree(overlay), tree).items():
            set_key(tree, key, value, f"{overlay}: {key}")
    for key, value, origin in assigned:
        set_key(tree, key, value, origin)
    origin = f"{path} + {overlay}" if overlay else str(path)
    return parse_params(tree, origin=origin)
