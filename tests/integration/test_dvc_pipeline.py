"""dvc.yaml end to end on a copy of the repo: `dvc repro` runs every stage with the tiny model,
a second `dvc repro` runs none, and a params change marks only the stages that read it."""

from __future__ import annotations

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


@pytest.fixture
def repo(tmp_path: Path, tiny_sources: Path, tiny_model_dir: Path) -> Path:
    """A git repo with the project's files, the tiny sources as data and the tiny base model."""
    work = tmp_path / "repo"
    copy_repo(work)
    shutil.copytree(tiny_sources, work / "data" / "tiny")
    set_params(
        work / "params.yaml",
        {"paths.source_dir": "data/tiny", "model.base": str(tiny_model_dir), **TINY_RUN},
    )
    # DVC keeps its state databases in /var/tmp/dvc unless told otherwise
    (work / ".dvc" / "config.local").write_text(
        f"[core]\n    site_cache_dir = {tmp_path / 'dvc-site'}\n"
    )
    run("git", "init", "-q", cwd=work)
    run("git", "add", "-A", cwd=work)
    run("git", "commit", "-qm", "tiny", cwd=work)
    return work


def test_repro_runs_each_stage_once_and_then_only_what_changed(repo: Path) -> None:
    first = dvc("repro", cwd=repo)
    assert [s for s in STAGES if f"Running stage '{s}'" in first] == list(STAGES)
    evaluation = json.loads((repo / "out" / "reports" / "eval.json").read_text())
    assert set(evaluation["configs"]) == {
        "retrieval", "base", "base+rag", "finetuned", "finetuned+rag",
    }  # fmt: skip
    registered = json.loads((repo / "out" / "reports" / "register.json").read_text())
    assert registered["alias"] == "challenger"

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
