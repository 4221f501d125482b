"""`make demo`: the whole pipeline on a working copy of the sample data, then a re-index.

1. copy data/sample (documents, sft, eval) into <out_dir>/demo-source, so the repo stays clean;
2. run every step and print the evaluation table and one cited answer;
3. apply data/sample/changes/ (edited, added and deleted documents, a new outage), re-index
   incrementally, and ask again the question whose answer changed: no retraining involved.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tasks.errors import UserError
from tasks.params import Params
from tasks.params_loader import OVERLAY_FILE, with_values

Echo = Callable[[str], None]
INPUT_DIRS = ("documents", "sft", "eval")


def read_script(sample: Path) -> dict[str, Any]:
    """changes/demo.yaml: the questions the demo asks and the fact its change moves."""
    path = sample / "changes" / "demo.yaml"
    if not (sample / "documents").is_dir() or not path.is_file():
        raise UserError(
            f"'{sample}' is not a demo folder (it needs documents/ and changes/demo.yaml, as "
            "data/sample has); run the demo on the sample, or `tandem run` on your own data"
        )
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    missing = {"question", "changed_question", "old_fact", "new_fact"} - set(script or {})
    if missing:
        raise UserError(f"'{path}' lacks {sorted(missing)}; see data/sample/changes/README.md")
    return dict(script)


def prepare_source(sample: Path, target: Path) -> None:
    """The working copy: the inputs and the folder's own params overlay, if it has one."""
    shutil.rmtree(target, ignore_errors=True)
    for name in INPUT_DIRS:
        if (sample / name).is_dir():
            shutil.copytree(sample / name, target / name)
    if (sample / OVERLAY_FILE).is_file():
        shutil.copy2(sample / OVERLAY_FILE, target / OVERLAY_FILE)


def apply_changes(changes: Path, source: Path) -> list[str]:
    """Changed files replace their namesakes: a complete snapshot of each changed source file."""
    replaced = []
    for path in sorted((changes / "documents").rglob("*")):
        if path.is_file():
            destination = source / "documents" / path.relative_to(changes / "documents")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            replaced.append(str(path.relative_to(changes)))
    return replaced


def ask_and_show(params: Params, question: str, customer_id: str, echo: Echo) -> Any:
    from tasks.copilot import ask

    answer = ask.run(params, question, customer_id=customer_id)
    who = f" (as {customer_id})" if customer_id else ""
    echo(f"\nQ{who}: {question}\n{ask.render(answer)}")
    return answer


def run_demo(params: Params, echo: Echo) -> None:
    from flows.pipeline import run_all
    from tasks.data import curate, validate
    from tasks.index import index

    sample = params.paths.source_dir
    script = read_script(sample)
    working = params.paths.out_dir / "demo-source"
    prepare_source(sample, working)
    params = with_values(params, {"paths.source_dir": str(working)}, origin="demo params")

    echo(f"== 1. the whole pipeline on {sample} (working copy: {working})")
    reports = run_all(params, echo=echo)
    full_index_seconds = reports["index"].seconds

    echo("\n== 2. the copilot answers, citing its sources")
    ask_and_show(params, script["question"], script.get("customer_id", ""), echo)
    ask_and_show(params, script["changed_question"], "", echo)

    echo(f"\n== 3. fresh knowledge arrives: applying {sample / 'changes'}")
    for name in apply_changes(sample / "changes", working):
        echo(f"   replaced {name}")
    started = time.perf_counter()
    for step in (validate.run, curate.run):
        step(params)
    report = index.run(params)
    echo(
        f"re-index (incremental): embedded={report.embedded} upserted={report.upserted} "
        f"deleted={report.deleted} unchanged={report.unchanged} in {report.seconds:.1f}s "
        f"(full index: {full_index_seconds:.1f}s; validate+curate+index: "
        f"{time.perf_counter() - started:.1f}s)"
    )
    echo(
        f"\n== 4. the same question after the change (old fact: {script['old_fact']}, "
        f"new fact: {script['new_fact']}); no retraining"
    )
    after = ask_and_show(params, script["changed_question"], "", echo)
    shown = script["new_fact"] in after.answer
    echo(f"new fact {'appears' if shown else 'does NOT appear'} in the answer")
