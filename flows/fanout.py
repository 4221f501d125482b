"""Fan-out of the index's embedding over the Prefect task runner `orchestration.task_runner`
names: the default thread pool, Dask (prefect-dask) or Ray (prefect-ray).

The index step stays one function (tasks.index.index.run): it hands its batches of changed chunks
to `submit_embed_batches`, which submits each as an `embed-batch` task run to the runner of the
flow it runs in, keeps a bounded number in flight, and yields the vectors back in order, so
the writes to Qdrant stay in the flow's process, under its lock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from tasks.errors import UserError
from tasks.index.embed import embed_batch
from tasks.index.sync import EmbedBatches
from tasks.ops_sections import OrchestrationParams
from tasks.params import Params

IN_FLIGHT_PER_WORKER = 2  # one being embedded, one queued: workers never wait on the writer

embed_batch_task = task(name="embed-batch", cache_policy=NO_CACHE)(embed_batch)


def make_task_runner(orchestration: OrchestrationParams) -> TaskRunner[Any]:
    """The runner a flow run uses; a cluster given by `address` is joined, else one is started
    locally for the run (Dask: `workers` single-threaded worker processes on loopback)."""
    workers = orchestration.workers
    if orchestration.task_runner == "thread":
        return ThreadPoolTaskRunner(max_workers=workers)
    if orchestration.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if orchestration.address:
            return DaskTaskRunner(address=orchestration.address)
        local = {
            "n_workers": workers,
            "threads_per_worker": 1,  # torch already uses every core of a worker's share
            "host": "127.0.0.1",
            "dashboard_address": None,
        }
        return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs=local)
    try:
        from prefect_ray import RayTaskRunner
    except ImportError:
        raise UserError(
            "orchestration.task_runner is 'ray' but prefect-ray is not installed; "
            "run `pip install '.[ray]'` or choose thread or dask"
        ) from None
    if orchestration.address:
        return RayTaskRunner(address=orchestration.address)
    return RayTaskRunner(init_kwargs={"num_cpus": workers, "include_dashboard": False})


def submit_embed_batches(params: Params) -> EmbedBatches:
    """Embeds batches as task runs of the current flow's task runner; call inside a flow."""
    window = IN_FLIGHT_PER_WORKER * params.orchestration.workers

    def embed_batches(batches: list[list[str]]) -> Iterator[np.ndarray]:
        pending = iter(batches)
        in_flight: deque[PrefectFuture[np.ndarray]] = deque()
        for texts in pending:
            in_flight.append(embed_batch_task.submit(params, texts))
            if len(in_flight) >= window:
                break
        while in_flight:
            vectors = in_flight.popleft().result()  # raises the task's error, after its retries
            following = next(pending, None)
            if following is not None:
                in_flight.append(embed_batch_task.submit(params, following))
            yield vectors

    return embed_batches
