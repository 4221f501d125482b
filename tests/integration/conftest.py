"""Fixtures for the index and retrieval tests: the real embedder, once per session, and params
for each backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tasks.params import Params, load_params

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformer:
    """The real MiniLM, loaded once for the whole session (~2 s)."""
    from tasks.embed import load_embedder

    return load_embedder(load_params(REPO / "params.yaml"))


@pytest.fixture(params=["embedded", "server"])
def index_params(
    request: pytest.FixtureRequest, make_params: Callable[..., Params], tmp_path: Path
) -> Callable[..., Params]:
    """Params for one backend (server = qdrant-client local mode in tmp_path) + overrides."""

    def build(*overrides: str) -> Params:
        if request.param == "server":
            backend = ["index.backend=server", f"index.qdrant_url=local:{tmp_path / 'qdrant'}"]
        else:
            backend = ["index.backend=embedded"]
        return make_params(*backend, *overrides)

    return build
