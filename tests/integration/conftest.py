"""Fixtures for the integration tests: the real embedder, once per session, params for each
index backend, and this process's Prefect client pointed at the loopback server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tasks.params import Params
from tasks.params_loader import load_params

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from tests.servers import Server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformer:
    """The real MiniLM, loaded once for the whole session (~2 s)."""
    from tasks.index.embed import load_embedder

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


@pytest.fixture
def api(prefect_server: Server) -> Iterator[None]:
    """This process's Prefect client (and in-process flows) pointed at the test server."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: f"{prefect_server.url}/api"}):
        yield
        # Send queued logs and events while the server is up; at exit they would retry for
        # a minute against a stopped one.
        APILogWorker.drain_all(timeout=15)
        EventsWorker.drain_all(timeout=15)
