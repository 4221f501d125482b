"""The task-runner switch: the reindex flow embeds its changed chunks as `embed-batch` task runs
on a local Dask cluster on loopback (the embedder loads in the Dask workers, not in the flow's
process), and builds the same index as the default thread runner."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client

from flows.fanout import make_task_runner
from flows.prefect_flows import reindex
from tasks.errors import UserError
from tasks.index.retrieve import Retriever
from tasks.params_loader import load_params

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BATCH = 2  # index.upsert_batch: several batches from the tiny corpus (6 chunks)
QUERIES = ["How do I reset my password?", "What does the Business plan cost?", "outage"]


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """Two single-threaded worker processes and a scheduler, all on 127.0.0.1."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    yield cluster
    cluster.close()


def overrides(tiny_sources: Path, out: Path, **more: Any) -> dict[str, Any]:
    return {
        "paths.source_dir": str(tiny_sources),
        "paths.out_dir": str(out),
        "index.upsert_batch": BATCH,
        **more,
    }


def top_hits(values: dict[str, Any]) -> list[list[tuple[str, float]]]:
    params = load_params(REPO / "params.yaml", values=values)
    with Retriever(params) as retriever:
        return [
            [(h.chunk_id, round(h.score, 4)) for h in retriever.search(query, k=3)]
            for query in QUERIES
        ]


def embed_batch_runs() -> list[Any]:
    """Every embed-batch task run the test server knows (other tests' flows add theirs)."""
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="embed-batch"))
        )
    return list(runs)


def embedders_loaded(cluster: Any) -> dict[str, int]:
    from distributed import Client

    def count() -> int:
        from tasks.index.embed import _SHARED

        return len(_SHARED)

    with Client(cluster) as client:
        return dict(client.run(count))


def test_reindex_fans_embedding_out_to_a_dask_cluster(
    api: None, dask_cluster: Any, tiny_sources: Path, tmp_path: Path
) -> None:
    dask = overrides(
        tiny_sources,
        tmp_path / "dask",
        **{
            "orchestration.task_runner": "dask",
            "orchestration.address": dask_cluster.scheduler_address,
            "orchestration.workers": 2,
        },
    )
    assert sum(embedders_loaded(dask_cluster).values()) == 0
    before = {r.id for r in embed_batch_runs()}

    report = reindex(overrides=dask, params_path=str(REPO / "params.yaml"))["index"]

    assert report.embedded == report.points > BATCH
    assert sum(embedders_loaded(dask_cluster).values()) >= 1  # the workers embedded
    batches = [r for r in embed_batch_runs() if r.id not in before]
    assert len(batches) == math.ceil(report.points / BATCH)
    assert all(r.state is not None and r.state.is_completed() for r in batches)

    thread = overrides(tiny_sources, tmp_path / "thread")
    threaded = reindex(overrides=thread, params_path=str(REPO / "params.yaml"))["index"]
    assert threaded.embedded == report.embedded
    assert top_hits(dask) == top_hits(thread)  # same vectors, wherever they were computed


def test_runner_choice_follows_params(tmp_path: Path) -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    def runner(*assignments: str) -> Any:
        params = load_params(REPO / "params.yaml", list(assignments))
        return make_task_runner(params.orchestration)

    assert isinstance(runner(), ThreadPoolTaskRunner)
    local = runner("orchestration.task_runner=dask", "orchestration.workers=3")
    assert isinstance(local, DaskTaskRunner)
    assert local.cluster_kwargs["n_workers"] == 3
    assert local.cluster_kwargs["host"] == "127.0.0.1"
    joined = runner("orchestration.task_runner=dask", "orchestration.address=tcp://10.0.0.5:8786")
    assert joined.address == "tcp://10.0.0.5:8786"
    try:
        import prefect_ray  # noqa: F401
    except ImportError:
        with pytest.raises(UserError, match=r"pip install '\.\[ray\]'"):
            runner("orchestration.task_runner=ray")
