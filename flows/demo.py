"""`make demo`: the whole pipeline on the sample data, then a knowledge change re-indexed.

1. run every step on paths.source_dir (data/sample) into paths.out_dir, exactly what
   `dvc repro` and `tandem serve` would run, and record it in dvc.lock (`dvc status` is clean);
2. print the evaluation table and one cited answer;
3. in a side copy (<out_dir>/demo-change: the inputs with data/sample/changes/ applied, a copy
   of the index, the same models), re-index incrementally and ask again the question whose
   answer changed: no retraining involved. The pipeline's own out_dir and source stay as step 1
   left them, so no scheduled re-index undoes the change and DVC sees nothing it did not run;
4. where the folder has live context (data/sample/crm/), steps 2-4 ask its CRM and availability
   stub (flows/demo_live.py), and step 5 shows a CRM UPDATE in the very next answer.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from flows.demo_live import run_live, served
from tasks.errors import UserError
from tasks.params import Params
from tasks.params_loader import OVERLAY_FILE, PARAMS_FILE, load_params, with_values

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


def record_in_dvc(params: Params, echo: Echo) -> None:
    """`dvc commit`: dvc.lock records what step 1 ran, so `dvc status` is clean and `dvc repro`
    redoes nothing. Only when the demo ran exactly the params dvc.yaml reads (no -S, the
    default file) in a DVC repository: a lock of other params would be a false record."""
    repo = Path.cwd()
    if not (repo / "dvc.yaml").is_file() or not (repo / ".dvc").is_dir():
        echo("(not in a DVC repository: dvc.lock not written)")
        return
    if params.as_dict() != load_params(repo / PARAMS_FILE).as_dict():
        echo("(params differ from params.yaml: dvc.lock not written, `dvc repro` would rerun)")
        return
    dvc = Path(sys.executable).with_name("dvc")
    done = subprocess.run(
        [str(dvc), "commit", "--force", "--quiet"], cwd=repo, capture_output=True, text=True
    )
    if done.returncode != 0:
        echo(f"(dvc commit failed, dvc.lock not written: {done.stderr.strip()[-500:]})")
        return
    echo("dvc.lock records this run: `dvc status` is clean, `dvc repro` has nothing to redo")


def side_copy(params: Params) -> Params:
    """<out_dir>/demo-change: the inputs with changes/ applied, a copy of the (embedded) index
    as step 1 left it, the same models (linked): where the change is shown without touching
    step 1's outputs."""
    side = params.paths.out_dir / "demo-change"
    shutil.rmtree(side, ignore_errors=True)
    values = {
        "paths.source_dir": str(side / "source"),
        "paths.out_dir": str(side),
        "paths.index": "index",
        "paths.models": "models",
    }
    changed = with_values(params, values, origin="demo params")
    prepare_source(params.paths.source_dir, changed.paths.source_dir)
    shutil.copytree(params.paths.index_dir, changed.paths.index_dir, symlinks=True)
    changed.paths.models_dir.symlink_to(params.paths.models_dir.resolve(), target_is_directory=True)
    return changed


def run_demo(params: Params, echo: Echo) -> None:
    from flows.pipeline import run_all

    sample = params.paths.source_dir
    script = read_script(sample)

    echo(f"== 1. the whole pipeline on {sample} (out: {params.paths.out_dir})")
    reports = run_all(params, echo=echo, run_name="tandem demo")
    full_index_seconds = reports["index"].seconds
    record_in_dvc(params, echo)

    with served(params) as live:  # the sample's CRM and availability API, when it has them
        run_asking(params, live, script, full_index_seconds, echo)


def run_asking(
    params: Params,
    live: tuple[Params, Path] | None,
    script: dict[str, Any],
    full_index_seconds: float,
    echo: Echo,
) -> None:
    """Steps 2-5: the copilot answers (asking the live systems of record, where declared)."""
    from tasks.data import curate, validate
    from tasks.index import index

    asking = live[0] if live else params
    sample = params.paths.source_dir
    echo("\n== 2. the copilot answers, citing its sources")
    ask_and_show(asking, script["question"], script.get("customer_id", ""), echo)
    ask_and_show(asking, script["changed_question"], "", echo)

    changed = side_copy(params)
    echo(f"\n== 3. fresh knowledge arrives: applying {sample / 'changes'} in a side copy")
    echo(f"   ({changed.paths.out_dir}; {params.paths.out_dir} stays as step 1 left it)")
    for name in apply_changes(sample / "changes", changed.paths.source_dir):
        echo(f"   replaced {name}")
    started = time.perf_counter()
    for step in (validate.run, curate.run):
        step(changed)
    report = index.run(changed)
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
    if live:
        providers = [p.model_dump() for p in asking.context.providers]
        changed = with_values(changed, {"context.providers": providers}, origin="demo live")
    after = ask_and_show(changed, script["changed_question"], "", echo)
    shown = script["new_fact"] in after.answer
    echo(f"new fact {'appears' if shown else 'does NOT appear'} in the answer")

    if live:
        echo("\n== 5. live context: the CRM and the team's availability, asked at answer time")
        run_live(*live, echo)
