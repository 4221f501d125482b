"""The registered copilot where it is served: nothing of the registering machine in its config.

What travels with the model version: the adapter (and a tuned embedder) as artifacts, the params
with the paths left out, and the index by reference (backend, collection, the version and
manifest hash it was evaluated with), the base model by its reference and shape. Where it is
served it works in its own folder (TANDEM_SERVE_DIR, else a temporary one), prepares the base
model once into the user cache (or takes a prepared one from TANDEM_BASE_DIR), checked to be the
shape the adapter was trained on, and
reads an embedded index from TANDEM_INDEX_DIR (a server index from its URL), checked to be one
built with this model's embedder: anything else is a clear error, not wrong answers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tasks.errors import UserError
from tasks.index.embed import embedder_identity, finetuned_dir
from tasks.models import PREPARED_MARKER, base_model_dir
from tasks.params import Params
from tasks.params_loader import parse_params, with_values
from tasks.params_migrations import migrate_registered
from tasks.reports import read_json, text_sha256

log = logging.getLogger(__name__)

INDEX_ENV = "TANDEM_INDEX_DIR"
SERVE_ENV = "TANDEM_SERVE_DIR"
BASE_ENV = "TANDEM_BASE_DIR"
PARAMS_ARTIFACT = "params"  # the registered params: a file, not model config MLflow logs as params
SHAPE_KEYS = ("model_type", "hidden_size", "num_hidden_layers", "vocab_size")
PLACE = "."  # where a path of the registering machine stood


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Environment variables set for a block, then restored as they were."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def registered_params(params: Params) -> dict[str, Any]:
    """The params as the model version keeps them: every path of this machine left out."""
    remote = params.index.backend == "server" and params.index.url_mode == "remote"
    placeless = {
        "paths.source_dir": PLACE,
        "paths.out_dir": PLACE,
        "paths.index": "index",
        "embedding.cache_dir": None,
        "tracking.uri": None,
        "index.qdrant_url": params.index.qdrant_url if remote else None,
    }
    return with_values(params, placeless, origin="registered params").as_dict()


def index_reference(params: Params, version: str, manifest_sha256: str) -> dict[str, Any]:
    remote = params.index.backend == "server" and params.index.url_mode == "remote"
    return {
        "backend": params.index.backend,
        "collection": params.index.collection,
        "url": params.index.qdrant_url if remote else None,
        "version": version,
        "manifest_sha256": manifest_sha256,
        "embedder": embedder_identity(params),
    }


def base_shape(model_dir: Path) -> dict[str, Any]:
    """What an adapter needs of its base: its architecture and sizes (no path, no machine)."""
    config = read_json(model_dir / "config.json")
    return {key: config.get(key) for key in SHAPE_KEYS}


def base_reference(params: Params) -> dict[str, Any]:
    return {"ref": params.model.base, "shape": base_shape(base_model_dir(params))}


def prepared_base(params: Params) -> Path:
    """The base model prepared once per user and source (GGUF conversion takes ~20 s), or the
    prepared folder TANDEM_BASE_DIR names (an air-gapped server, a model of one's own)."""
    from tasks.train import prepare_model

    given = os.environ.get(BASE_ENV)
    if given:
        if not (Path(given) / PREPARED_MARKER).is_file():
            raise UserError(
                f"{BASE_ENV}={given} is no prepared base model (no {PREPARED_MARKER}); "
                "point it at the models/base folder `tandem prepare-model` wrote"
            )
        return Path(given)
    key = text_sha256(params.model.base)[:12]
    models = params.embedding.cache_root / "prepared" / key
    if not (models / "base" / PREPARED_MARKER).is_file():
        prepare_model.run(with_values(params, {"paths.models": str(models)}))
    return models / "base"


def link(target: Path, where: Path) -> None:
    if where.is_symlink() or where.exists():
        where.unlink()
    where.parent.mkdir(parents=True, exist_ok=True)
    where.symlink_to(target.resolve(), target_is_directory=True)


def served_params(config: dict[str, Any], artifacts: dict[str, str]) -> tuple[Params, Path]:
    """The registered params placed where this process serves: -> (params, snapshots folder)."""
    if "params" in config:  # versions registered before the params moved to an artifact
        values_registered = config["params"]
    else:
        values_registered = read_json(Path(artifacts[PARAMS_ARTIFACT]))
    migrated, _ = migrate_registered(values_registered)
    registered = parse_params(
        migrated, origin="registered model config (a key missing here: re-register the copilot)"
    )
    serve = Path(os.environ.get(SERVE_ENV) or tempfile.mkdtemp(prefix="tandem-serve-"))
    values: dict[str, Any] = {"paths.out_dir": str(serve), "paths.source_dir": str(serve)}
    reference = config["index"]
    if reference["backend"] == "embedded":
        index_dir = os.environ.get(INDEX_ENV)
        if not index_dir:
            raise UserError(
                f"set {INDEX_ENV} to the folder of the index this copilot was registered with "
                f"(version {reference['version']}, built with {reference['embedder']})"
            )
        values["paths.index"] = str(Path(index_dir).resolve())
    elif reference["url"]:
        values["index.qdrant_url"] = reference["url"]
    params = with_values(registered, values, origin="served params")
    base = prepared_base(params)
    expected = config["base"]["shape"]
    if base_shape(base) != expected:
        raise UserError(
            f"the base model at {base} has shape {base_shape(base)}, the adapter was trained on "
            f"{config['base']['ref']} of shape {expected}: set {BASE_ENV} to a prepared copy of "
            "that model"
        )
    link(base, base_model_dir(params))
    if "embedder" in artifacts:
        link(Path(artifacts["embedder"]), finetuned_dir(params))
    check_index(params, reference)
    return params, serve / "snapshots"


def check_index(params: Params, reference: dict[str, Any]) -> None:
    """The index must be one this copilot can search: built with its embedder. Newer content
    (incremental syncs since registration) is what a served copilot is for; it is logged."""
    from tasks.index.store.catalog import open_catalog
    from tasks.index.versions import current_version

    where = params.paths.index_dir if params.index.backend == "embedded" else params.index.url
    catalog = open_catalog(params.index, params.paths.index_dir)
    try:
        version = catalog.current()
        manifest = catalog.read_manifest(version) if version else None
    finally:
        catalog.close()
    if version is None or manifest is None:
        raise UserError(f"no index at {where}; this copilot was registered with {reference}")
    if manifest.get("embedding_model") != reference["embedder"]:
        raise UserError(
            f"the index at {where} (version {version}) was built with embedder "
            f"{manifest.get('embedding_model')!r}, this copilot with {reference['embedder']!r}: "
            "serve it with the index it was registered with"
        )
    if current_version(params) != (reference["version"], reference["manifest_sha256"]):
        log.info("index %s changed since registration (%s); serving its current content",
                 version, reference["version"])  # fmt: skip
