"""The catalog of `index.backend`: the one place that picks a backend."""

from __future__ import annotations

from pathlib import Path

from tasks.index.store.base import Catalog
from tasks.sections import IndexParams


def open_catalog(p: IndexParams, index_dir: Path, snapshots_dir: Path | None = None) -> Catalog:
    """`snapshots_dir`: where an embedded reader copies the shard it searches (default: inside
    index_dir; a served model keeps its own, so it never writes where the index lives)."""
    if p.backend == "embedded":
        from tasks.index.store.edge import EdgeCatalog

        return EdgeCatalog(p, index_dir, snapshots_dir)
    from tasks.index.store.server import ServerCatalog

    return ServerCatalog(p, index_dir)
