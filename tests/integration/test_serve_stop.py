"""`tandem serve` stops on SIGTERM (what Kubernetes and systemd send) as cleanly as on Ctrl+C:
exit 0, the schedules paused, and no "coroutine 'Runner.astop' was never awaited"."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from prefect import get_client

from tests.servers import params_copy, start_prefect, start_tandem_serve

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def test_sigterm_pauses_the_schedules_and_exits_cleanly(tiny_sources: Path, tmp_path: Path) -> None:
    """On a Prefect server of its own: its serve.log holds this runner's output only."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    prefect = start_prefect(tmp_path / "home")
    try:
        params_path = params_copy(REPO, tmp_path / "params.yaml", tiny_sources, tmp_path / "out")
        runner = start_tandem_serve(prefect, params_path, cwd=REPO)
        deadline = time.monotonic() + 30
        while "Serving tandem-reindex" not in runner.tail() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # from that line to the runner's loop: microseconds
        os.killpg(runner.process.pid, signal.SIGTERM)
        assert runner.process.wait(60) == 0, runner.tail()
        log = runner.tail(20000)
        assert "never awaited" not in log and "Traceback" not in log, log
        assert "All deployments have been paused!" in log, log
        assert "TerminationSignal: stopped." in log, log
        with (
            temporary_settings({PREFECT_API_URL: f"{prefect.url}/api"}),
            get_client(sync_client=True) as client,
        ):
            reindex = client.read_deployment_by_name("tandem-reindex/reindex")
        assert reindex.paused or not any(s.active for s in reindex.schedules)
    finally:
        prefect.stop()
