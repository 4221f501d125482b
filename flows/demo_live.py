"""The demo's live-context step, when the demo folder has a `crm/` (as data/sample does): its CRM
(`crm.sql`) loaded into a SQLite file, its availability stub (`staffing.py`) started on
loopback, both asked at answer time as `crm/providers.yaml` declares; then `crm/live.yaml`'s
UPDATE, and the very next answer reads it: no re-index, no retraining."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from tasks.errors import UserError
from tasks.params import Params
from tasks.params_loader import with_values

Echo = Callable[[str], None]
LIVE_FILES = ("crm.sql", "providers.yaml", "live.yaml")
STUB_START_S = 20.0


def live_folder(sample: Path) -> Path | None:
    crm = sample / "crm"
    return crm if all((crm / name).is_file() for name in LIVE_FILES) else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def stub_server(script: Path, port: int) -> Iterator[None]:
    """`script --port N` as its own process, stopped on the way out."""
    process = subprocess.Popen([sys.executable, str(script), "--port", str(port)])
    try:
        deadline = time.monotonic() + STUB_START_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise UserError(f"{script} did not start on port {port}") from None
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(10)


def local_providers(crm: Path, database: Path, port: int) -> list[dict[str, Any]]:
    """providers.yaml pointed at this run's database file and stub port."""
    providers = yaml.safe_load((crm / "providers.yaml").read_text(encoding="utf-8"))
    for p in providers:
        if p["kind"] == "sql":
            p["url"] = f"sqlite:///{database.resolve()}"
        else:
            p["url"] = urlunsplit(urlsplit(p["url"])._replace(netloc=f"127.0.0.1:{port}"))
    return list(providers)


def run_live(params: Params, echo: Echo) -> bool | None:
    """-> whether the new fact was in the block shown after the UPDATE (None: no crm/ here)."""
    from tasks.copilot import ask

    crm = live_folder(params.paths.source_dir)
    if crm is None:
        return None
    script = yaml.safe_load((crm / "live.yaml").read_text(encoding="utf-8"))
    database = params.paths.out_dir / "demo-live" / "crm.sqlite"
    database.parent.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    with sqlite3.connect(database) as db:
        db.executescript((crm / "crm.sql").read_text(encoding="utf-8"))
    port = free_port()
    values = {"context.providers": local_providers(crm, database, port)}
    live = with_values(params, values, origin="demo live context")
    customer = script["customer_id"]
    with stub_server(crm / "staffing.py", port):
        copilot = ask.load_copilot(live, None)
        try:
            shown = []
            for moment in ("before", "after"):
                if moment == "after":
                    with sqlite3.connect(database) as db:
                        db.execute(script["update"], {"customer_id": customer})
                    echo(f"\n   {script['update']}  (customer_id = {customer})")
                blocks = copilot.live.gather(customer)
                answer = copilot.answer_many([script["question"]], [customer])[0]
                echo(f"\nQ (as {customer}, {moment} the update): {script['question']}")
                echo("   live blocks: " + " | ".join(f"[{b.id}] {b.text}" for b in blocks))
                echo(ask.render(answer))
                shown.append(" ".join(b.text for b in blocks))
        finally:
            copilot.close()
    new_fact = script["new_fact"] in shown[1] and script["old_fact"] in shown[0]
    echo(f"new CRM fact {'is' if new_fact else 'is NOT'} in the next answer's context")
    return new_fact
