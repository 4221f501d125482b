"""The deployments `tandem serve` runs: reindex and finetune on schedules, full on demand.

Served deployments need no work pool: this process polls the Prefect API and runs each flow
run in a subprocess of itself, in the current directory. For work pools (process here,
Kubernetes in infra/) the same three deployments are declared in prefect.yaml.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any, cast

from prefect import Flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.exceptions import TerminationSignal
from prefect.runner import Runner

from flows.prefect_flows import INDEX_LIMIT, finetune, full, reindex
from tasks.params_loader import load_params, parse_assignment

TAGS = ["tandem"]


def parse_overrides(overrides: list[str]) -> dict[str, Any]:
    """`-S key=value` strings as the flows' typed `overrides`, parsed as every override is."""
    return dict(parse_assignment(assignment) for assignment in overrides)


# name -> (flow, the schedule's params key or None, what a colliding run does, why)
DEPLOYMENTS: dict[str, tuple[Flow[..., Any], str | None, ConcurrencyLimitStrategy, str]] = {
    "reindex": (
        reindex,
        "reindex_cron",
        ConcurrencyLimitStrategy.CANCEL_NEW,
        "Re-index on a schedule; a run that collides with a running one is cancelled "
        "(CANCEL_NEW), not queued: the running sync or the next scheduled one picks up the same "
        "changes, so a queue of re-indexes would only repeat work.",
    ),
    "finetune": (
        finetune,
        "finetune_cron",
        ConcurrencyLimitStrategy.ENQUEUE,
        "Fine-tune on a schedule; a colliding run waits for the running one (ENQUEUE): each is "
        "a training run someone asked for.",
    ),
    "full": (
        full,
        None,
        ConcurrencyLimitStrategy.ENQUEUE,
        "The whole pipeline on demand (no schedule); one at a time, the next one waits.",
    ),
}


def build_deployments(params_path: Path, overrides: list[str]) -> list[RunnerDeployment]:
    """The three deployments; schedules from params.yaml's `schedule` section.

    The params are loaded here first, so a bad file or override fails before anything is
    served. The overrides become each deployment's `deployment_overrides` parameter; a run
    started with its own `overrides` (UI, `prefect deployment run`) is applied over them.
    """
    params = load_params(params_path, overrides)
    parameters = {
        "overrides": {},
        "params_path": str(params_path.resolve()),
        "deployment_overrides": parse_overrides(overrides),
    }
    deployments = []
    for name, (flow, cron_key, strategy, description) in DEPLOYMENTS.items():
        schedule = {"cron": getattr(params.schedule, cron_key)} if cron_key else {}
        deployment = flow.to_deployment(
            name=name,
            description=description,
            tags=TAGS,
            entrypoint_type=EntrypointType.MODULE_PATH,  # importable from any working directory
            parameters=parameters,
            concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=strategy),
            **schedule,
        )
        deployments.append(cast(RunnerDeployment, deployment))  # sync_compatible: from sync code
    return deployments


def ensure_index_limit() -> None:
    """The global concurrency limit that keeps index writers apart (limit 1), created if absent:
    `reindex` and `full` both index, and only this limit spans workers on other machines."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(INDEX_LIMIT, limit=1)


def stop_on_sigterm(*_: Any) -> None:
    """SIGTERM stops the runner the way Ctrl+C does: Prefect's own handler calls an async stop
    from sync code ("coroutine 'Runner.astop' was never awaited") and exits mid-shutdown."""
    raise TerminationSignal(signal.SIGTERM)


def serve_all(params_path: Path, overrides: list[str]) -> None:
    """Serve the deployments until interrupted (SIGINT/SIGTERM); schedules pause on shutdown.
    What `prefect.serve` does, with a SIGTERM that shuts down as cleanly as Ctrl+C, from the
    start (the runner only installs its handler once it runs)."""
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    # The steps log through `logging`; this sends their records to the flow run logs in the UI.
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "tasks")
    try:
        ensure_index_limit()
        deployments = build_deployments(params_path, overrides)
        runner = Runner(pause_on_shutdown=True)
        runner.handle_sigterm = stop_on_sigterm  # type: ignore[method-assign]
        for deployment in deployments:
            runner.add_deployment(deployment)
        names = ", ".join(f"{d.flow_name}/{d.name}" for d in deployments)
        print(f"Serving {names}; stop with Ctrl+C or SIGTERM (schedules pause on the way out).")
        asyncio.run(runner.start())
    except (KeyboardInterrupt, TerminationSignal) as stopped:
        print(f"{type(stopped).__name__}: stopped.")
