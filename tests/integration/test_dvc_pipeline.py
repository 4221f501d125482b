"""dvc.yaml end to end on a copy of the repo: `dvc repro` runs every stage with the tiny model,
a second `dvc repro` runs none, and a params change marks only the stages that read it; two
`dvc exp run -S` experiments compare in `dvc exp show` and `dvc plots diff`. One repo copy and
one first repro serve the module."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.servers import base_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
STAGES = (
    "prepare_model", "validate", "curate", "finetune_embedder", "index", "build_sft", "finetune",
    "evaluate", "register",
)  # fmt: skip
TINY_RUN = {  # seconds, not minutes: the tiny model, four steps, eight new tokens
    "finetune.max_steps": 4,
    "finetune.save_steps": 2,
    "finetune.eval_steps": 2,
    "finetune.per_device_train_batch_size": 2,
    "finetune.gradient_accumulation_steps": 1,
    "finetune.max_seq_length": 256,
    "finetune.precision": "fp32",
    "generate.max_new_tokens": 8,
}


def copy_repo(target: Path) -> None:
    """The working tree as git sees it (tracked and new files, not ignored ones), without data."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = REPO / name
        if name.startswith("data/") or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)


def set_params(path: Path, values: dict[str, object]) -> None:
    """Edit params.yaml in place, as a person would: `{"finetune.lora.r": 4}`."""
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in values.items():
        *sections, name = key.split(".")
        node = tree
        for section in sections:
            node = node[section]
        node[name] = value
    path.write_text(yaml.safe_dump(tree, sort_keys=False), encoding="utf-8")


def tiny_repo(work: Path, tiny_model_dir: Path) -> None:
    """`work` (the project's files, data/tiny) as a git repo running the tiny model."""
    set_params(
        work / "params.yaml",
        {"paths.source_dir": "data/tiny", "model.base": str(tiny_model_dir), **TINY_RUN},
    )
    # DVC keeps its state databases in /var/tmp/dvc unless told otherwise
    (work / ".dvc" / "config.local").write_text(
        f"[core]\n    site_cache_dir = {work.parent / 'dvc-site'}\n"
    )
    run("git", "init", "-q", cwd=work)
    run("git", "add", "-A", cwd=work)
    run("git", "commit", "-qm", "tiny", cwd=work)


def run(*command: str, cwd: Path) -> str:
    env = base_env({"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"})
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    env.pop("MLFLOW_TRACKING_URI", None)  # the default store, under out/
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (
        f"{' '.join(command)}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    return done.stdout


def dvc(*args: str, cwd: Path) -> str:
    return run(sys.executable, "-m", "dvc", *args, cwd=cwd)


@pytest.fixture(scope="module")
def repo(
    tmp_path_factory: pytest.TempPathFactory, tiny_sources: Path, tiny_model_dir: Path
) -> Path:
    """A git repo with the project's files, the tiny sources as data and the tiny base model."""
    root = tmp_path_factory.mktemp("dvc")
    work = root / "repo"
    copy_repo(work)
    shutil.copytree(tiny_sources, work / "data" / "tiny")
    tiny_repo(work, tiny_model_dir)
    return work


@pytest.fixture(scope="module")
def first_repro(repo: Path) -> str:
    """The first `dvc repro` of the module's one repo (every stage runs), committed as the
    baseline that experiments branch from; its output."""
    output = dvc("repro", cwd=repo)
    run("git", "add", "-A", cwd=repo)
    run("git", "commit", "-qm", "baseline", cwd=repo)
    return output


def assert_one_parent_run_per_repro(repo: Path) -> None:
    """The stages' MLflow runs of one `dvc repro` (separate processes) share one parent run."""
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{repo / 'out' / 'mlflow' / 'mlflow.db'}")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    parents = [r for r in runs if r.data.tags.get("pipeline") == "dvc"]
    assert parents
    for parent in parents:
        children = {
            r.info.run_name
            for r in runs
            if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id
        }
        assert children == {"finetune", "evaluate", "register"}, children
        assert parent.info.status == "FINISHED"


def test_repro_runs_each_stage_once_and_then_only_what_changed(
    repo: Path, first_repro: str
) -> None:
    first = first_repro
    assert [s for s in STAGES if f"Running stage '{s}'" in first] == list(STAGES)
    evaluation = json.loads((repo / "out" / "reports" / "eval.json").read_text())
    assert set(evaluation["configs"]) == {
        "retrieval", "base", "base+rag", "finetuned", "finetuned+rag",
    }  # fmt: skip
    registered = json.loads((repo / "out" / "reports" / "register.json").read_text())
    assert registered["alias"] == "challenger"
    assert_one_parent_run_per_repro(repo)

    second = dvc("repro", cwd=repo)
    assert "Running stage" not in second
    assert "Data and pipelines are up to date." in second

    set_params(repo / "params.yaml", {"finetune.lora.r": 4})
    assert set(json.loads(dvc("status", "--json", cwd=repo))) == {"finetune"}
    set_params(repo / "params.yaml", {"generate.max_new_tokens": 4})
    assert set(json.loads(dvc("status", "--json", cwd=repo))) == {
        "finetune", "evaluate", "register",
    }  # fmt: skip
    # A code change marks the stages whose step runs that module, and only those: the search
    # store is read by build-sft, evaluate and register, and written by index; its point ids
    # (store/base.py) are part of the index plan, whose embedding text the embedder tunes on.
    with (repo / "tasks" / "index" / "store" / "base.py").open("a") as module:
        module.write("\n# a changed comment is a changed dependency\n")
    assert set(json.loads(dvc("status", "--json", cwd=repo))) == {
        "finetune_embedder", "index", "build_sft", "finetune", "evaluate", "register",
    }  # fmt: skip


LEARNING_RATES = ("0.002", "0.02")  # two experiments: only finetune, evaluate, register rerun
# The readable comparison dvc.yaml's header suggests: what changed, less the timings, hashes,
# MLflow run ids, answer-cache counts and data deps (out/...) that differ on every run.
READABLE = ("--only-changed", "--drop", ".*(second|sha256|run_id)|generated|out/")
ROW_COLUMNS = {"Experiment", "rev", "typ", "Created", "parent"}  # --csv's own, not data


def leaves(tree: object, prefix: str = "") -> dict[str, object]:
    """{"finetune.lora.r": 16, ...}: the dotted names `dvc exp show` gives its columns."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    found: dict[str, object] = {}
    for key, value in tree.items():
        found.update(leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return found


def exp_rows(shown: list[dict]) -> dict[str, dict[str, dict[str, object]]]:
    """`dvc exp show --json` as {row name: {"params": {...}, "metrics": {...}}}, flat dotted keys
    over all files; the baseline commit as "baseline", each experiment by its name."""
    rows = {}
    for baseline in shown:
        revisions = [("baseline" if baseline["name"] else "workspace", baseline["data"])]
        for experiment in baseline.get("experiments") or []:
            revisions += [(r["name"], r["data"]) for r in experiment["revs"]]
        for name, data in revisions:
            rows[name] = {
                kind: {k: v for f in data[kind].values() for k, v in leaves(f["data"]).items()}
                for kind in ("params", "metrics")
            }
    return rows


def csv_table(text: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    """`dvc exp show --csv`: its header and its rows by experiment name."""
    header, *rows = csv.reader(io.StringIO(text))
    return header, {row[0] or row[1]: dict(zip(header, row, strict=True)) for row in rows}


def plotted(diff: dict, plot: str) -> list[dict]:
    """The data points of one plot of `dvc plots diff --json` (each with its `rev`)."""
    (rendered,) = diff["data"][plot]
    return rendered["content"]["data"]["values"]


def test_experiments_compare_side_by_side_in_exp_show_and_plots(
    repo: Path, first_repro: str
) -> None:
    """Two `dvc exp run -S` experiments from the committed baseline: `exp show` puts the changed
    param and both runs' metrics side by side, `--only-changed` keeps to what differs, and
    `plots diff` draws both runs' loss curves and per-configuration scores."""
    assert "Running stage 'evaluate'" in first_repro
    run("git", "reset", "-q", "--hard", cwd=repo)  # undo what another test of the module changed
    names = [f"lr-{rate}" for rate in LEARNING_RATES]
    for name, rate in zip(names, LEARNING_RATES, strict=True):
        output = dvc("exp", "run", "-n", name, "-S", f"finetune.learning_rate={rate}", cwd=repo)
        ran = [s for s in STAGES if f"Running stage '{s}'" in output]
        assert ran == ["finetune", "evaluate", "register"], output

    rows = exp_rows(json.loads(dvc("exp", "show", "--json", cwd=repo)))
    for name, rate in zip(names, LEARNING_RATES, strict=True):
        assert rows[name]["params"]["finetune.learning_rate"] == float(rate)
        metrics = rows[name]["metrics"]
        for config in ("base", "base+rag", "finetuned", "finetuned+rag"):
            assert isinstance(metrics[f"configs.{config}.answer_score"], float)
        assert isinstance(metrics["final_train_loss"], float)
    trained = [rows[name]["metrics"]["final_train_loss"] for name in names]
    assert trained[0] != trained[1]  # another learning rate, another run: not a cached copy

    compared = [rows[name] for name in ("baseline", *names)]
    varying = {
        kind: {
            key
            for key in compared[0][kind]
            if len({json.dumps(row[kind].get(key)) for row in compared}) > 1
        }
        for kind in ("params", "metrics")
    }
    assert varying["params"] == {"finetune.learning_rate"}

    header, table = csv_table(dvc("exp", "show", "--only-changed", "--csv", cwd=repo))
    assert "finetune.learning_rate" in header
    unchanged = set(compared[0]["params"]) - varying["params"]
    assert not unchanged & set(header)  # e.g. finetune.lora.r, model.base
    for name, rate in zip(names, LEARNING_RATES, strict=True):
        assert float(table[name]["finetune.learning_rate"]) == float(rate)
        assert float(table[name]["final_train_loss"]) == pytest.approx(
            rows[name]["metrics"]["final_train_loss"], abs=1e-4
        )

    print(dvc("exp", "show", *READABLE, "--md", cwd=repo))  # what a person reads
    header, table = csv_table(dvc("exp", "show", *READABLE, "--csv", cwd=repo))
    data_columns = set(header) - ROW_COLUMNS
    assert {"finetune.learning_rate", "final_train_loss", "final_val_loss"} <= data_columns
    # nothing else: the metrics of quality that differ (eval scores, when the answers changed)
    assert data_columns - {"finetune.learning_rate"} <= varying["metrics"], header
    assert len(data_columns) <= 3 + len({m for m in varying["metrics"] if m.startswith("configs.")})
    assert {name: table[name]["finetune.learning_rate"] for name in names} == dict(
        zip(names, LEARNING_RATES, strict=True)
    )

    diff = json.loads(dvc("plots", "diff", *names, "--json", cwd=repo))
    assert not diff.get("errors"), diff["errors"]
    curves = plotted(diff, "loss")
    for name in names:
        for field in ("train_loss", "val_loss"):
            drawn = [p for p in curves if p["rev"] == name and p["field"] == field]
            steps = [p["step"] for p in drawn if p["dvc_inferred_y_value"] is not None]
            assert steps, (name, field)
            assert max(steps) == TINY_RUN["finetune.max_steps"]
    scores = plotted(diff, "eval")
    for name in names:
        assert {p["config"] for p in scores if p["rev"] == name} == {
            "retrieval", "base", "base+rag", "finetuned", "finetuned+rag",
        }  # fmt: skip
    images = diff["data"]["out/reports/eval.png"]
    assert {image["revisions"][0] for image in images} == set(names)
