"""The Prefect UI's deployments page, rendered by headless Chromium, shows what `tandem serve`
serves: the three deployments, ready, with their schedules in words."""

from __future__ import annotations

import html
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Server, params_copy, start_prefect, start_tandem_serve, wait_for_logs

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--virtual-time-budget=15000",  # virtual ms for the single-page app to fetch and render
    "--dump-dom",
]

requires_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason=f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (Debian) or set CHROMIUM",
)


@pytest.fixture(scope="module")
def ui_server(tiny_sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A Prefect server with its UI, serving the deployments (runs, if any, go to a temp out)."""
    work = tmp_path_factory.mktemp("prefect-ui")
    server = start_prefect(work / "home", ui=True)
    params_path = params_copy(REPO, work / "params.yaml", tiny_sources, work / "out")
    try:
        runner = start_tandem_serve(server, params_path, cwd=REPO)
    except BaseException:
        server.stop()
        raise
    yield server
    runner.stop()
    server.stop()


def page_text(url: str) -> str:
    """The rendered page's visible text, one space between words (a tall window: the logs
    list renders only the rows that fit)."""
    flags = [*CHROMIUM_FLAGS, "--window-size=1280,2400"]
    done = subprocess.run([str(CHROMIUM), *flags, url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", done.stdout, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


@requires_chromium
def test_deployments_page_lists_the_served_deployments(ui_server: Server) -> None:
    text = page_text(f"{ui_server.url}/deployments")

    assert "3 Deployments" in text, text[:2000]
    rows = {
        "reindex": "Every 15 minutes",  # schedule.reindex_cron "*/15 * * * *"
        "finetune": "At 03:00 AM, only on Monday",  # schedule.finetune_cron "0 3 * * 1"
        "full": "",
    }
    for name, schedule in rows.items():
        row = re.search(
            rf"\b{name} tandem-{name} (\w+(?: \w+)?) tandem (.*?)(?= \w+ tandem-|$)", text
        )
        assert row, f"no row for {name} in: {text[:2000]}"
        assert row.group(1) == "Ready", row.group(0)
        assert schedule in row.group(2), row.group(0)


@requires_chromium
def test_a_flow_run_page_shows_the_steps_log_lines(ui_server: Server) -> None:
    """The Logs tab of a reindex run, rendered: the validate and curate steps' own lines."""
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: f"{ui_server.url}/api"}):
        flow_run = run_deployment(
            "tandem-reindex/reindex", parameters={"overrides": {}}, timeout=240, poll_interval=1
        )
        assert flow_run.state.is_completed(), flow_run.state.message
        wait_for_logs(flow_run.id, {"tasks.data.validate", "tasks.data.curate"})

    text = page_text(f"{ui_server.url}/runs/flow-run/{flow_run.id}")

    assert "validate: 21 rows read, 0 quarantined" in text, text[:3000]
    assert "curated:" in text, text[:3000]
