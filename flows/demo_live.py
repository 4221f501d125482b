"""The demo's systems of record, when the demo folder has a `crm/` (as data/sample does) and its
params declare providers: the CRM (`crm.sql`) loaded into a SQLite file and the availability
stub (`staffing.py`) on loopback, asked at answer time as `context.providers` declares; then
`crm/live.yaml`'s UPDATE, and the very next answer reads it: no re-index, no retraining.
`python -m flows.demo_live` serves both where the declared URLs point, for `tandem ask`."""

from __future__ import annotations

import argparse
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
from tasks.params_loader import load_params, with_values

Echo = Callable[[str], None]
LIVE_FILES = ("crm.sql", "staffing.py", "live.yaml")
STUB_START_S = 20.0


def live_folder(params: Params) -> Path | None:
    crm = params.paths.source_dir / "crm"
    complete = all((crm / name).is_file() for name in LIVE_FILES)
    return crm if complete and params.context.providers else None


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


def load_crm(crm: Path, database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    with sqlite3.connect(database) as db:
        db.executescript((crm / "crm.sql").read_text(encoding="utf-8"))


def local_providers(params: Params, database: Path, port: int) -> list[dict[str, Any]]:
    """The declared providers pointed at this run's database file and stub port."""
    providers = [p.model_dump() for p in params.context.providers]
    for p in providers:
        if p["kind"] == "sql":
            p["url"] = f"sqlite:///{database.resolve()}"
        else:
            p["url"] = urlunsplit(urlsplit(p["url"])._replace(netloc=f"127.0.0.1:{port}"))
    return providers


@contextmanager
def served(params: Params) -> Iterator[tuple[Params, Path] | None]:
    """(params asking this run's CRM copy and stub, the CRM file) while both run; None when the
    folder has no live context. Training and evaluation read the rows' recorded blocks: only
    answering needs these."""
    crm = live_folder(params)
    if crm is None:
        yield None
        return
    database = params.paths.out_dir / "demo-live" / "crm.sqlite"
    load_crm(crm, database)
    port = free_port()
    values = {"context.providers": local_providers(params, database, port)}
    with stub_server(crm / "staffing.py", port):
        yield with_values(params, values, origin="demo live context"), database


def run_live(live: Params, database: Path, echo: Echo) -> bool:
    """Ask, UPDATE the CRM row, ask again -> whether the new fact was in the block shown after
    the UPDATE (and the old one before)."""
    from tasks.copilot import ask

    crm = live.paths.source_dir / "crm"
    script = yaml.safe_load((crm / "live.yaml").read_text(encoding="utf-8"))
    customer = script["customer_id"]
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


def serve_declared(params: Params) -> None:
    """The CRM and the stub where params.yaml's providers point (out/crm.sqlite, port 8765),
    until interrupted: `tandem ask --customer` then reads them."""
    crm = live_folder(params)
    if crm is None:
        raise UserError(f"'{params.paths.source_dir}' has no crm/ or declares no providers")
    sql = next(p for p in params.context.providers if p.kind == "sql")
    http = next(p for p in params.context.providers if p.kind == "http")
    if not sql.url.startswith("sqlite:///"):
        raise UserError(f"provider {sql.name}: {sql.url} is not a SQLite file this can load")
    load_crm(crm, Path(sql.url.removeprefix("sqlite:///")))
    port = urlsplit(http.url).port or 80
    print(f"CRM: {sql.url}; availability: {http.url} (Ctrl-C stops)", flush=True)
    subprocess.run([sys.executable, str(crm / "staffing.py"), "--port", str(port)], check=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=serve_declared.__doc__)
    parser.add_argument("--params", default="params.yaml")
    serve_declared(load_params(parser.parse_args().params))
