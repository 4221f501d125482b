"""The registered copilot where it is served: nothing of the registering machine in its config.

What travels with the model version: the adapter (and a tuned embedder) as artifacts, the params
with the paths left out, and the index by reference (backend, collection, the version and
manifest hash it was evaluated with). Where it is served it works in its own folder
(TANDEM_SERVE_DIR, else a temporary one), prepares the base model once into the user cache, and
reads an embedded index from TANDEM_INDEX_DIR (a server index from its URL), checked to be one
built with this model's embedder: anything else is a clear error, not wrong answers.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from tasks.errors import UserError
from tasks.index.embed import embedder_identity, finetuned_dir
from tasks.models import PREPARED_MARKER, base_model_dir
from tasks.params import Params
from tasks.params_loader import parse_params, with_values
from tasks.reports import text_sha256

log = logging.getLogger(__name__)

INDEX_ENV = "TANDEM_INDEX_DIR"
SERVE_ENV = "TANDEM_SERVE_DIR"
PLACE = "."  # where a path of the registering machine stood


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


def prepared_base(params: Params) -> Path:
    """The base model prepared once per user and source (GGUF conversion takes ~20 s)."""
    from tasks.train import prepare_model

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
    registered = parse_params(config["params"], origin="registered model config")
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
    link(prepared_base(params), base_model_dir(params))
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
