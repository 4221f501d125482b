"""`tandem demo` in a copy of the repo, on the tiny model: step 1 is what DVC would run, so
dvc.lock records it and `dvc status` is clean; the knowledge change happens in a side copy, so
the source and the pipeline's index stay as step 1 left them (a scheduled re-index of the
default source has nothing to undo); the steps' MLflow runs nest under the demo's run."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.integration.test_dvc_pipeline import copy_repo, dvc, run, tiny_repo
from tests.servers import BIN, base_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NEW_FACT = "Settings, then Privacy"


def demo_folder(tiny_sources: Path, target: Path) -> None:
    """The tiny sources as a demo folder: changes/ moves KB-001's answer, demo.yaml asks it."""
    shutil.copytree(tiny_sources, target)
    changes = target / "changes"
    (changes / "documents").mkdir(parents=True)
    rows = [json.loads(line) for line in (target / "documents" / "kb.jsonl").open()]
    rows[0]["text"] = f"{rows[0]['title']}.\n\nOpen {NEW_FACT}, and choose Reset password now."
    rows[0]["updated_at"] = "2026-02-01T00:00:00Z"
    (changes / "documents" / "kb.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    script = {
        "question": "How do I reset my password?",
        "changed_question": f"How do I {rows[0]['title'].lower()}?",
        "old_fact": "Settings",
        "new_fact": NEW_FACT,
    }
    (changes / "demo.yaml").write_text(json.dumps(script))  # JSON is YAML


def test_demo_leaves_dvc_clean_and_the_source_as_it_was(
    tmp_path: Path, tiny_sources: Path, tiny_model_dir: Path
) -> None:
    work = tmp_path / "repo"
    copy_repo(work)
    demo_folder(tiny_sources, work / "data" / "tiny")
    tiny_repo(work, tiny_model_dir)

    env = base_env({})
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run(
        [str(BIN / "tandem"), "demo"], cwd=work, env=env, capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "dvc.lock records this run" in done.stdout, done.stdout[-3000:]

    assert json.loads(dvc("status", "--json", cwd=work)) == {}
    assert "Running stage" not in dvc("repro", cwd=work)
    status = run("git", "status", "--porcelain", "--", "data", cwd=work)
    assert status == "", status  # the source as it was
    # the re-index was incremental, in the side copy; step 1's index still holds the old text
    line = next(x for x in done.stdout.splitlines() if x.startswith("re-index (incremental)"))
    assert "embedded=1 " in line and "unchanged=5 " in line, line

    def texts(out: Path) -> str:
        return " ".join(pd.read_parquet(out / "curated" / "chunks.parquet")["text"])

    assert NEW_FACT not in texts(work / "out")
    assert NEW_FACT in texts(work / "out" / "demo-change")

    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{work / 'out' / 'mlflow' / 'mlflow.db'}")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    parent = next(r for r in runs if r.info.run_name == "tandem demo")
    children = {
        r.info.run_name for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id
    }
    assert {"finetune", "evaluate", "register"} <= children
    assert parent.info.status == "FINISHED"
    docs = work / "out" / "reports" / "data_docs" / "index.html"
    assert parent.data.tags["data_docs"] == docs.resolve().as_uri()
