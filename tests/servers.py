"""Real servers on loopback for integration tests: Prefect, MLflow, and `tandem serve`.

Each runs in its own session (process group) with its own temp state, so SIGTERM to the group
stops it with all its children, and nothing touches ~/.prefect or the repo's out/.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent  # the venv's console scripts: prefect, mlflow, tandem
QUIET = {
    "DO_NOT_TRACK": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}


@dataclass
class Server:
    """A started process group, its URL, its state folder and its log file."""

    process: subprocess.Popen[bytes]
    url: str
    home: Path
    log: Path

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM to the whole group, SIGKILL after `grace` seconds."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The test's environment, quiet and offline, with the venv's scripts first on PATH."""
    env = {**os.environ, **QUIET, **extra}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def start(
    command: list[str],
    home: Path,
    log: Path,
    env: Mapping[str, str],
    ready: Callable[[], bool],
    url: str = "",
    cwd: Path | None = None,
    timeout: float = 90.0,
) -> Server:
    """Start `command` in a new session and wait until `ready()`; on failure show its log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            env=base_env(env),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(process, url, home, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited with {process.returncode}:\n{server.tail()}")
        if ready():
            return server
        time.sleep(0.25)
    server.stop()
    raise TimeoutError(f"{' '.join(command)} not ready after {timeout:.0f}s:\n{server.tail()}")


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    return check


def start_prefect(home: Path, ui: bool = False) -> Server:
    """`prefect server start` with SQLite in `home`; the UI only when asked; no scheduler."""
    port = free_port()
    env = {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_UI_ENABLED": "true" if ui else "false",
        "PREFECT_UI_ENABLED": "true" if ui else "false",
        # Deployments keep their schedules, but no runs are created from them: a scheduled run
        # would race a test's run (reindex cancels a colliding run).
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    }
    command = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    return start(command, home, home / "server.log", env, http_ok(f"{url}/api/health"), url)


def start_mlflow(root: Path) -> Server:
    """`mlflow server` with one worker, SQLite and proxied artifacts under `root`; no job runner."""
    port = free_port()
    command = [
        str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", str(root / "artifacts"),
    ]  # fmt: skip
    env = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    url = f"http://127.0.0.1:{port}"
    return start(command, root, root / "server.log", env, http_ok(f"{url}/health"), url)


def prefect_client_env(server: Server) -> dict[str, str]:
    """What a Prefect client or runner process needs to talk to `server`."""
    return {
        "PREFECT_API_URL": f"{server.url}/api",
        "PREFECT_HOME": str(server.home),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def start_tandem_serve(prefect: Server, params_path: Path, *overrides: str, cwd: Path) -> Server:
    """`tandem serve` against `prefect`; ready when the three deployments exist."""
    command = [str(BIN / "tandem"), "serve", "--params", str(params_path)]
    for assignment in overrides:
        command += ["--set", assignment]
    names = ("tandem-reindex/reindex", "tandem-finetune/finetune", "tandem-full/full")
    ready = all_deployments_exist(prefect, names)
    env = prefect_client_env(prefect)
    log = prefect.home / "serve.log"
    return start(command, prefect.home, log, env, ready, prefect.url, cwd=cwd, timeout=120)


def all_deployments_exist(prefect: Server, names: tuple[str, ...]) -> Callable[[], bool]:
    def check() -> bool:
        for name in names:
            flow_name, deployment = name.split("/")
            url = f"{prefect.url}/api/deployments/name/{flow_name}/{deployment}"
            if not http_ok(url)():
                return False
        return True

    return check


def params_copy(repo: Path, target: Path, source_dir: Path, out_dir: Path) -> Path:
    """The repo's params.yaml with its inputs and outputs moved (for a runner's flow runs)."""
    import yaml

    tree = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))
    tree["paths"].update(source_dir=str(source_dir), out_dir=str(out_dir))
    target.write_text(yaml.safe_dump(tree, sort_keys=False), encoding="utf-8")
    return target


def wait_for_logs(
    flow_run_id: object, loggers: set[str], timeout: float = 30.0
) -> set[tuple[str, str]]:
    """A flow run's (logger, message) pairs once each of `loggers` has sent a line (the
    runner's subprocess sends its last batch as it exits, after the final state), or timeout."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    found: set[tuple[str, str]] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with get_client(sync_client=True) as client:
            logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
        found = {(log.name, log.message) for log in logs}
        if loggers <= {name for name, _ in found}:
            break
        time.sleep(0.5)
    return found
